import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { DurationInput } from "effect/Duration"
import type { Scope } from "effect"
import { Chunk, Duration, Effect, Exit, Fiber, Layer, Option, Stream } from "effect"
import type { Schedule } from "effect"
import * as Errors from "../Errors.js"
import type { PgError } from "../PgError.js"
import { logAnnotations, mapErrors } from "../PgError.js"
import type { AckNow, Message, ReleaseOptions, Source } from "./consumer.js"
import { ackNow, infrastructureSchedule, MessageSource } from "./consumer.js"
import { assertQueueName } from "./queueTables.js"
import { retryLazily } from "./retry.js"

/** @internal */
export interface EnqueueOptions {
  readonly idempotencyKey?: string | undefined
  readonly delay?: DurationInput | undefined
  readonly raw?: boolean | undefined
}

/** @internal */
export interface SourceOptions {
  readonly queue: string
  readonly batchSize?: number | undefined
  readonly lease?: DurationInput | undefined
  readonly pollInterval?: DurationInput | undefined
  readonly heartbeat?: boolean | undefined
  readonly prefetch?: number | undefined
  readonly ackWindow?: DurationInput | undefined
}

const delayMillis = (delay: DurationInput | undefined): number =>
  delay === undefined ? 0 : Math.max(0, Duration.toMillis(Duration.decode(delay)))

const serialize = (value: unknown, raw: boolean | undefined): string => {
  if (raw === true) {
    if (typeof value !== "string") throw new TypeError("raw payloads must be strings")
    return value
  }
  const text = JSON.stringify(value)
  if (text === undefined) throw new TypeError("message is not JSON-serialisable")
  return text
}

/** @internal */
export const enqueue = (
  queue: string,
  value: unknown,
  options: EnqueueOptions = {}
): Effect.Effect<Option.Option<string>, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const name = assertQueueName(queue)
    const payload = serialize(value, options.raw)
    const delay = delayMillis(options.delay)
    const rows = options.idempotencyKey === undefined
      ? sql<{ id: string }>`INSERT INTO effect_resilience_queue (queue_name, payload, visible_at)
          VALUES (${name}, ${payload}, now() + ${delay} * interval '1 millisecond') RETURNING id`
      : sql<{ id: string }>`WITH fresh AS (
            INSERT INTO effect_resilience_queue_keys (queue_name, idempotency_key) VALUES (${name}, ${options.idempotencyKey})
            ON CONFLICT DO NOTHING RETURNING 1
          )
          INSERT INTO effect_resilience_queue (queue_name, payload, visible_at, idempotency_key)
          SELECT ${name}, ${payload}, now() + ${delay} * interval '1 millisecond', ${options.idempotencyKey} FROM fresh
          RETURNING id`
    return Effect.map(rows, (r) => Option.fromNullable(r[0]?.id))
  })

/** @internal */
export const enqueueBatch = (
  queue: string,
  values: Iterable<unknown>,
  options: Omit<EnqueueOptions, "idempotencyKey"> = {}
): Effect.Effect<number, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const name = assertQueueName(queue)
    const payloads = Array.from(values, (v) => serialize(v, options.raw))
    const delay = delayMillis(options.delay)
    const chunks: Array<Array<string>> = []
    for (let i = 0; i < payloads.length; i += 5000) chunks.push(payloads.slice(i, i + 5000))
    return Effect.reduce(chunks, 0, (n, chunk) =>
      Effect.as(
        sql`INSERT INTO effect_resilience_queue (queue_name, payload, visible_at)
            SELECT ${name}, p, now() + ${delay} * interval '1 millisecond' FROM unnest(${chunk}::text[]) AS p`,
        n + chunk.length
      ))
  })

/** @internal */
export interface Claimed {
  readonly id: string
  readonly payload: string
  readonly attempts: number
  /** Milliseconds since the epoch: a float to parse per row instead of a timestamp. */
  readonly enqueued_ms: number
  readonly replay_of: string | null
}

/** @internal */
export const claim = (
  queue: string,
  options: { readonly batchSize?: number | undefined; readonly lease?: DurationInput | undefined } = {}
): Effect.Effect<ReadonlyArray<Claimed>, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    claimWith(sql, assertQueueName(queue), options.batchSize ?? 50, delayMillis(options.lease ?? "30 seconds"), noIds))

