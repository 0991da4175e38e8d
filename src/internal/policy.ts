import type { Duration } from "effect"
import type { Effect } from "effect"
import { dual } from "effect/Function"
import type * as Errors from "../Errors.js"
import type { BulkheadFull } from "./bulkhead.js"
import type * as bulkhead from "./bulkhead.js"
import type { CircuitBreaker, CircuitOpen } from "./circuitBreaker.js"
import * as retry from "./retry.js"
import * as timeout from "./timeout.js"

/** @internal */
export type Idempotency = "idempotent" | "non-idempotent" | "none"

/** @internal */
export interface PolicyOptions<I extends Idempotency> {
  readonly service: string
  readonly timeout?: Duration.DurationInput | undefined
  readonly retry?: (I extends "none" ? never : retry.RetryPolicy<Exclude<I, "none">>) | undefined
  readonly breaker?: CircuitBreaker | undefined
  readonly bulkhead?: bulkhead.Bulkhead | undefined
}

/** @internal */
export interface Policy<I extends Idempotency = Idempotency> {
  readonly service: string
  readonly idempotency: I
  readonly timeout: Duration.DurationInput | undefined
  readonly retry: retry.RetryPolicy | undefined
  readonly breaker: CircuitBreaker | undefined
  readonly bulkhead: bulkhead.Bulkhead | undefined
}

/** @internal */
export type PolicyError = Errors.NetworkTimeout | CircuitOpen | BulkheadFull

/** @internal */
export const make = <const I extends "idempotent" | "non-idempotent" = never>(
  options: PolicyOptions<I>
): Policy<[I] extends [never] ? "none" : I> => {
  const base = options.retry
  return {
    service: options.service,
    idempotency: (base === undefined ? "none" : base.idempotency) as any,
    timeout: options.timeout,
    retry: base,
    breaker: options.breaker,
    bulkhead: options.bulkhead
  }
}

/**
 * An open circuit fails fast: retrying inside the same call would only queue callers for the
 * half-open probe. The caller's fallback (or the boundary's Retry-After) handles it instead.
 * Stopping here, not in the schedule, lets the retry log say why it stopped.
 */
const circuitOpen: retry.Halt = (e) =>
  e._tag === "CircuitOpen" ? { reason: "circuit_open", detail: `circuit ${(e as CircuitOpen).name} is open` } : undefined

const attempt = <A, E, R>(policy: Policy, self: Effect.Effect<A, E, R>): Effect.Effect<A, E | PolicyError, R> => {
  const timed = policy.timeout === undefined
    ? self
    : timeout.timeout(self, { service: policy.service, duration: policy.timeout })
  return policy.breaker === undefined ? timed : policy.breaker.protect(timed)
}

const limit = <A, E, R>(policy: Policy, self: Effect.Effect<A, E, R>): Effect.Effect<A, E | PolicyError, R> =>
  policy.bulkhead === undefined ? self : policy.bulkhead.run(self)

/** @internal */
export const apply: {
  (policy: Policy<"idempotent" | "none">): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | PolicyError, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, policy: Policy<"idempotent" | "none">): Effect.Effect<A, E | PolicyError, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, policy: Policy<"idempotent" | "none">) => {
  const once = attempt(policy, self)
  const retried = policy.retry === undefined
    ? once
    : retry.checkedRun(once, policy.retry, circuitOpen)
  return limit(policy, retried)
})

/** @internal */
export const applyWithKey = <A, E, R>(
  policy: Policy<"non-idempotent">,
  key: retry.IdempotencyKey,
  call: (key: retry.IdempotencyKey) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | PolicyError, R> =>
  limit(
    policy,
    retry.retryWithKey(
      policy.retry as retry.RetryPolicy<"non-idempotent">,
      key,
      (k) => attempt(policy, call(k)),
      circuitOpen
    )
  )

