/**
 * Retries that only ever see transient errors, with the seed's jittered exponential backoff:
 *
 *   delay = min(base * 2^attempt + random(0, jitter), maxDelay)   (attempt is 0-indexed)
 *
 * Attempts are always bounded and delays always capped. A server's `Retry-After` is honoured,
 * a line is logged before every sleep, a shared {@link RetryBudget} stops a fleet from turning a
 * blip into a retry storm, and a non-idempotent operation can only be retried with an
 * idempotency key. A call that succeeds on its first try pays for one failure handler, nothing
 * else: the schedule only starts after a failure.
 *
 * @since 0.1.0
 */
import type { Duration, Effect, Layer, LogLevel, Metric, Schedule } from "effect"
import type * as Errors from "./Errors.js"
import * as internal from "./internal/retry.js"

// --- schedules ------------------------------------------------------------------

/**
 * Options of the backoff schedules.
 *
 * - `base` (default 500 ms): the first delay before jitter.
 * - `maxDelay` (default 30 s): no delay is ever longer.
 * - `jitter` (default `base`): each delay adds `random(0, jitter)` so clients desynchronise.
 * - `maxAttempts` (default 4): total attempts including the first, so at most 3 retries.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * const options: Retry.BackoffOptions = { base: "1 second", maxDelay: "60 seconds", jitter: "5 seconds", maxAttempts: 5 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface BackoffOptions extends internal.BackoffOptions {}

/**
 * The defaults: 500 ms base, 30 s cap, 4 attempts, jitter equal to the base.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Retry } from "effect-resilience"
 *
 * Duration.toMillis(Retry.defaults.base) // 500
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: {
  readonly base: Duration.Duration
  readonly maxDelay: Duration.Duration
  readonly maxAttempts: number
} = internal.defaults

/**
 * The seed's backoff as a `Schedule`: retry `n` (0-indexed) waits
 * `min(base * 2^n + random(0, jitter), maxDelay)`, and the schedule stops after
 * `maxAttempts - 1` retries. Randomness comes from Effect's `Random` service, so
 * `Effect.withRandom(Random.make(seed))` makes a run reproducible. Delays are rounded to whole
 * milliseconds. Outputs each delay.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "effect-resilience"
 *
 * // Usable on its own with Effect.retry, though Retry.retry adds the transient-only rule.
 * const flaky = Effect.fail("boom").pipe(Effect.retry(Retry.exponential({ base: "100 millis", maxAttempts: 3 })))
 * ```
 *
 * @since 0.1.0
 * @category schedules
 */
export const exponential: (options?: BackoffOptions) => Schedule.Schedule<Duration.Duration, unknown> =
  internal.exponential

/**
 * "Decorrelated jitter" (AWS architecture blog): each delay is
 * `min(maxDelay, random(base, previous * 3))`, starting from `previous = base`. It spreads
 * clients further apart than plain exponential jitter while keeping the same bounds: every delay
 * lies in `[base, maxDelay]`, and the schedule stops after `maxAttempts - 1` retries.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * const schedule = Retry.decorrelated({ base: "200 millis", maxDelay: "10 seconds" })
 * ```
 *
 * @since 0.1.0
 * @category schedules
 */
export const decorrelated: (options?: BackoffOptions) => Schedule.Schedule<Duration.Duration, unknown> =
  internal.decorrelated

// --- budget -----------------------------------------------------------------------

/**
 * Options of a retry budget.
 *
 * - `ratio` (default 0.2): retries may add at most this fraction to the request rate; every
 *   request deposits `ratio` tokens, every retry spends one.
 * - `minPerSecond` (default 10): a floor that refills with time, so a quiet service can still
 *   retry.
 * - `capacity` (default `10 * minPerSecond`): the most tokens saved up, which bounds the burst
 *   of retries after a long healthy period.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * const options: Retry.BudgetOptions = { ratio: 0.1, minPerSecond: 5 }
 * ```
 *
 * @since 0.1.0
 * @category budget
 */
export interface BudgetOptions extends internal.BudgetOptions {}

/**
 * A token bucket shared by every call of one or more policies. When it is spent, a transient
 * failure is returned at once instead of retried, and counted in
 * `effect_resilience_retry_budget_refused_total`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "effect-resilience"
 *
 * const tokens = Effect.flatMap(Retry.makeBudget(), (budget) => budget.balance)
 * ```
 *
 * @since 0.1.0
 * @category budget
 */
export interface RetryBudget extends internal.RetryBudget {}

/**
 * Creates a retry budget. Share one value across all the calls it should protect (one per
 * dependency, or one per process).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "effect-resilience"
 *
 * const program = Effect.gen(function*() {
 *   const budget = yield* Retry.makeBudget({ ratio: 0.2, minPerSecond: 10 })
 *   return Retry.policy({ operation: "inventory.get", idempotent: true, budget })
 * })
 * ```
 *
 * @since 0.1.0
 * @category budget
 */
export const makeBudget: (options?: BudgetOptions) => Effect.Effect<RetryBudget> = internal.makeBudget

