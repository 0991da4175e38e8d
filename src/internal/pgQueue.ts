import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { DurationInput } from "effect/Duration"
import type { Scope } from "effect"
import { Chunk, Duration, Effect, Layer, Option, Queue, Schedule, Stream } from "effect"
import type { Message, ReleaseOptions, Source } from "./consumer.js"
import { infrastructureSchedule, MessageSource } from "./consumer.js"
import { assertQueueName } from "./queueTables.js"

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
  readonly enqueued_at: Date
  readonly replay_of: string | null
}

/** @internal */
export const claim = (
  queue: string,
  options: { readonly batchSize?: number | undefined; readonly lease?: DurationInput | undefined } = {}
): Effect.Effect<ReadonlyArray<Claimed>, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => claimWith(sql, assertQueueName(queue), options.batchSize ?? 50, delayMillis(options.lease ?? "30 seconds")))

const claimWith = (sql: SqlClient.SqlClient, queue: string, batchSize: number, leaseMillis: number) =>
  sql<Claimed>`WITH next AS (
      SELECT id FROM effect_resilience_queue
      WHERE queue_name = ${queue} AND visible_at <= now()
      ORDER BY visible_at, id
      LIMIT ${batchSize}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE effect_resilience_queue q
    SET attempts = q.attempts + 1, visible_at = now() + ${leaseMillis} * interval '1 millisecond'
    FROM next WHERE q.id = next.id
    RETURNING q.id, q.payload, q.attempts, q.enqueued_at, q.replay_of`

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

const sqlFields = (error: SqlError) => {
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined
  return {
    error: error.message,
    sqlstate: typeof cause?.code === "string" ? cause.code : "none",
    cause: typeof cause?.message === "string" ? cause.message : String(cause)
  }
}

const logSqlError = (event: string, queue: string) => (error: SqlError) =>
  Effect.logWarning(event).pipe(Effect.annotateLogs({ queue, ...sqlFields(error) }))

/**
 * The stream of one consumer's claims. Each run of the stream owns its state: the set of
 * messages it holds (for heartbeats and release on shutdown) and a background ack flusher, so
 * acks cost one `DELETE ... = ANY($ids)` per batch rather than one round trip per message.
 *
 * @internal
 */
export const makeStream = (sql: SqlClient.SqlClient, options: SourceOptions): Stream.Stream<Message> =>
  Stream.unwrapScoped(makeState(sql, options))

