/**
 * Timeouts that interrupt the call and fail with the taxonomy's `Errors.NetworkTimeout`
 * (transient, `NETWORK_TIMEOUT`, 504), so a retry or a breaker downstream sees an ordinary
 * transient failure. The seed: "Always set a timeout on the underlying call. Retry logic without
 * a timeout just stacks up hanging connections."
 *
 * @since 0.1.0
 */
import type { Duration, Effect } from "effect"
import type { NetworkTimeout } from "./Errors.js"
import * as internal from "./internal/timeout.js"

/**
 * Options of {@link timeout}.
 *
 * - `service`: named in the `NetworkTimeout` error.
 * - `duration`: how long the call may take.
 * - `disconnect` (default `false`): by default the caller waits until the interrupted call has
 *   run its finalizers (connections are really released before anything else happens). With
 *   `true` the caller gets `NetworkTimeout` at the deadline and the interruption finishes in the
 *   background, for calls whose clean-up may itself hang.
 *
 * @example
 * ```ts
 * import { Timeout } from "effect-resilience"
 *
 * const options: Timeout.TimeoutOptions = { service: "inventory", duration: "5 seconds" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TimeoutOptions extends internal.TimeoutOptions {}

/**
 * Fails with `NetworkTimeout{service, timeout}` when `self` takes longer than `duration`, and
 * interrupts `self` (its finalizers run). A result that arrives as the timer fires wins.
 *
 * **Details**
 *
 * The call runs in a child fiber that the caller awaits; the timer is a plain `setTimeout` with
 * Effect's live Clock, and a fiber sleeping on the Clock otherwise, so `TestClock` drives it in
 * tests. That is one fork per call instead of `Effect.timeout`'s race of two fibers (about 3x
 * cheaper on success, see bench/retry.bench.ts). As with any fork, `FiberRef` changes made inside
 * the call do not flow back to the caller.
 *
 * **Example**
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Timeout } from "effect-resilience"
 *
 * const slow = Effect.sleep("1 minute").pipe(Effect.as("stock"))
 *
 * const program = slow.pipe(Timeout.timeout({ service: "inventory", duration: "5 seconds" }))
 * // Effect<string, Errors.NetworkTimeout>
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const timeout: {
  (options: TimeoutOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | NetworkTimeout, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: TimeoutOptions): Effect.Effect<A, E | NetworkTimeout, R>
} = internal.timeout

/**
 * A duration as accepted by {@link TimeoutOptions}.
 *
 * @example
 * ```ts
 * import { Timeout } from "effect-resilience"
 *
 * const d: Timeout.DurationInput = "250 millis"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type DurationInput = Duration.DurationInput
