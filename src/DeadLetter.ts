/**
 * The dead-letter queue: where messages go when they cannot be processed, so nothing is
 * silently dropped and nothing blocks the queue forever.
 *
 * The store keeps the seed's schema (queue, original message, error, error type, attempts,
 * first and last failure, metadata, created, replayed) plus the error code and category, the
 * message id (a redelivered message is stored once) and `replayOf`, the dead letter a replayed
 * message came from, so a message that fails again keeps its whole history.
 *
 * Backends: {@link layerMemory} here, `DeadLetter/Postgres` for production.
 *
 * @since 0.1.0
 */
import type { Effect, Layer, Metric } from "effect"
import type { SqlError } from "@effect/sql/SqlError"
import type { MigrationError } from "@effect/sql/Migrator"
import type { SqlClient } from "@effect/sql/SqlClient"
import * as internal from "./internal/deadLetter.js"
import { migrate as migrateTables } from "./internal/queueTables.js"

/**
 * `Transient`, `Permanent`, `Partial` or `Fatal` from the taxonomy, or `Unexpected` for
 * errors outside it and defects (bugs).
 *
 * @example
 * ```ts
 * import type { DeadLetter } from "effect-resilience"
 *
 * const c: DeadLetter.FailureCategory = "Unexpected"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type FailureCategory = internal.FailureCategory

/**
 * A dead letter to store. `payload` is the message's exact text: valid JSON is kept as
 * `jsonb`, anything else (malformed, oversized binary-ish text) as a JSON string plus the
 * exact text in `originalText`.
 *
 * @example
 * ```ts
 * import type { DeadLetter } from "effect-resilience"
 *
 * const now = new Date()
 * const dl: DeadLetter.NewDeadLetter = {
 *   queueName: "orders", payload: "{\"orderId\":1}", error: "order 1 not found", errorType: "NotFound",
 *   errorCode: "NOT_FOUND", errorCategory: "Permanent", attempts: 1, firstFailure: now, lastFailure: now
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface NewDeadLetter extends internal.NewDeadLetter {}

/**
 * A stored dead letter. `replayedAt` is set once a replay succeeded; `metadata.replay_failures`
 * lists replays that failed; `replayOf` points at the dead letter this message was replayed from.
 *
 * @example
 * ```ts
 * import type { DeadLetter } from "effect-resilience"
 *
 * const pending = (e: DeadLetter.Entry) => e.replayedAt === null
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry extends internal.Entry {}

/**
 * Selects dead letters: by ids, queue, error code, creation time range (`since` inclusive,
 * `until` exclusive), replayed or not, at most `limit` (list default 100, replay default 1000).
 *
 * @example
 * ```ts
 * import type { DeadLetter } from "effect-resilience"
 *
 * const lastHourInvalid: DeadLetter.Filter = { queue: "orders", code: "VALIDATION_ERROR", since: new Date(Date.now() - 3_600_000) }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Filter extends internal.Filter {}

/**
 * Count of dead letters per queue and code: `total`, and `pending` (not replayed).
 *
 * @example
 * ```ts
 * import type { DeadLetter } from "effect-resilience"
 *
 * const depth = (stats: ReadonlyArray<DeadLetter.Stat>) => stats.reduce((n, s) => n + s.pending, 0)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Stat extends internal.Stat {}

/**
 * What a replay did: ids replayed (marked `replayedAt`), and ids whose replay failed (left
 * pending, failure appended to `metadata.replay_failures`).
 *
 * @example
 * ```ts
 * import type { DeadLetter } from "effect-resilience"
 *
 * const ok = (r: DeadLetter.ReplayReport) => r.failed.length === 0
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ReplayReport extends internal.ReplayReport {}

/**
 * A replay target other than the source queue: it receives the entry and succeeds or fails.
 * In the Postgres store it runs inside the row's transaction.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { DeadLetter } from "effect-resilience"
 *
 * const reprocess: DeadLetter.Processor = (entry) => Effect.log(`reprocessing ${entry.id}`)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Processor = internal.Processor

/**
 * The store failed (e.g. the database is unreachable). Transient, `DLQ_STORE_FAILED`.
 *
 * @example
 * ```ts
 * import { DeadLetter, Errors } from "effect-resilience"
 *
 * Errors.isTransient(new DeadLetter.DeadLetterStoreFailed({ operation: "send", reason: "connection refused" })) // true
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const DeadLetterStoreFailed: typeof internal.DeadLetterStoreFailed = internal.DeadLetterStoreFailed

/**
 * @since 0.1.0
 * @category errors
 */
export type DeadLetterStoreFailed = internal.DeadLetterStoreFailed

