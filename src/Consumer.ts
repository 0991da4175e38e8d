/**
 * A queue consumer with a dead-letter queue: decode each message with a Schema, run the
 * handler, and let the error taxonomy decide what happens.
 *
 * | outcome                                   | what the consumer does                                  |
 * | ----------------------------------------- | ------------------------------------------------------- |
 * | success                                   | ack                                                     |
 * | malformed JSON, schema-invalid, oversized | dead letter at once, `VALIDATION_ERROR`, attempts 1     |
 * | permanent or partial error                | dead letter at once, the error's code, attempts 1       |
 * | transient error                           | retry on the schedule; exhausted: dead letter, all attempts |
 * | error outside the taxonomy, or a defect   | dead letter as `Unexpected`; the consumer keeps going   |
 * | fatal error                               | release the message, then crash (fail fast)             |
 * | interrupted (shutdown)                    | release the message: it is redelivered at once          |
 *
 * A message is acked only after its outcome is recorded: if the dead-letter store is down
 * the message goes back to the queue. Nothing is dropped.
 *
 * @since 0.1.0
 */
import type { Effect, Metric, Schedule } from "effect"
import type * as Errors from "./Errors.js"
import type { DeadLetter } from "./internal/deadLetter.js"
import * as internal from "./internal/consumer.js"

/**
 * How a message goes back to its queue: after `delay` (default at once), and whether the
 * delivery counts as an attempt (default yes; shutdown releases do not count).
 *
 * @example
 * ```ts
 * import { Consumer } from "effect-resilience"
 *
 * const later: Consumer.ReleaseOptions = { delay: "5 seconds", countAttempt: false }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ReleaseOptions extends internal.ReleaseOptions {}

/**
 * One delivery of a message: its raw text payload, how many times it has been delivered
 * (`attempts`, 1 on the first delivery), and the source's `ack` / `release`. `ack` and
 * `release` never fail: a lost ack means the lease expires and the message comes back.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { Consumer } from "effect-resilience"
 *
 * const describe = (m: Consumer.Message) => Effect.log(`${m.queue}#${m.id} delivery ${m.attempts}`)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Message extends internal.Message {}

/**
 * A message source: a queue name and a Stream of deliveries. The source owns its transient
 * infrastructure failures (reconnects, retries of its claims); the stream fails only with a
 * {@link SourceError} it cannot ride out, such as a missing table.
 *
 * @example
 * ```ts
 * import { Stream } from "effect"
 * import type { Consumer } from "effect-resilience"
 *
 * const empty: Consumer.Source = { queue: "orders", messages: Stream.empty }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Source extends internal.Source {}

/**
 * Why a consumer stopped on its own: a permanent or fatal infrastructure error of its source or
 * of the dead-letter store (with a Postgres backend, the translated `PgError`: a missing table
 * is `UndefinedObject`, a missing grant `InsufficientPrivilege`). Retrying would not help.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors, type Consumer } from "effect-resilience"
 *
 * const report = (e: Consumer.SourceError) => Effect.logError(`consumer stopped: ${Errors.codeOf(e)}`)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export type SourceError = internal.SourceError

/**
 * The message source a consumer reads, as a service: `PgQueue.layerSource` for Postgres,
 * {@link makeMemorySource} for tests, or your own broker adapter.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Consumer } from "effect-resilience"
 *
 * const memory = Layer.effect(Consumer.MessageSource, Consumer.makeMemorySource("orders"))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export const MessageSource: typeof internal.MessageSource = internal.MessageSource

/**
 * @since 0.1.0
 * @category services
 */
export type MessageSource = internal.MessageSource