const makeState = (
  sql: SqlClient.SqlClient,
  options: SourceOptions
): Effect.Effect<Stream.Stream<Message>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = assertQueueName(options.queue)
    const batchSize = Math.max(1, options.batchSize ?? 50)
    const leaseMillis = Math.max(10, delayMillis(options.lease ?? "30 seconds"))
    const poll = Duration.decode(options.pollInterval ?? "100 millis")
    const held = new Map<string, number>()
    const acks = yield* Queue.unbounded<string>()
    const ackDelay = Duration.millis(2)

    const deleteIds = (ids: ReadonlyArray<string>) =>
      sql`DELETE FROM effect_resilience_queue WHERE id = ANY(${ids}::bigint[])`.pipe(
        Effect.tapError(logSqlError("queue_ack_failed", queue)),
        Effect.retry(Schedule.intersect(infrastructureSchedule, Schedule.recurs(5))),
        // Still failing (logged above): the leases expire and the messages come back, so delivery
        // stays at least once and nothing is lost.
        // effect-resilience-audit-ignore catch-all-to-success: an unacknowledged message is redelivered after its lease; the failure was logged by tapError
        Effect.catchAll(() => Effect.void)
      )
    // Wait for the first ack, then give the rest of the batch a moment to arrive: one DELETE per
    // batch instead of one per handler that happened to finish alone.
    const flushOnce = Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(
        restore(Effect.zipLeft(Queue.take(acks), Effect.sleep(ackDelay)).pipe(
          Effect.flatMap((first) => Effect.map(Queue.takeUpTo(acks, 5000), (rest) => Chunk.prepend(rest, first)))
        )),
        (ids) => deleteIds(Chunk.toReadonlyArray(ids))
      )
    )
    yield* Effect.forkScoped(Effect.forever(flushOnce))

    if (options.heartbeat !== false) {
      const extend = Effect.suspend(() => {
        if (held.size === 0) return Effect.void
        const ids = [...held.keys()]
        return sql`UPDATE effect_resilience_queue SET visible_at = now() + ${leaseMillis} * interval '1 millisecond'
                   WHERE id = ANY(${ids}::bigint[])`.pipe(
          Effect.tapError(logSqlError("queue_heartbeat_failed", queue)),
          Effect.ignore
        )
      })
      yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(Duration.millis(leaseMillis / 3)), extend)))
    }

    // Shutdown: acks already taken are flushed by the (uninterruptible) flusher; flush the rest,
    // then hand every message still held back to the queue at once.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const pending = yield* Queue.takeAll(acks)
        if (Chunk.isNonEmpty(pending)) yield* deleteIds(Chunk.toReadonlyArray(pending))
        if (held.size > 0) {
          const ids = [...held.keys()]
          held.clear()
          yield* sql`UPDATE effect_resilience_queue SET visible_at = now(), attempts = greatest(attempts - 1, 0)
                     WHERE id = ANY(${ids}::bigint[])`.pipe(
            Effect.tapError(logSqlError("queue_release_failed", queue)),
            Effect.ignore
          )
        }
      })
    )

    const release = (id: string, attempts: number) => (releaseOptions?: ReleaseOptions) =>
      Effect.suspend(() => {
        if (held.get(id) !== attempts) return Effect.void
        held.delete(id)
        const back = releaseOptions?.countAttempt === false ? 1 : 0
        return sql`UPDATE effect_resilience_queue
                   SET visible_at = now() + ${delayMillis(releaseOptions?.delay)} * interval '1 millisecond',
                       attempts = greatest(attempts - ${back}, 0)
                   WHERE id = ${id} AND attempts = ${attempts}`.pipe(
          Effect.tapError(logSqlError("queue_release_failed", queue)),
          Effect.ignore
        )
      })

    const toMessage = (row: Claimed): Message => {
      held.set(row.id, row.attempts)
      return {
        id: row.id,
        queue,
        payload: row.payload,
        attempts: row.attempts,
        enqueuedAt: row.enqueued_at,
        replayOf: row.replay_of ?? undefined,
        ack: Effect.sync(() => {
          held.delete(row.id)
          acks.unsafeOffer(row.id)
        }),
        release: release(row.id, row.attempts)
      }
    }

    const claimNext = claimWith(sql, queue, batchSize, leaseMillis).pipe(
      Effect.tapError(logSqlError("queue_claim_failed", queue)),
      // The queue's own failures (connection loss, restarts) are the consumer's to ride out.
      Effect.retry(infrastructureSchedule),
      Effect.orDie
    )
    return Stream.repeatEffectChunk(
      Effect.flatMap(claimNext, (rows) =>
        rows.length === 0
          ? Effect.as(Effect.sleep(poll), Chunk.empty<Message>())
          : Effect.succeed(Chunk.unsafeFromArray(rows.map(toMessage))))
    ).pipe(
      // Claim the next batch while this one is being handled: the round trip overlaps the work.
      Stream.bufferChunks({ capacity: 1 })
    )
  })

/** @internal */
export const source = (options: SourceOptions): Effect.Effect<Source, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (sql) => ({ queue: assertQueueName(options.queue), messages: makeStream(sql, options) }))

/** @internal */
export const layerSource = (options: SourceOptions): Layer.Layer<MessageSource, never, SqlClient.SqlClient> =>
  Layer.effect(MessageSource, source(options))