const noIds: ReadonlyArray<string> = []

/**
 * Row ids as one `bigint[]` literal: `pg` would quote and escape each element of a JS array.
 * Ids only ever come from our own `bigserial` column (digits), so the literal needs no escaping.
 */
const idList = (ids: ReadonlyArray<string>): string => `{${ids.join(",")}}`

/**
 * Deletes `acked` (messages handled) and claims the next batch, in one statement.
 *
 * The lease lives in `leased_until`, which no index covers, so taking it is a HOT update: one new
 * tuple version on the same page and no index entries (the table keeps half of each page free
 * for that). `visible_at` is when a message becomes due (enqueue delay) and never changes, so the
 * claim index stays put. Leased messages are walked past in the index; there are only as many as
 * are in flight or released with a delay.
 */
const claimWith = (
  sql: SqlClient.SqlClient,
  queue: string,
  batchSize: number,
  leaseMillis: number,
  acked: ReadonlyArray<string>
) =>
  sql<Claimed>`WITH acked AS (
      DELETE FROM effect_resilience_queue WHERE id = ANY(${idList(acked)}::bigint[])
    ), next AS (
      SELECT id FROM effect_resilience_queue
      WHERE queue_name = ${queue} AND visible_at <= now() AND leased_until <= now()
      ORDER BY visible_at, id
      LIMIT ${batchSize}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE effect_resilience_queue q
    SET attempts = q.attempts + 1, leased_until = now() + ${leaseMillis} * interval '1 millisecond'
    FROM next WHERE q.id = next.id
    RETURNING q.id, q.payload, q.attempts, extract(epoch FROM q.enqueued_at)::float8 * 1000 AS enqueued_ms, q.replay_of`

/** Messages waiting or in flight on a queue. @internal */
export const depth = (queue: string): Effect.Effect<number, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ n: string }>`SELECT count(*) AS n FROM effect_resilience_queue WHERE queue_name = ${assertQueueName(queue)}`,
      (rows) => Number(rows[0]?.n ?? 0)
    ))

/** @internal */
export const purgeIdempotencyKeys = (
  olderThan: DurationInput
): Effect.Effect<number, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ n: string }>`WITH gone AS (
          DELETE FROM effect_resilience_queue_keys WHERE created_at < now() - ${delayMillis(olderThan)} * interval '1 millisecond'
          RETURNING 1
        ) SELECT count(*) AS n FROM gone`,
      (rows) => Number(rows[0]?.n ?? 0)
    ))

const logSqlError = (event: string, queue: string) => (error: PgError) =>
  Effect.logWarning(event).pipe(Effect.annotateLogs({ queue, error: error.message, ...logAnnotations(error) }))

/**
 * The queue's own statements, classified by SQLSTATE: a transient failure (connection lost,
 * admin shutdown, serialization, too many connections) is retried on `schedule`; anything
 * else (a missing table, a missing grant) fails at once with the typed `PgError`, since no
 * retry can fix it.
 *
 * @internal
 */
export const resilient = <A>(
  statement: Effect.Effect<A, SqlError>,
  event: string,
  queue: string,
  schedule: Schedule.Schedule<unknown, unknown>
): Effect.Effect<A, PgError> =>
  retryLazily(statement.pipe(mapErrors, Effect.tapError(logSqlError(event, queue))), {
    schedule,
    while: Errors.isTransient
  })

/**
 * The stream of one consumer's claims. Each run of the stream owns its state: the set of
 * messages it holds (for heartbeats and release on shutdown) and the acks not yet written.
 * Acks ride on the next claim (one statement deletes what was handled and claims the next
 * batch); a background flusher writes those that no claim carried within `ackWindow`.
 *
 * @internal
 */
export const makeStream = (sql: SqlClient.SqlClient, options: SourceOptions): Stream.Stream<Message, PgError> =>
  Stream.unwrapScoped(makeState(sql, options))

const ackRetries = infrastructureSchedule(5)

