import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Cause, Deferred, Effect, FiberId, Layer, Option } from "effect"
import * as Errors from "../Errors.js"
import { translate } from "../PgError.js"
import type { DeadLetterQueue, Entry, Filter, NewDeadLetter, Processor, StoreError } from "./deadLetter.js"
import {
  DeadLetter,
  DeadLetterStoreFailed,
  defaultListLimit,
  defaultReplayLimit,
  errorMessage,
  reportOf,
  splitPayload
} from "./deadLetter.js"

interface Row {
  readonly id: string
  readonly queue_name: string
  readonly message_id: string | null
  readonly original_message: unknown
  readonly original_text: string | null
  readonly error: string
  readonly error_type: string
  readonly error_code: string
  readonly error_category: string
  readonly attempts: number
  readonly first_failure: Date
  readonly last_failure: Date
  readonly metadata: Record<string, unknown> | null
  readonly created_at: Date
  readonly replayed_at: Date | null
  readonly replay_of: string | null
}

const toEntry = (row: Row): Entry => ({
  id: row.id,
  queueName: row.queue_name,
  messageId: row.message_id,
  originalMessage: row.original_message,
  originalText: row.original_text,
  error: row.error,
  errorType: row.error_type,
  errorCode: row.error_code,
  errorCategory: row.error_category,
  attempts: row.attempts,
  firstFailure: row.first_failure,
  lastFailure: row.last_failure,
  metadata: row.metadata ?? {},
  createdAt: row.created_at,
  replayedAt: row.replayed_at,
  replayOf: row.replay_of
})

/**
 * A transient database failure (connection lost, restart, serialization) is a
 * `DeadLetterStoreFailed`, worth retrying; any other (a missing table, a missing grant, a
 * constraint) is the typed `PgError`, which no retry can fix.
 */
const storeFailed = (operation: string) => (error: SqlError): StoreError => {
  const translated = translate(error)
  if (Option.isSome(translated) && !Errors.isTransient(translated.value)) return translated.value
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined
  const detail = typeof cause?.message === "string" ? cause.message : error.message
  return new DeadLetterStoreFailed({
    operation,
    reason: typeof cause?.code === "string" ? `${detail} (SQLSTATE ${cause.code})` : detail
  })
}

/**
 * Text Postgres cannot hold: NUL, and lone UTF-16 surrogates (no UTF-8 encoding; in `jsonb` an
 * escaped one is refused). Replaced with U+FFFD so that one odd character in an error message or
 * metadata never fails the write of a whole batch of dead letters.
 */
const notStorable = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
const storableText = (text: string): string => text.replace(notStorable, "\uFFFD")

/** `JSON.stringify` for a `jsonb` value: well-formed output only escapes what jsonb refuses. */
const jsonbText = (value: unknown): string => {
  const text = JSON.stringify(value)
  return /\\u(0000|d[89a-f])/.test(text)
    ? JSON.stringify(value, (_, v: unknown) => (typeof v === "string" ? storableText(v) : v))
    : text
}

/** @internal */
export interface PgOptions {
  /** Where `replay` sends a dead letter when no processor is given: its source queue by default. */
  readonly requeue?: Processor | undefined
}