/**
 * What the store's operations fail with: {@link DeadLetterStoreFailed} when the failure may pass
 * (a lost connection, a restart: retry it), or, from the Postgres store, the typed `PgError` of a
 * store that cannot work as configured (a missing table is `UndefinedObject`, a missing grant
 * `InsufficientPrivilege`): no retry fixes those, so the consumer stops instead.
 *
 * @example
 * ```ts
 * import { DeadLetter, Errors } from "effect-resilience"
 *
 * const retryable = (e: DeadLetter.StoreError) => Errors.isTransient(e)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export type StoreError = internal.StoreError

/**
 * The store's operations: `send`, `sendAll` (a batch, ids in order: one statement with the
 * Postgres store; the consumer writes its dead letters this way), `list`, `get`, `history` (an
 * entry and the dead letters it was replayed from, newest first), `stats`, `purge`, and `replay`
 * (to the source queue, or through a processor).
 *
 * **Details**
 *
 * `send` and `sendAll` are idempotent per `(queueName, messageId)`: a message dead-lettered again
 * (redelivered after a crash) resolves to its existing row. A store wrapper that counts or gates
 * writes must wrap both.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DeadLetter } from "effect-resilience"
 *
 * const replayOrders = Effect.flatMap(DeadLetter.DeadLetter, (dlq) => dlq.replay({ queue: "orders", limit: 100 }))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export interface DeadLetterQueue extends internal.DeadLetterQueue {}

/**
 * The dead-letter store as a service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DeadLetter } from "effect-resilience"
 *
 * const depth = Effect.flatMap(DeadLetter.DeadLetter, (dlq) => dlq.stats({ queue: "orders" }))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export const DeadLetter: typeof internal.DeadLetter = internal.DeadLetter

/**
 * @since 0.1.0
 * @category services
 */
export type DeadLetter = internal.DeadLetter

/**
 * An in-memory store with the Postgres store's semantics, for tests. `requeue` is where
 * `replay` sends entries when no processor is given.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DeadLetter } from "effect-resilience"
 *
 * const store = DeadLetter.makeMemory({ requeue: (entry) => Effect.log(`requeue ${entry.id}`) })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: (options?: { readonly requeue?: Processor | undefined }) => Effect.Effect<DeadLetterQueue> =
  internal.makeMemory

/**
 * {@link makeMemory} as a layer.
 *
 * @example
 * ```ts
 * import { DeadLetter } from "effect-resilience"
 *
 * const TestDeadLetters = DeadLetter.layerMemory()
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: (options?: { readonly requeue?: Processor | undefined }) => Layer.Layer<DeadLetter> =
  internal.layerMemory

/**
 * Gauge `effect_resilience_dlq_depth`, tagged `queue`: dead letters not yet replayed. Set by
 * {@link monitor}.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { DeadLetter } from "effect-resilience"
 *
 * const orders = Metric.value(Metric.tagged(DeadLetter.depthGauge, "queue", "orders"))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const depthGauge: Metric.Metric.Gauge<number> = internal.depthGauge

/**
 * An alert from {@link monitor}: a queue's depth reached the threshold, or grew by at least
 * `growth.count` within `growth.window`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { DeadLetter } from "effect-resilience"
 *
 * const page = (alert: DeadLetter.Alert) => Effect.logError(`DLQ ${alert.queueName}: ${alert.reason} at ${alert.depth}`)
 * ```
 *
 * @since 0.1.0
 * @category monitoring
 */
export interface Alert extends internal.Alert {}

/**
 * Monitor options: poll `interval` (default 30 s), depth `threshold` (default 100), optional
 * `growth` rule, and `onAlert` (default: an error log line `dead_letter_queue_alert`).
 *
 * @example
 * ```ts
 * import type { DeadLetter } from "effect-resilience"
 *
 * const options: DeadLetter.MonitorOptions = { interval: "10 seconds", threshold: 50, growth: { count: 20, window: "5 minutes" } }
 * ```
 *
 * @since 0.1.0
 * @category monitoring
 */
export interface MonitorOptions extends internal.MonitorOptions {}

/**
 * Watches the store: sets {@link depthGauge} per queue on every tick and calls `onAlert`
 * when a queue crosses the threshold or grows too fast. An alert fires when its condition
 * becomes true, not on every tick, and re-arms once the condition clears. Runs forever: fork it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DeadLetter } from "effect-resilience"
 *
 * const watch = DeadLetter.monitor({
 *   threshold: 100,
 *   growth: { count: 20, window: "5 minutes" },
 *   onAlert: (alert) => Effect.logError(`page on-call: ${alert.queueName} ${alert.reason}`)
 * }).pipe(Effect.forkScoped)
 * ```
 *
 * @since 0.1.0
 * @category monitoring
 */
export const monitor: (options?: MonitorOptions) => Effect.Effect<never, never, DeadLetter> = internal.monitor

/**
 * Creates or upgrades the queue and dead-letter tables (`effect_resilience_queue`,
 * `effect_resilience_queue_keys`, `effect_resilience_dead_letters`) with @effect/sql's
 * Migrator, tracked in `effect_resilience_migrations`. Same as `PgQueue.migrate`.
 *
 * @example
 * ```ts
 * import { DeadLetter } from "effect-resilience"
 *
 * const setup = DeadLetter.migrate // Effect<void, MigrationError | SqlError, SqlClient>
 * ```
 *
 * @since 0.1.0
 * @category migrations
 */
export const migrate: Effect.Effect<void, MigrationError | SqlError, SqlClient> = migrateTables
