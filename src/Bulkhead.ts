/**
 * A bulkhead: at most `maxConcurrent` calls in flight and at most `maxQueue` waiting for a slot;
 * every other call fails at once with a typed `BulkheadFull` (transient, `BULKHEAD_FULL`, 503).
 * One slow dependency then cannot take every connection, fiber or socket of the process with it.
 * Waiters are served first come, first served; an interrupted call, waiting or running, always
 * gives its slot back.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { Metric } from "effect"
import * as internal from "./internal/bulkhead.js"

/**
 * The rejection of a full bulkhead. Transient (`BULKHEAD_FULL`, HTTP 503): the caller may retry
 * later or degrade.
 *
 * @example
 * ```ts
 * import { Bulkhead } from "effect-resilience"
 *
 * new Bulkhead.BulkheadFull({ name: "payments", maxConcurrent: 10, maxQueue: 50 }).code // "BULKHEAD_FULL"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const BulkheadFull: typeof internal.BulkheadFull = internal.BulkheadFull

/**
 * @since 0.1.0
 * @category errors
 */
export type BulkheadFull = internal.BulkheadFull

/**
 * Options of a bulkhead.
 *
 * - `name`: named in errors and the metrics' `bulkhead` tag.
 * - `maxConcurrent`: calls allowed in flight at once (K, a positive integer).
 * - `maxQueue` (default 0): calls allowed to wait for a slot (Q); the next one is rejected.
 *
 * @example
 * ```ts
 * import { Bulkhead } from "effect-resilience"
 *
 * const options: Bulkhead.BulkheadOptions = { name: "payments", maxConcurrent: 10, maxQueue: 50 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface BulkheadOptions extends internal.BulkheadOptions {}

/**
 * A snapshot: calls in flight, calls waiting, calls rejected since creation.
 *
 * @example
 * ```ts
 * import { Bulkhead } from "effect-resilience"
 *
 * const idle: Bulkhead.Stats = { inFlight: 0, queued: 0, rejected: 0 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats extends internal.Stats {}

/**
 * A bulkhead, shared by every call it protects.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Bulkhead } from "effect-resilience"
 *
 * const program = Effect.gen(function*() {
 *   const bulkhead: Bulkhead.Bulkhead = yield* Bulkhead.make({ name: "payments", maxConcurrent: 10 })
 *   return yield* bulkhead.run(Effect.succeed("charged"))
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Bulkhead extends internal.Bulkhead {}

/**
 * Creates a bulkhead. Throws a `RangeError` if `maxConcurrent` is not a positive integer or
 * `maxQueue` not a non-negative one.
 *
 * @example
 * ```ts
 * import { Bulkhead } from "effect-resilience"
 *
 * const payments = Bulkhead.make({ name: "payments", maxConcurrent: 10, maxQueue: 50 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: BulkheadOptions) => Effect.Effect<Bulkhead> = internal.make

/**
 * Creates a bulkhead outside an effect, e.g. at module level.
 *
 * @example
 * ```ts
 * import { Bulkhead } from "effect-resilience"
 *
 * export const search = Bulkhead.unsafeMake({ name: "search", maxConcurrent: 4, maxQueue: 16 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: (options: BulkheadOptions) => Bulkhead = internal.unsafeMake

/**
 * Runs an effect inside a bulkhead: at once if a slot is free, after waiting if the queue has
 * room, otherwise failing with {@link BulkheadFull} without running it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Bulkhead } from "effect-resilience"
 *
 * const payments = Bulkhead.unsafeMake({ name: "payments", maxConcurrent: 10, maxQueue: 50 })
 * const charge = Effect.succeed("charged").pipe(Bulkhead.withBulkhead(payments))
 * // Effect<string, Bulkhead.BulkheadFull>
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withBulkhead: {
  (bulkhead: Bulkhead): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | BulkheadFull, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, bulkhead: Bulkhead): Effect.Effect<A, E | BulkheadFull, R>
} = internal.withBulkhead

/**
 * The metrics every bulkhead updates, tagged `bulkhead=<name>`:
 * `effect_resilience_bulkhead_in_flight` and `effect_resilience_bulkhead_queued` (gauges) and
 * `effect_resilience_bulkhead_rejected_total` (counter).
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Bulkhead } from "effect-resilience"
 *
 * const rejected = Metric.value(Metric.tagged(Bulkhead.metrics.rejected, "bulkhead", "payments"))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics: {
  readonly inFlight: Metric.Metric.Gauge<number>
  readonly queued: Metric.Metric.Gauge<number>
  readonly rejected: Metric.Metric.Counter<number>
} = {
  inFlight: internal.inFlightGauge,
  queued: internal.queuedGauge,
  rejected: internal.rejectedTotal
}