/**
 * Creates a retry budget outside an effect, e.g. at module level.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * export const paymentsBudget = Retry.unsafeMakeBudget({ ratio: 0.1 })
 * ```
 *
 * @since 0.1.0
 * @category budget
 */
export const unsafeMakeBudget: (options?: BudgetOptions) => RetryBudget = internal.unsafeMakeBudget

/**
 * The process-wide retry budget as a service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "effect-resilience"
 *
 * const policy = Effect.map(Retry.Budget, (budget) => Retry.policy({ operation: "users.get", idempotent: true, budget }))
 * ```
 *
 * @since 0.1.0
 * @category budget
 */
export const Budget: typeof internal.Budget = internal.Budget

/**
 * @since 0.1.0
 * @category budget
 */
export type Budget = internal.Budget

/**
 * Provides one {@link Budget} for the whole application.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * const BudgetLive = Retry.layerBudget({ ratio: 0.2, minPerSecond: 10 })
 * ```
 *
 * @since 0.1.0
 * @category budget
 */
export const layerBudget: (options?: BudgetOptions) => Layer.Layer<Budget> = internal.layerBudget

// --- idempotency ------------------------------------------------------------------

/**
 * A key the server uses to recognise a repeated request (`Idempotency-Key` header, a unique
 * column): 1-255 characters, no surrounding spaces. `Retry.IdempotencyKey("order-7-charge")`
 * checks and brands a string, throwing on an invalid one.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * const key = Retry.IdempotencyKey("order-7-charge")
 * ```
 *
 * @since 0.1.0
 * @category idempotency
 */
export const IdempotencyKey: typeof internal.IdempotencyKey = internal.IdempotencyKey

/**
 * @since 0.1.0
 * @category idempotency
 */
export type IdempotencyKey = internal.IdempotencyKey

/**
 * A fresh random idempotency key (a UUID). Create it once per logical operation, before the
 * first attempt, so every retry sends the same key.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Retry } from "effect-resilience"
 *
 * const key = Effect.runSync(Retry.makeIdempotencyKey)
 * ```
 *
 * @since 0.1.0
 * @category idempotency
 */
export const makeIdempotencyKey: Effect.Effect<IdempotencyKey> = internal.makeIdempotencyKey

/**
 * The defect raised when a non-idempotent policy reaches a retry without a key — only possible
 * by casting the types away. Fatal, `IDEMPOTENCY_KEY_REQUIRED`: the call is never sent.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * new Retry.IdempotencyKeyRequired({ operation: "payments.charge" }).code // "IDEMPOTENCY_KEY_REQUIRED"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const IdempotencyKeyRequired: typeof internal.IdempotencyKeyRequired = internal.IdempotencyKeyRequired

/**
 * @since 0.1.0
 * @category errors
 */
export type IdempotencyKeyRequired = internal.IdempotencyKeyRequired

// --- policies ---------------------------------------------------------------------

