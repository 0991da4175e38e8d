/**
 * Fault injection for tests and demos: make any effect fail, die or slow down on purpose,
 * with the randomness and time of Effect's `Random` and `Clock`, so a seeded `Random` and
 * `TestClock` make every run reproducible.
 *
 * For a misbehaving HTTP dependency on loopback see `effect-resilience/Chaos/HttpUpstream`.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import * as internal from "./internal/chaos.js"

/**
 * What to inject: a failure rate with the error to fail with, a defect rate, and latency
 * (fixed plus random jitter).
 *
 * @example
 * ```ts
 * import { Chaos, Errors } from "effect-resilience"
 *
 * const faults: Chaos.Faults<Errors.ServiceUnavailable> = {
 *   failureRate: 0.3,
 *   error: () => new Errors.ServiceUnavailable({ service: "payments" }),
 *   latency: "20 millis"
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Faults<E> extends internal.Faults<E> {}

/**
 * Runs `self` through the faults: first the latency, then one roll of `Random.next` decides
 * whether the call fails (`roll < failureRate`), dies (`roll < failureRate + defectRate`) or
 * runs. Rates outside [0, 1] are rejected when the combinator is built.
 *
 * @example
 * ```ts
 * import { Effect, Random } from "effect"
 * import { Chaos, Errors } from "effect-resilience"
 *
 * const flakyCharge = Effect.succeed({ charged: true }).pipe(
 *   Chaos.inject({ failureRate: 0.3, error: () => new Errors.ServiceUnavailable({ service: "payments" }) })
 * )
 *
 * // Reproducible: the same seed gives the same sequence of failures.
 * const run = flakyCharge.pipe(Effect.withRandom(Random.make("seed-1")))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const inject: {
  <E2>(faults: Faults<E2>): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | E2, R>
  <A, E, R, E2>(self: Effect.Effect<A, E, R>, faults: Faults<E2>): Effect.Effect<A, E | E2, R>
} = internal.inject
