/**
 * One way to put timeout, retry, circuit breaker and bulkhead around a call, in one fixed order,
 * built once per dependency and applied to many calls.
 *
 * **Details**
 *
 * The order, from the outside in:
 *
 * 1. **Bulkhead** — bounds the logical calls in flight, retries included, so a slow dependency
 *    cannot take every fiber of this process. A rejection (`BulkheadFull`) is immediate and is
 *    never retried or counted by the breaker: it is local saturation, not a failing dependency.
 * 2. **Retry** — transient failures only, jittered and bounded, budgeted when the retry policy
 *    has a budget. An open circuit (`CircuitOpen`) is not retried: the call fails fast, as the
 *    seed wants, and the caller's fallback or the boundary's `Retry-After` takes over. The retry
 *    log then says "retry stopped: circuit ... is open" (reason `circuit_open`).
 * 3. **Circuit breaker** — sees every attempt, so retries feed its failure count and an open
 *    circuit stops them.
 * 4. **Timeout** — per attempt, innermost, so a hanging attempt is interrupted and counted by the
 *    breaker as a (transient) `NetworkTimeout`, and the retry can try again.
 *
 * This is Polly v8's recommended order (concurrency limiter, retry, breaker, attempt timeout)
 * and the seed's (`@retry` over `@breaker` over a call with its own timeout). Fallbacks go
 * around the whole policy (see `Fallback.degrade`), never inside it.
 *
 * @since 0.1.0
 */
import type { Duration, Effect } from "effect"
import type * as Bulkhead from "./Bulkhead.js"
import type * as CircuitBreaker from "./CircuitBreaker.js"
import type * as Errors from "./Errors.js"
import * as internal from "./internal/policy.js"
import type * as Retry from "./Retry.js"

/**
 * Whether the policy retries, and how: `"idempotent"` (plain `apply`), `"non-idempotent"`
 * (only `applyWithKey`), or `"none"` (no retry).
 *
 * @example
 * ```ts
 * import type { Policy } from "effect-resilience"
 *
 * const kind: Policy.Idempotency = "non-idempotent"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Idempotency = internal.Idempotency

/**
 * The parts of a policy; every part is optional except the service name, which names timeouts.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 * import type { Policy } from "effect-resilience"
 *
 * const options: Policy.PolicyOptions<"idempotent"> = {
 *   service: "inventory",
 *   timeout: "2 seconds",
 *   retry: Retry.policy({ operation: "inventory.get", idempotent: true })
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface PolicyOptions<I extends Idempotency> {
  /** The dependency's name, used in `NetworkTimeout{service}`. */
  readonly service: string
  /** Per-attempt timeout. */
  readonly timeout?: Duration.DurationInput | undefined
  /** A retry policy from `Retry.policy`; its idempotency decides between `apply` and `applyWithKey`. */
  readonly retry?: (I extends "none" ? never : Retry.RetryPolicy<Exclude<I, "none">>) | undefined
  /** A breaker from `CircuitBreaker.make`, usually one per dependency, shared by all its calls. */
  readonly breaker?: CircuitBreaker.CircuitBreaker | undefined
  /** A bulkhead from `Bulkhead.make`. */
  readonly bulkhead?: Bulkhead.Bulkhead | undefined
}

/**
 * A composed policy: build it once per dependency, apply it to every call.
 *
 * @example
 * ```ts
 * import { Policy } from "effect-resilience"
 *
 * const bare: Policy.Policy<"none"> = Policy.make({ service: "inventory", timeout: "2 seconds" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy<I extends Idempotency = Idempotency> extends internal.Policy<I> {}

/**
 * The errors a policy adds to a call: a per-attempt timeout, an open circuit, a full bulkhead.
 * All three are transient.
 *
 * @example
 * ```ts
 * import type { Policy } from "effect-resilience"
 *
 * const code = (e: Policy.PolicyError) => e.code // "NETWORK_TIMEOUT" | "CIRCUIT_OPEN" | "BULKHEAD_FULL"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type PolicyError = Errors.NetworkTimeout | CircuitBreaker.CircuitOpen | Bulkhead.BulkheadFull

/**
 * Builds a policy from its parts.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Bulkhead, CircuitBreaker, Policy, Retry } from "effect-resilience"
 *
 * const inventoryPolicy = Effect.gen(function*() {
 *   return Policy.make({
 *     service: "inventory",
 *     timeout: "2 seconds",
 *     retry: Retry.policy({ operation: "inventory.get", idempotent: true, maxAttempts: 3 }),
 *     breaker: yield* CircuitBreaker.make({ name: "inventory", trip: CircuitBreaker.consecutiveFailures(5), breakDuration: "30 seconds" }),
 *     bulkhead: yield* Bulkhead.make({ name: "inventory", maxConcurrent: 20, maxQueue: 100 })
 *   })
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: <const I extends "idempotent" | "non-idempotent" = never>(
  options: PolicyOptions<I>
) => Policy<[I] extends [never] ? "none" : I> = internal.make

/**
 * Applies a policy (without retry, or with an idempotent retry) to a call.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors, Policy } from "effect-resilience"
 *
 * declare const getStock: (sku: string) => Effect.Effect<number, Errors.ServiceUnavailable | Errors.NotFound>
 * declare const policy: Policy.Policy<"idempotent">
 *
 * const stock = getStock("sku-1").pipe(Policy.apply(policy))
 * // Effect<number, ServiceUnavailable | NotFound | NetworkTimeout | CircuitOpen | BulkheadFull>
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const apply: {
  (policy: Policy<"idempotent" | "none">): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | PolicyError, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: Policy<"idempotent" | "none">): Effect.Effect<A, E | PolicyError, R>
} = internal.apply

/**
 * Applies a policy with a non-idempotent retry: every attempt is sent with the same idempotency
 * key, so the server can tell a retry from a new request (the seed: never retry POST /charge
 * without one).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors, Policy, Retry } from "effect-resilience"
 *
 * declare const postCharge: (body: { amount: number }, key: Retry.IdempotencyKey) => Effect.Effect<string, Errors.ServiceUnavailable>
 *
 * const chargePolicy = Policy.make({
 *   service: "payments",
 *   timeout: "5 seconds",
 *   retry: Retry.policy({ operation: "payments.charge", idempotent: false })
 * })
 *
 * const charge = Effect.flatMap(Retry.makeIdempotencyKey, (key) =>
 *   Policy.applyWithKey(chargePolicy, key, (k) => postCharge({ amount: 100 }, k)))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const applyWithKey: <A, E, R>(
  policy: Policy<"non-idempotent">,
  key: Retry.IdempotencyKey,
  call: (key: Retry.IdempotencyKey) => Effect.Effect<A, E, R>
) => Effect.Effect<A, E | PolicyError, R> = internal.applyWithKey