/** @internal */
export const make = (options: PgOptions = {}): Effect.Effect<DeadLetterQueue, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql) => {
    // Every filter is a conjunction of bound parameters; the SQL text never contains user input.
    const where = (filter: Filter) => {
      const clauses = [sql`TRUE`]
      if (filter.ids !== undefined) clauses.push(sql`id = ANY(${filter.ids}::bigint[])`)
      if (filter.queue !== undefined) clauses.push(sql`queue_name = ${filter.queue}`)
      if (filter.code !== undefined) clauses.push(sql`error_code = ${filter.code}`)
      if (filter.since !== undefined) clauses.push(sql`created_at >= ${filter.since}`)
      if (filter.until !== undefined) clauses.push(sql`created_at < ${filter.until}`)
      if (filter.replayed === true) clauses.push(sql`replayed_at IS NOT NULL`)
      if (filter.replayed === false) clauses.push(sql`replayed_at IS NULL`)
      return sql.and(clauses)
    }

    const sendOne = (dl: NewDeadLetter): Effect.Effect<string, StoreError> =>
      Effect.flatMap(
        // A dead letter that cannot be serialised (a BigInt in its metadata) is a typed failure.
        Effect.try({
          try: () => ({ ...splitPayload(dl.payload), metadata: jsonbText(dl.metadata ?? {}) }),
          catch: (error) => new DeadLetterStoreFailed({ operation: "send", reason: errorMessage(error) })
        }),
        ({ json, metadata, text }) =>
          sql<{ id: string }>`INSERT INTO effect_resilience_dead_letters
              (queue_name, message_id, original_message, original_text, error, error_type, error_code, error_category,
               attempts, first_failure, last_failure, metadata, replay_of)
            VALUES (${dl.queueName}, ${dl.messageId ?? null}, ${jsonbText(json)}::jsonb,
              ${text === null ? null : storableText(text)}, ${storableText(dl.error)}, ${storableText(dl.errorType)},
              ${dl.errorCode}, ${dl.errorCategory}, ${dl.attempts}, ${dl.firstFailure}, ${dl.lastFailure},
              ${metadata}::jsonb, ${dl.replayOf ?? null})
            RETURNING id`.pipe(
            Effect.map((rows) => rows[0]?.id ?? ""),
            Effect.mapError(storeFailed("send"))
          )
      )

    // Dead letters from concurrent senders are written together, one statement at a time: the
    // first sender starts a writer that yields once, writes every batch that arrived meanwhile,
    // and goes on with whatever arrived during that write (group commit). A message already
    // dead-lettered on an earlier delivery resolves to the existing row. One Deferred per
    // `sendAll` call, not per dead letter: a consumer's batch costs one wait.
    type Keyed = NewDeadLetter & { readonly messageId: string }
    interface Pending {
      readonly dls: ReadonlyArray<Keyed>
      readonly done: Deferred.Deferred<ReadonlyArray<string>, StoreError>
    }
    let pending: Array<Pending> = []
    let writing = false
    const keyOf = (queue: string, messageId: string) => `${queue}\u0000${messageId}`
    const failAll = (batch: ReadonlyArray<Pending>, error: StoreError) =>
      Effect.forEach(batch, (p) => Deferred.fail(p.done, error), { discard: true })

    /** A row for `jsonb_to_recordset`, as JSON text: a payload that is JSON goes in verbatim. */
    const rowJson = (dl: Keyed): string => {
      const { json, text } = splitPayload(dl.payload)
      const head = jsonbText({
        queue_name: dl.queueName,
        message_id: dl.messageId,
        original_text: text,
        error: dl.error,
        error_type: dl.errorType,
        error_code: dl.errorCode,
        error_category: dl.errorCategory,
        attempts: dl.attempts,
        first_failure: dl.firstFailure.toISOString(),
        last_failure: dl.lastFailure.toISOString(),
        metadata: dl.metadata ?? {},
        replay_of: dl.replayOf ?? null
      })
      // `text === null` means the payload parsed as JSON that jsonb holds exactly (splitPayload),
      // so its own text is the value.
      return `${head.slice(0, -1)},"original_message":${text === null ? dl.payload : jsonbText(json)}}`
    }

    /** One statement for many dead letters; resolves each `(queue, message id)` to its row's id. */
    const insertAll = (dls: ReadonlyArray<Keyed>, rows: ReadonlyArray<string>) => {
      type Written = { readonly id: string; readonly queue_name: string; readonly message_id: string }
      // The common case is a plain insert. A message dead-lettered before (redelivered after a
      // crash) conflicts, and only then is its existing row looked up: a statement of its own,
      // which also sees a row that a concurrent insert committed while this one waited on it.
      const insert = sql<Written>`INSERT INTO effect_resilience_dead_letters
          (queue_name, message_id, original_message, original_text, error, error_type, error_code, error_category,
           attempts, first_failure, last_failure, metadata, replay_of)
        SELECT queue_name, message_id, original_message, original_text, error, error_type, error_code, error_category,
           attempts, first_failure, last_failure, metadata, replay_of
        FROM jsonb_to_recordset(${`[${rows.join(",")}]`}::jsonb) AS x(
          queue_name text, message_id text, original_message jsonb, original_text text, error text,
          error_type text, error_code text, error_category text, attempts integer,
          first_failure timestamptz, last_failure timestamptz, metadata jsonb, replay_of bigint)
        ON CONFLICT (queue_name, message_id) WHERE message_id IS NOT NULL DO NOTHING
        RETURNING id, queue_name, message_id`
      const existing = (missing: ReadonlyArray<{ readonly queueName: string; readonly messageId: string }>) =>
        sql<Written>`SELECT d.id, d.queue_name, d.message_id FROM effect_resilience_dead_letters d
          JOIN unnest(${missing.map((m) => m.queueName)}::text[], ${missing.map((m) => m.messageId)}::text[]) AS k(queue_name, message_id)
            ON d.queue_name = k.queue_name AND d.message_id = k.message_id`
      return insert.pipe(
        Effect.flatMap((inserted) => {
          const ids = new Map(inserted.map((r) => [keyOf(r.queue_name, r.message_id), r.id]))
          if (inserted.length === dls.length) return Effect.succeed(ids)
          const missing = dls.filter((dl) => !ids.has(keyOf(dl.queueName, dl.messageId)))
          if (missing.length === 0) return Effect.succeed(ids)
          return Effect.map(existing(missing), (found) => {
            for (const r of found) ids.set(keyOf(r.queue_name, r.message_id), r.id)
            return ids
          })
        }),
        Effect.mapError(storeFailed("send"))
      )
    }

    // Each call's rows are built apart: a dead letter that cannot be serialised (a BigInt in its
    // metadata) fails its own call with a typed error, and the others are still written.
    const writeBatch = (batch: ReadonlyArray<Pending>) =>
      Effect.suspend(() => {
        const calls: Array<Pending> = []
        const rows: Array<string> = []
        const unwritable: Array<Effect.Effect<boolean>> = []
        for (const p of batch) {
          try {
            rows.push(...p.dls.map(rowJson))
            calls.push(p)
          } catch (error) {
            unwritable.push(Deferred.fail(p.done, new DeadLetterStoreFailed({ operation: "send", reason: errorMessage(error) })))
          }
        }
        const write = calls.length === 0 ? Effect.void : insertAll(calls.flatMap((p) => p.dls), rows).pipe(
          Effect.matchEffect({
            onFailure: (error) => failAll(calls, error),
            onSuccess: (ids) =>
              Effect.forEach(calls, (p) => {
                const written: Array<string> = []
                for (const dl of p.dls) {
                  const id = ids.get(keyOf(dl.queueName, dl.messageId))
                  if (id === undefined) {
                    return Deferred.fail(p.done, new DeadLetterStoreFailed({ operation: "send", reason: "row not written" }))
                  }
                  written.push(id)
                }
                return Deferred.succeed(p.done, written)
              }, { discard: true })
          })
        )
        return Effect.zipRight(Effect.all(unwritable, { discard: true }), write)
      })

    const drain: Effect.Effect<void> = Effect.suspend(() => {
      const batch = pending
      if (batch.length === 0) return Effect.sync(() => void (writing = false))
      pending = []
      // Whatever goes wrong with a batch (writeBatch builds its rows lazily, so a throw lands here
      // too) fails its senders instead of killing the writer with `writing` still set: every
      // later send would then hang.
      return Effect.zipRight(
        Effect.catchAllCause(writeBatch(batch), (cause) =>
          failAll(batch, new DeadLetterStoreFailed({ operation: "send", reason: errorMessage(Cause.squash(cause)) }))),
        drain
      )
    })
    // The writer outlives any one sender (others wait on its batch), so it is not interrupted
    // with them; it ends when nothing is pending.
    const startWriter = Effect.suspend(() => {
      if (writing) return Effect.void
      writing = true
      return Effect.asVoid(Effect.forkDaemon(Effect.zipRight(Effect.yieldNow(), drain)))
    })

    const joinGroup = (dls: ReadonlyArray<Keyed>): Effect.Effect<ReadonlyArray<string>, StoreError> => {
      const done = Deferred.unsafeMake<ReadonlyArray<string>, StoreError>(FiberId.none)
      pending.push({ dls, done })
      return Effect.zipRight(startWriter, Deferred.await(done))
    }

    const isKeyed = (dl: NewDeadLetter): dl is Keyed => dl.messageId !== undefined

    // A consumer's batch joins the same group commit as `send`: consumers that share this store
    // (several in one process) write together, one statement in flight. A dead letter without a
    // message id cannot be matched back to its row in a batch and gets a statement of its own.
    const sendAll = (dls: ReadonlyArray<NewDeadLetter>): Effect.Effect<ReadonlyArray<string>, StoreError> =>
      Effect.suspend(() => {
        if (dls.length === 0) return Effect.succeed([])
        if (dls.every(isKeyed)) return joinGroup(dls)
        const keyed = dls.filter(isKeyed)
        return Effect.zipWith(
          keyed.length === 0 ? Effect.succeed([]) : joinGroup(keyed),
          Effect.forEach(dls.filter((dl) => !isKeyed(dl)), sendOne),
          (keyedIds, keylessIds) => {
            let k = 0
            let u = 0
            return dls.map((dl) => (isKeyed(dl) ? keyedIds[k++]! : keylessIds[u++]!))
          }
        )
      })

    const send = (dl: NewDeadLetter): Effect.Effect<string, StoreError> => Effect.map(sendAll([dl]), (ids) => ids[0]!)

    const list = (filter: Filter = {}) =>
      sql<Row>`SELECT * FROM effect_resilience_dead_letters WHERE ${where(filter)}
        ORDER BY id LIMIT ${filter.limit ?? defaultListLimit}`.pipe(
        Effect.map((rows) => rows.map(toEntry)),
        Effect.mapError(storeFailed("list"))
      )

    const get = (id: string) =>
      list({ ids: [id], limit: 1 }).pipe(Effect.map((entries) => Option.fromNullable(entries[0])))

    const history = (id: string) =>
      sql<Row>`WITH RECURSIVE chain AS (
          SELECT d.*, 0 AS depth FROM effect_resilience_dead_letters d WHERE d.id = ${id}
          UNION ALL
          SELECT d.*, c.depth + 1 FROM effect_resilience_dead_letters d JOIN chain c ON d.id = c.replay_of
          WHERE c.depth < 1000
        ) SELECT * FROM chain ORDER BY depth`.pipe(
        Effect.map((rows) => rows.map(toEntry)),
        Effect.mapError(storeFailed("read history"))
      )

    const stats = (filter: Filter = {}) =>
      sql<{ queue_name: string; error_code: string; total: string; pending: string }>`
        SELECT queue_name, error_code, count(*) AS total, count(*) FILTER (WHERE replayed_at IS NULL) AS pending
        FROM effect_resilience_dead_letters WHERE ${where(filter)}
        GROUP BY queue_name, error_code ORDER BY queue_name, error_code`.pipe(
        Effect.map((rows) =>
          rows.map((r) => ({ queueName: r.queue_name, errorCode: r.error_code, total: Number(r.total), pending: Number(r.pending) }))
        ),
        Effect.mapError(storeFailed("count"))
      )

    const purge = (filter: Filter) =>
      sql<{ n: string }>`WITH gone AS (DELETE FROM effect_resilience_dead_letters WHERE ${where(filter)} RETURNING 1)
        SELECT count(*) AS n FROM gone`.pipe(
        Effect.map((rows) => Number(rows[0]?.n ?? 0)),
        Effect.mapError(storeFailed("purge"))
      )

    // Back to the source queue in one statement: the insert and the replayed mark commit together.
    const replayToQueues = (filter: Filter) =>
      sql<{ id: string }>`WITH picked AS (
          SELECT id, queue_name, coalesce(original_text, original_message::text) AS payload
          FROM effect_resilience_dead_letters
          WHERE ${where({ ...filter, replayed: false })}
          ORDER BY id LIMIT ${filter.limit ?? defaultReplayLimit}
          FOR UPDATE SKIP LOCKED
        ), queued AS (
          INSERT INTO effect_resilience_queue (queue_name, payload, replay_of)
          SELECT queue_name, payload, id FROM picked
          RETURNING replay_of
        )
        UPDATE effect_resilience_dead_letters d SET replayed_at = now()
        FROM queued WHERE d.id = queued.replay_of
        RETURNING d.id`.pipe(
        Effect.map((rows) => ({ replayed: rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b)), failed: [] })),
        Effect.mapError(storeFailed("replay"))
      )

    // A processor runs inside the row's transaction: whatever it writes through this client
    // commits with the replayed mark, or not at all.
    const replayOne = (id: string, processor: Processor) =>
      sql.withTransaction(
        Effect.gen(function*() {
          const rows = yield* sql<Row>`SELECT * FROM effect_resilience_dead_letters
            WHERE id = ${id} AND replayed_at IS NULL FOR UPDATE SKIP LOCKED`
          if (rows.length === 0) return { _tag: "skipped" as const, id }
          yield* Effect.catchAllCause(processor(toEntry(rows[0]!)), (cause) => Effect.fail(Cause.squash(cause)))
          yield* sql`UPDATE effect_resilience_dead_letters SET replayed_at = now() WHERE id = ${id}`
          return { _tag: "ok" as const, id }
        })
      ).pipe(
        Effect.catchAll((error) => {
          const message = errorMessage(error)
          const failure = { at: new Date().toISOString(), error: message }
          // The earlier failure stays in the row; the new one is appended to its history.
          return sql`UPDATE effect_resilience_dead_letters
              SET last_failure = now(),
                  metadata = jsonb_set(metadata, '{replay_failures}',
                    coalesce(metadata->'replay_failures', '[]'::jsonb) || ${JSON.stringify([failure])}::jsonb)
              WHERE id = ${id}`.pipe(
            Effect.as({ _tag: "failed" as const, id, error: message }),
            Effect.mapError(storeFailed("record replay failure"))
          )
        })
      )

    const replay = (filter: Filter, replayOptions?: { readonly processor?: Processor | undefined }) => {
      const processor = replayOptions?.processor ?? options.requeue
      if (processor === undefined) return replayToQueues(filter)
      return sql<{ id: string }>`SELECT id FROM effect_resilience_dead_letters
          WHERE ${where({ ...filter, replayed: false })} ORDER BY id LIMIT ${filter.limit ?? defaultReplayLimit}`.pipe(
        Effect.mapError(storeFailed("replay")),
        Effect.flatMap((rows) => Effect.forEach(rows, (row) => replayOne(row.id, processor))),
        Effect.map((results) => reportOf(results.flatMap((r) => (r._tag === "skipped" ? [] : [r]))))
      )
    }

    const service: DeadLetterQueue = { send, sendAll, list, get, history, stats, purge, replay }
    return service
  })

/** @internal */
export const layer = (options: PgOptions = {}): Layer.Layer<DeadLetter, never, SqlClient.SqlClient> =>
  Layer.effect(DeadLetter, make(options))