/**
 * Whether an operation may be repeated without effect: `"idempotent"` (GET, PUT, a read) or
 * `"non-idempotent"` (POST /charge). The compiler tracks it on a policy.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * const i: Retry.Idempotency = "non-idempotent"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Idempotency = internal.Idempotency

/**
 * Options of a retry policy: the {@link BackoffOptions} plus
 *
 * - `operation` (required): named in every log line and metric.
 * - `idempotent` (required): `false` means the policy can only be used through
 *   {@link retryWithKey}. There is no default on purpose: someone must decide.
 * - `backoff`: `"exponential"` (default) or `"decorrelated"`.
 * - `schedule`: your own `Schedule` (its input is the transient error) instead; `maxAttempts`
 *   and `maxDelay` still bound it.
 * - `budget`: a shared {@link RetryBudget}; without one, retries are bounded per call only.
 * - `logLevel` (default `"Info"`): level of the line logged before each sleep and of the line
 *   that says why the retrying ended.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * const options: Retry.PolicyOptions<true> = { operation: "users.get", idempotent: true, maxAttempts: 5 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface PolicyOptions<I extends boolean> extends internal.PolicyOptions<I> {}

/**
 * A retry policy, built once per dependency or operation and applied to many calls.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * const getUser: Retry.RetryPolicy<"idempotent"> = Retry.policy({ operation: "users.get", idempotent: true })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicy<I extends Idempotency = Idempotency> extends internal.RetryPolicy<I> {}

/**
 * Builds a retry policy. Throws a `RangeError` on a non-positive or non-integer `maxAttempts`
 * or an infinite/negative duration: unbounded retries are refused at construction.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * const getStock = Retry.policy({ operation: "inventory.get", idempotent: true, maxAttempts: 3, maxDelay: "15 seconds" })
 * const charge = Retry.policy({ operation: "payments.charge", idempotent: false }) // needs Retry.retryWithKey
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const policy: <const I extends boolean>(
  options: PolicyOptions<I>
) => RetryPolicy<I extends true ? "idempotent" : "non-idempotent"> = internal.policy

/**
 * Retries the transient failures of an effect under an idempotent policy; every other failure
 * (permanent, partial, fatal, errors outside the taxonomy), every defect and interruption
 * passes through at once with its original cause, without sleeping.
 *
 * **Details**
 *
 * Before each sleep one line is logged with `operation`, `attempt`, `delay_ms` and
 * `error_code`, and `effect_resilience_retries_total{operation, code}` is incremented. When the
 * retrying ends on a failure, one more line says why, with a `reason` annotation: `exhausted`
 * ("attempts exhausted (4 of 4)", only when every attempt was used), `schedule_done` (your own
 * schedule ended first), `retry_after_exceeds_max_delay`, `budget_spent`, `not_transient`
 * ("not retried: NOT_FOUND is not transient"), or `circuit_open` (under `Policy`). A failure
 * that was never a candidate (a permanent error or an open circuit on the first attempt) logs
 * that line at Debug only, since the boundary logs the failure itself. A
 * `RateLimited{retryAfter}` makes the next delay at least `retryAfter`; a `retryAfter` beyond
 * `maxDelay` ends the retries instead. When the policy's budget is spent, the failure is returned
 * as it is. The error type does not change: what comes out is the last failure.
 *
 * The success path costs one failure handler (and one deposit into the budget, if any).
 *
 * **Example**
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Errors, Retry } from "effect-resilience"
 *
 * const getStock = Retry.policy({ operation: "inventory.get", idempotent: true })
 *
 * const stock = (sku: string): Effect.Effect<number, Errors.ServiceUnavailable | Errors.NotFound> =>
 *   Effect.fail(new Errors.ServiceUnavailable({ service: "inventory" }))
 *
 * const program = stock("sku-1").pipe(Retry.retry(getStock)) // NotFound is never retried
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry: {
  (policy: RetryPolicy<"idempotent">): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: RetryPolicy<"idempotent">): Effect.Effect<A, E, R>
} = internal.retry

/**
 * {@link retry} for effects whose every failure is transient, checked by the compiler: an
 * effect that can fail with a permanent, partial or fatal error (or one outside the taxonomy)
 * does not type-check. Use it where "this call only fails transiently" is a claim worth keeping.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors, Retry } from "effect-resilience"
 *
 * const ping = Effect.fail(new Errors.ServiceUnavailable({ service: "search" }))
 * const retried = ping.pipe(Retry.retryTransient(Retry.policy({ operation: "search.ping", idempotent: true })))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retryTransient: {
  (policy: RetryPolicy<"idempotent">): <A, E extends Errors.Transient, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
  <A, E extends Errors.Transient, R>(self: Effect.Effect<A, E, R>, policy: RetryPolicy<"idempotent">): Effect.Effect<
    A,
    E,
    R
  >
} = internal.retryTransient

/**
 * Retries an operation that is not idempotent, which is only safe when the server can recognise
 * a repeat: the call is built from the key, so every attempt visibly carries the same one.
 * Accepts idempotent policies too. An invalid key (a cast string) dies with
 * {@link IdempotencyKeyRequired} before anything is sent.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors, Retry } from "effect-resilience"
 *
 * const chargePolicy = Retry.policy({ operation: "payments.charge", idempotent: false })
 * const charge = (orderId: string, key: Retry.IdempotencyKey) =>
 *   Effect.fail(new Errors.ServiceUnavailable({ service: `payments (${orderId}, ${key})` }))
 *
 * const program = Effect.flatMap(Retry.makeIdempotencyKey, (key) =>
 *   Retry.retryWithKey(chargePolicy, key, (key) => charge("order-7", key)))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const retryWithKey: <A, E, R>(
  policy: RetryPolicy,
  key: IdempotencyKey,
  f: (key: IdempotencyKey) => Effect.Effect<A, E, R>
) => Effect.Effect<A, E, R> = internal.retryWithKey

/**
 * The log level names accepted by `logLevel`.
 *
 * @example
 * ```ts
 * import { Retry } from "effect-resilience"
 *
 * const level: Retry.LogLevelName = "Warning"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type LogLevelName = LogLevel.Literal

/**
 * The counters the combinators update, all tagged with `operation` and `code`:
 * `effect_resilience_retries_total`, `effect_resilience_retry_budget_refused_total` and
 * `effect_resilience_retries_exhausted_total` (gave up while still failing transiently: attempts,
 * schedule or `maxDelay` ran out; an open circuit under `Policy` is not counted there).
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Retry } from "effect-resilience"
 *
 * const refused = Metric.value(
 *   Metric.tagged(Metric.tagged(Retry.metrics.budgetRefused, "operation", "payments.charge"), "code", "SERVICE_UNAVAILABLE")
 * ) // Effect<MetricState.Counter<number>>
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics: {
  readonly retries: Metric.Metric.Counter<number>
  readonly budgetRefused: Metric.Metric.Counter<number>
  readonly exhausted: Metric.Metric.Counter<number>
} = {
  retries: internal.retriesTotal,
  budgetRefused: internal.budgetRefusedTotal,
  exhausted: internal.exhaustedTotal
}