const makeState = (
  sql: SqlClient.SqlClient,
  options: SourceOptions
): Effect.Effect<Stream.Stream<Message, PgError>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = assertQueueName(options.queue)
    const batchSize = Math.max(1, options.batchSize ?? 50)
    const prefetch = Math.max(1, Math.floor(options.prefetch ?? 2))
    const leaseMillis = Math.max(10, delayMillis(options.lease ?? "30 seconds"))
    const poll = Duration.decode(options.pollInterval ?? "100 millis")
    const ackWindow = Duration.decode(options.ackWindow ?? "5 millis")
    // What this run holds, by id: the message object itself, so that an ack or a release of an
    // earlier delivery of the same row (released, then claimed again) finds it is not current.
    const held = new Map<string, Message>()
    // Handled but not yet deleted: written by the next claim or by the flusher, whichever
    // comes first. Lost in a crash, they are redelivered after their lease (at least once).
    let acked: Array<string> = []
    // Bumped whenever pending acks are taken: the flusher's sign that a claim carried them.
    let taken = 0
    const takeAcked = (): ReadonlyArray<string> => {
      if (acked.length === 0) return noIds
      const ids = acked
      acked = []
      taken++
      return ids
    }
    // A failed write hands its ids back for the next one (deleting twice is harmless).
    const ackPending = yield* Effect.makeLatch(false)
    const restore = (ids: ReadonlyArray<string>) =>
      Effect.sync(() => {
        if (ids.length === 0) return
        acked = acked.length === 0 ? ids.slice() : ids.concat(acked)
        ackPending.unsafeOpen()
      })

    const deleteIds = (ids: ReadonlyArray<string>) =>
      resilient(
        sql`DELETE FROM effect_resilience_queue WHERE id = ANY(${idList(ids)}::bigint[])`,
        "queue_ack_failed",
        queue,
        ackRetries
      )
    // Still failing (logged): the leases expire and the messages come back, so delivery stays at
    // least once and nothing is lost. A permanent failure stops the stream at its next claim.
    // effect-resilience-audit-ignore catch-all-to-success: an unacknowledged message is redelivered after its lease; the failure was logged
    const flushAcks = Effect.suspend(() => Effect.catchAll(deleteIds(takeAcked()), () => Effect.void))
    // Acks get `ackWindow` to be carried by a claim; only those that waited a whole window with
    // no claim taking any (the queue is idle, or the handlers are slow) get a DELETE of their own.
    const waitOrFlush: Effect.Effect<void> = Effect.suspend(() => {
      const seen = taken
      return Effect.zipRight(
        Effect.sleep(ackWindow),
        Effect.suspend(() => {
          if (acked.length === 0) return Effect.void
          return taken === seen ? Effect.uninterruptible(flushAcks) : waitOrFlush
        })
      )
    })
    const flushOnce = Effect.zipRight(ackPending.await, Effect.zipRight(ackPending.close, waitOrFlush))
    yield* Effect.forkScoped(Effect.forever(flushOnce))

    if (options.heartbeat !== false) {
      const extend = Effect.suspend(() => {
        if (held.size === 0) return Effect.void
        const ids = [...held.keys()]
        return sql`UPDATE effect_resilience_queue SET leased_until = now() + ${leaseMillis} * interval '1 millisecond'
                   WHERE id = ANY(${idList(ids)}::bigint[])`.pipe(
          mapErrors,
          Effect.tapError(logSqlError("queue_heartbeat_failed", queue)),
          Effect.ignore
        )
      })
      yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(Duration.millis(leaseMillis / 3)), extend)))
    }

    // Shutdown: write the acks still pending, then hand every message still held back to the
    // queue at once.
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(
        flushAcks,
        Effect.suspend(() => {
          if (held.size === 0) return Effect.void
          const ids = [...held.keys()]
          held.clear()
          return sql`UPDATE effect_resilience_queue SET leased_until = '-infinity', attempts = greatest(attempts - 1, 0)
                     WHERE id = ANY(${idList(ids)}::bigint[])`.pipe(
            mapErrors,
            Effect.tapError(logSqlError("queue_release_failed", queue)),
            Effect.ignore
          )
        })
      )
    )

    const releaseHeld = (message: Message, releaseOptions: ReleaseOptions | undefined) =>
      Effect.suspend(() => {
        if (held.get(message.id) !== message) return Effect.void
        held.delete(message.id)
        const back = releaseOptions?.countAttempt === false ? 1 : 0
        return sql`UPDATE effect_resilience_queue
                   SET leased_until = now() + ${delayMillis(releaseOptions?.delay)} * interval '1 millisecond',
                       attempts = greatest(attempts - ${back}, 0)
                   WHERE id = ${message.id} AND attempts = ${message.attempts}`.pipe(
          mapErrors,
          Effect.tapError(logSqlError("queue_release_failed", queue)),
          Effect.ignore
        )
      })

    const ackHeld = (message: Message): boolean => {
      // Released (or acked) already: the row may be someone else's delivery by now.
      if (held.get(message.id) !== message) return false
      held.delete(message.id)
      if (acked.push(message.id) === 1) ackPending.unsafeOpen()
      return true
    }

    const toMessage = (row: Claimed): Message => {
      // The closures read `message` only when called, after it is built.
      const message: Message & AckNow = {
        id: row.id,
        queue,
        payload: row.payload,
        attempts: row.attempts,
        enqueuedAt: new Date(row.enqueued_ms),
        replayOf: row.replay_of ?? undefined,
        ack: Effect.sync(() => void ackHeld(message)),
        release: (releaseOptions) => releaseHeld(message, releaseOptions),
        // One function for every message: the consumer acks without an Effect of its own.
        [ackNow]: ackHeld
      }
      held.set(message.id, message)
      return message
    }

    // One claim attempt runs to its end even when the stream stops meanwhile: interrupted after
    // Postgres ran it, its rows would stay leased (and counted) with nobody holding them until
    // the lease ran out. Finished, they are held, and shutdown hands them back at once. The
    // retry's waits between attempts stay interruptible.
    const claimOnce = Effect.uninterruptible(Effect.suspend(() => {
      const ids = takeAcked()
      // Failed: the acks go back for the next claim or the final flush.
      return Effect.onExit(claimWith(sql, queue, batchSize, leaseMillis, ids), (exit) =>
        Exit.isSuccess(exit) ? Effect.void : restore(ids))
    }).pipe(Effect.map((rows) => rows.map(toMessage))))
    // The queue's own transient failures (connection loss, restarts) are the consumer's to ride
    // out, however long they last; a permanent one ends the stream with the typed error.
    const claimNext = resilient(claimOnce, "queue_claim_failed", queue, infrastructureSchedule())
    const claimChunk: Effect.Effect<Chunk.Chunk<Message>, PgError> = Effect.flatMap(claimNext, (messages) =>
      messages.length === 0
        ? Effect.as(Effect.sleep(poll), Chunk.empty<Message>())
        : Effect.succeed(Chunk.unsafeFromArray(messages)))
    // `prefetch` claims run ahead of the handlers: a pull takes the oldest claim and starts the
    // next, so the round trip overlaps the work (SKIP LOCKED keeps concurrent claims apart). A
    // fork per batch in this scope, which interrupts what is still running when the stream
    // stops: one mechanism for any `prefetch`, with no queue or Take per batch as
    // `Stream.bufferChunks` / `Stream.mergeAll` need.
    const scope = yield* Effect.scope
    const ahead: Array<Fiber.RuntimeFiber<Chunk.Chunk<Message>, PgError>> = []
    const startClaim = Effect.map(Effect.forkIn(claimChunk, scope), (fiber) => void ahead.push(fiber))
    const topUp: Effect.Effect<void> = Effect.suspend(() => ahead.length >= prefetch ? Effect.void : Effect.zipRight(startClaim, topUp))
    const takeOldest = Effect.suspend(() => Effect.zipLeft(Fiber.join(ahead.shift()!), topUp))
    const pull = Effect.suspend(() => ahead.length === 0 ? Effect.zipRight(startClaim, takeOldest) : takeOldest)
    return Stream.repeatEffectChunk(pull)
  })

/** @internal */
export const source = (options: SourceOptions): Effect.Effect<Source, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql) => ({ queue: assertQueueName(options.queue), messages: makeStream(sql, options) }))

/** @internal */
export const layerSource = (options: SourceOptions): Layer.Layer<MessageSource, never, SqlClient.SqlClient> =>
  Layer.effect(MessageSource, source(options))