/**
 * An in-memory source with queue semantics (ack, release with delay, attempt counting) for
 * unit tests. `end` finishes the stream once everything offered has been delivered.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Consumer } from "effect-resilience"
 *
 * const program = Effect.gen(function*() {
 *   const source = yield* Consumer.makeMemorySource("orders")
 *   yield* source.offerJson({ orderId: 1 })
 *   yield* source.offer("{not json")
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface MemorySource extends internal.MemorySource {}

/**
 * Creates an in-memory message source.
 *
 * @example
 * ```ts
 * import { Consumer } from "effect-resilience"
 *
 * const source = Consumer.makeMemorySource("orders") // Effect<MemorySource>
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemorySource: (queue: string) => Effect.Effect<MemorySource> = internal.makeMemorySource

/**
 * What a consumer needs: the message `schema` (decoded from the JSON payload), the
 * `handler`, and optionally `concurrency` (default 10), the retry `schedule` for transient
 * failures (default {@link defaultSchedule}), `maxPayloadBytes` (default 256 KiB) and
 * `maxDeliveries` (default 10: a message redelivered more often, because the process handling
 * it keeps dying, is dead-lettered as `MAX_DELIVERIES_EXCEEDED`) and `maxPendingDeadLetters`
 * (default 256: dead letters waiting for the store before failing workers wait, see
 * {@link defaultMaxPendingDeadLetters}).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import type { Consumer } from "effect-resilience"
 *
 * const Order = Schema.Struct({ orderId: Schema.Number })
 * const options: Consumer.ConsumerOptions<typeof Order.Type, typeof Order.Encoded, never, never> = {
 *   schema: Order,
 *   handler: (order) => Effect.log(`order ${order.orderId}`),
 *   concurrency: 4
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ConsumerOptions<A, I, E, R> extends internal.ConsumerOptions<A, I, E, R> {}

/**
 * Runs a consumer until its source ends (a Postgres source never does) or it is interrupted.
 *
 * **Details**
 *
 * Concurrency is bounded by `concurrency`: that many workers share each chunk the source
 * delivers, without a fiber per message. It fails only with a {@link SourceError} (the message
 * at hand is released first). On interrupt, in-flight handlers are interrupted
 * and their messages released (they do not count as an attempt); the source then hands back
 * whatever it still holds. Each outcome is logged with `queue`, `message_id`, `delivery` and
 * `event` annotations (`processed` at debug, `retry` and `dead_lettered` at warning,
 * unexpected failures at error) and counted in {@link processedTotal}, {@link retriedTotal},
 * {@link deadLetteredTotal} (by `code`) and {@link inFlight}.
 *
 * **Example**
 *
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Consumer, DeadLetter, Errors } from "effect-resilience"
 *
 * const Order = Schema.Struct({ orderId: Schema.Number })
 *
 * const consumer = Consumer.run({
 *   schema: Order,
 *   handler: (order) =>
 *     order.orderId < 0
 *       ? Effect.fail(new Errors.ValidationFailed({ field: "orderId", reason: "negative" }))
 *       : Effect.log(`shipped ${order.orderId}`)
 * })
 *
 * const program = Effect.gen(function*() {
 *   const source = yield* Consumer.makeMemorySource("orders")
 *   yield* source.offerJson({ orderId: 1 })
 *   yield* source.offerJson({ orderId: -1 })
 *   yield* source.end
 *   yield* consumer.pipe(Effect.provideService(Consumer.MessageSource, source))
 * }).pipe(Effect.provide(DeadLetter.layerMemory()))
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const run: <A, I, E, R>(
  options: ConsumerOptions<A, I, E, R>
) => Effect.Effect<void, SourceError, R | MessageSource | DeadLetter> = internal.run

/**
 * The default retry schedule for transient failures, built with `Retry.exponential`: 100 ms
 * doubling plus up to 100 ms of jitter, each wait capped at 5 s, at most 4 retries (5
 * attempts). A `retryAfter` on the error (e.g. `RateLimited`) is honoured when it asks for
 * longer.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import { Consumer } from "effect-resilience"
 *
 * const patient = Consumer.defaultSchedule.pipe(Schedule.union(Schedule.recurs(10)))
 * ```
 *
 * @since 0.1.0
 * @category retry
 */
export const defaultSchedule: Schedule.Schedule<unknown, Errors.Transient> = internal.defaultSchedule

/**
 * Payloads larger than this (UTF-8 bytes) are dead-lettered as `VALIDATION_ERROR` unread.
 *
 * @example
 * ```ts
 * import { Consumer } from "effect-resilience"
 *
 * Consumer.defaultMaxPayloadBytes // 262144
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxPayloadBytes: number = internal.defaultMaxPayloadBytes

/**
 * Deliveries after which a message that never reached an outcome is dead-lettered.
 *
 * @example
 * ```ts
 * import { Consumer } from "effect-resilience"
 *
 * Consumer.defaultMaxDeliveries // 10
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxDeliveries: number = internal.defaultMaxDeliveries

/**
 * Dead letters a consumer lets wait for its store (queued or being written) before a failing
 * worker waits for room.
 *
 * **Details**
 *
 * Every pending dead letter's message stays held (leased) until its row is written, so the
 * bound caps what a slow or unreachable store can pile up. It sits well above a burst of
 * failures: a bound near the worker count stalled every worker whenever a handful of
 * consecutive messages failed while one write was out.
 *
 * @example
 * ```ts
 * import { Consumer } from "effect-resilience"
 *
 * Consumer.defaultMaxPendingDeadLetters // 256
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxPendingDeadLetters: number = internal.defaultMaxPendingDeadLetters

/**
 * Counter `effect_resilience_consumer_processed_total`, tagged `queue`.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Consumer } from "effect-resilience"
 *
 * const value = Metric.value(Metric.tagged(Consumer.processedTotal, "queue", "orders"))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const processedTotal: Metric.Metric.Counter<number> = internal.processedTotal

/**
 * Counter `effect_resilience_consumer_retried_total`, tagged `queue`.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Consumer } from "effect-resilience"
 *
 * const value = Metric.value(Metric.tagged(Consumer.retriedTotal, "queue", "orders"))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const retriedTotal: Metric.Metric.Counter<number> = internal.retriedTotal

/**
 * Counter `effect_resilience_consumer_dead_lettered_total`, tagged `queue` and `code`.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Consumer } from "effect-resilience"
 *
 * const invalid = Metric.tagged(Metric.tagged(Consumer.deadLetteredTotal, "queue", "orders"), "code", "VALIDATION_ERROR")
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const deadLetteredTotal: Metric.Metric.Counter<number> = internal.deadLetteredTotal

/**
 * Gauge `effect_resilience_consumer_in_flight`, tagged `queue`.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Consumer } from "effect-resilience"
 *
 * const value = Metric.value(Metric.tagged(Consumer.inFlight, "queue", "orders"))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const inFlight: Metric.Metric.Gauge<number> = internal.inFlightGauge
