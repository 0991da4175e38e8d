import type { Cause } from "effect"
import {
  Brand,
  Clock,
  Context,
  Duration,
  Effect,
  Layer,
  LogLevel,
  Metric,
  Option,
  Random,
  Schedule,
  ScheduleDecision,
  ScheduleInterval,
  ScheduleIntervals,
  Schema
} from "effect"
import { dual } from "effect/Function"
import * as Errors from "../Errors.js"
import { codeOf, isCategory, retryAfterOf } from "./errors.js"

// --- backoff schedules ------------------------------------------------------

/** @internal */
export interface BackoffOptions {
  readonly base?: Duration.DurationInput | undefined
  readonly maxDelay?: Duration.DurationInput | undefined
  readonly jitter?: Duration.DurationInput | undefined
  readonly maxAttempts?: number | undefined
}

/** @internal */
export interface ResolvedBackoff {
  readonly baseMillis: number
  readonly maxDelayMillis: number
  readonly jitterMillis: number
  readonly maxAttempts: number
}

/** @internal */
export const defaults = {
  base: Duration.millis(500),
  maxDelay: Duration.seconds(30),
  maxAttempts: 4
} as const

const finiteMillis = (name: string, input: Duration.DurationInput): number => {
  const millis = Duration.toMillis(Duration.decode(input))
  if (!Number.isFinite(millis) || millis < 0) {
    throw new RangeError(`Retry: ${name} must be a finite, non-negative duration (got ${String(input)})`)
  }
  return millis
}

/** @internal */
export const resolveBackoff = (options: BackoffOptions | undefined): ResolvedBackoff => {
  const baseMillis = finiteMillis("base", options?.base ?? defaults.base)
  const maxDelayMillis = finiteMillis("maxDelay", options?.maxDelay ?? defaults.maxDelay)
  const jitterMillis = options?.jitter === undefined ? baseMillis : finiteMillis("jitter", options.jitter)
  const maxAttempts = options?.maxAttempts ?? defaults.maxAttempts
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    // An unbounded retry is how a persistent failure becomes an outage: refuse it.
    throw new RangeError(`Retry: maxAttempts must be a positive integer (got ${maxAttempts})`)
  }
  return { baseMillis, maxDelayMillis, jitterMillis, maxAttempts }
}

type Step<S> = Effect.Effect<readonly [S, Duration.Duration, ScheduleDecision.ScheduleDecision]>

const stop = <S>(state: S): Step<S> => Effect.succeed([state, Duration.zero, ScheduleDecision.done] as const)

const continueAfter = <S>(state: S, now: number, delayMillis: number) =>
  [
    state,
    Duration.millis(delayMillis),
    ScheduleDecision.continueWith(ScheduleInterval.after(now + delayMillis))
  ] as const

/** @internal */
export const exponentialDelay = (o: ResolvedBackoff, retry: number, u: number): number =>
  // Whole milliseconds: timers have no finer grain, and logs and metrics stay readable.
  Math.round(Math.min(o.baseMillis * 2 ** retry + u * o.jitterMillis, o.maxDelayMillis))

/** @internal */
export const exponential = (options?: BackoffOptions): Schedule.Schedule<Duration.Duration, unknown> => {
  const o = resolveBackoff(options)
  return Schedule.makeWithState(0, (now, _input, retry: number): Step<number> =>
    retry >= o.maxAttempts - 1
      ? stop(retry)
      : Effect.map(Random.next, (u) => continueAfter(retry + 1, now, exponentialDelay(o, retry, u))))
}

/** @internal */
export const decorrelatedDelay = (o: ResolvedBackoff, previous: number, u: number): number => {
  // AWS "decorrelated jitter": sleep = min(cap, random_between(base, previous * 3)).
  const upper = Math.max(o.baseMillis, previous * 3)
  return Math.round(Math.min(o.maxDelayMillis, o.baseMillis + u * (upper - o.baseMillis)))
}

/** @internal */
export const decorrelated = (options?: BackoffOptions): Schedule.Schedule<Duration.Duration, unknown> => {
  const o = resolveBackoff(options)
  type S = readonly [retry: number, previous: number]
  return Schedule.makeWithState<S, unknown, Duration.Duration>([0, o.baseMillis], (now, _input, [retry, previous]) =>
    retry >= o.maxAttempts - 1
      ? stop<S>([retry, previous])
      : Effect.map(Random.next, (u) => {
        const delay = decorrelatedDelay(o, previous, u)
        return continueAfter<S>([retry + 1, delay], now, delay)
      }))
}

// --- metrics ----------------------------------------------------------------

/** @internal */
export const retriesTotal = Metric.counter("effect_resilience_retries_total", {
  description: "Retries performed after a transient failure, by operation and error code",
  incremental: true
})

/** @internal */
export const budgetRefusedTotal = Metric.counter("effect_resilience_retry_budget_refused_total", {
  description: "Retries refused because the retry budget was spent",
  incremental: true
})

/** @internal */
export const exhaustedTotal = Metric.counter("effect_resilience_retries_exhausted_total", {
  description: "Calls that still failed transiently when their retry policy gave up",
  incremental: true
})

const count = (metric: Metric.Metric.Counter<number>, operation: string, code: string) =>
  Metric.increment(Metric.tagged(Metric.tagged(metric, "operation", operation), "code", code))

// --- budget -----------------------------------------------------------------

/** @internal */
export const BudgetTypeId: unique symbol = Symbol.for("effect-resilience/Retry/Budget")

/** @internal */
export interface BudgetOptions {
  readonly ratio?: number | undefined
  readonly minPerSecond?: number | undefined
  readonly capacity?: number | undefined
}

/** @internal */
export interface RetryBudget {
  readonly [BudgetTypeId]: BudgetTypeId
  readonly ratio: number
  readonly minPerSecond: number
  readonly capacity: number
  readonly balance: Effect.Effect<number>
  readonly tryAcquire: Effect.Effect<boolean>
  readonly recordRequest: Effect.Effect<void>
}

type BudgetTypeId = typeof BudgetTypeId

/**
 * Token bucket. Every request (first attempt) deposits `ratio` tokens, time deposits
 * `minPerSecond` tokens per second, and every retry withdraws one; the balance never exceeds
 * `capacity`. Deposits are plain arithmetic so the success path pays no clock read: time is
 * only read when a retry asks for a token.
 */
class BudgetImpl implements RetryBudget {
  readonly [BudgetTypeId]: BudgetTypeId = BudgetTypeId
  tokens: number
  lastRefill: number | undefined = undefined
  constructor(
    readonly ratio: number,
    readonly minPerSecond: number,
    readonly capacity: number
  ) {
    this.tokens = Math.min(capacity, minPerSecond)
  }
  unsafeDeposit(): void {
    const next = this.tokens + this.ratio
    this.tokens = next > this.capacity ? this.capacity : next
  }
  unsafeRefill(now: number): void {
    if (this.lastRefill !== undefined && now > this.lastRefill) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.lastRefill) / 1000) * this.minPerSecond)
    }
    if (this.lastRefill === undefined || now > this.lastRefill) this.lastRefill = now
  }
  unsafeTryAcquire(now: number): boolean {
    this.unsafeRefill(now)
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
  get balance(): Effect.Effect<number> {
    return Effect.map(Clock.currentTimeMillis, (now) => {
      this.unsafeRefill(now)
      return this.tokens
    })
  }
  get tryAcquire(): Effect.Effect<boolean> {
    return Effect.map(Clock.currentTimeMillis, (now) => this.unsafeTryAcquire(now))
  }
  get recordRequest(): Effect.Effect<void> {
    return Effect.sync(() => this.unsafeDeposit())
  }
}

/** @internal */
export const unsafeMakeBudget = (options?: BudgetOptions): RetryBudget => {
  const ratio = options?.ratio ?? 0.2
  const minPerSecond = options?.minPerSecond ?? 10
  const capacity = options?.capacity ?? Math.max(1, minPerSecond * 10)
  if (!(ratio >= 0 && Number.isFinite(ratio))) throw new RangeError(`Retry budget: ratio must be >= 0 (got ${ratio})`)
  if (!(minPerSecond >= 0 && Number.isFinite(minPerSecond))) {
    throw new RangeError(`Retry budget: minPerSecond must be >= 0 (got ${minPerSecond})`)
  }
  if (!(capacity >= 1 && Number.isFinite(capacity))) {
    throw new RangeError(`Retry budget: capacity must be >= 1 (got ${capacity})`)
  }
  return new BudgetImpl(ratio, minPerSecond, capacity)
}

/** @internal */
export const makeBudget = (options?: BudgetOptions): Effect.Effect<RetryBudget> =>
  Effect.sync(() => unsafeMakeBudget(options))

/** @internal */
export class Budget extends Context.Tag("effect-resilience/Retry/Budget")<Budget, RetryBudget>() {}

/** @internal */
export const layerBudget = (options?: BudgetOptions): Layer.Layer<Budget> => Layer.effect(Budget, makeBudget(options))

// --- idempotency ------------------------------------------------------------

/** @internal */
export type IdempotencyKey = string & Brand.Brand<"effect-resilience/IdempotencyKey">

/** @internal */
export const IdempotencyKey = Brand.refined<IdempotencyKey>(
  (s) => s.length > 0 && s.length <= 255 && s.trim() === s,
  (s) => Brand.error(`an idempotency key must be 1-255 characters without surrounding spaces (got ${JSON.stringify(s)})`)
)

/** @internal */
export const makeIdempotencyKey: Effect.Effect<IdempotencyKey> = Effect.sync(() =>
  IdempotencyKey(globalThis.crypto.randomUUID())
)

/** @internal */
export class IdempotencyKeyRequired extends Errors.Fatal<IdempotencyKeyRequired>()("IdempotencyKeyRequired", {
  operation: Schema.String
}, {
  code: "IDEMPOTENCY_KEY_REQUIRED",
  status: 500,
  message: (e) => `${e.operation} is not idempotent: retrying it needs an idempotency key (Retry.retryWithKey)`
}) {}

// --- policies -----------------------------------------------------------------

/** @internal */
export const PolicyTypeId: unique symbol = Symbol.for("effect-resilience/Retry/Policy")

/** @internal */
export type Idempotency = "idempotent" | "non-idempotent"

/** @internal */
export interface PolicyOptions<I extends boolean> extends BackoffOptions {
  readonly operation: string
  readonly idempotent: I
  readonly backoff?: "exponential" | "decorrelated" | undefined
  readonly schedule?: Schedule.Schedule<unknown, Errors.Transient> | undefined
  readonly budget?: RetryBudget | undefined
  readonly logLevel?: LogLevel.Literal | undefined
}

/** @internal */
export interface RetryPolicy<I extends Idempotency = Idempotency> {
  readonly [PolicyTypeId]: { readonly _I: (_: never) => I }
  readonly operation: string
  readonly idempotency: I
  readonly maxAttempts: number
  readonly maxDelay: Duration.Duration
  readonly schedule: Schedule.Schedule<unknown, Errors.Transient>
  readonly budget: RetryBudget | undefined
  readonly logLevel: LogLevel.LogLevel
}

/** @internal */
export const policy = <const I extends boolean>(
  options: PolicyOptions<I>
): RetryPolicy<I extends true ? "idempotent" : "non-idempotent"> => {
  const o = resolveBackoff(options)
  const bounded = options.schedule === undefined
    ? (options.backoff === "decorrelated" ? decorrelated(options) : exponential(options))
    : options.schedule.pipe(
      // A caller's own schedule still gets the two non-negotiable bounds.
      Schedule.intersect(Schedule.recurs(o.maxAttempts - 1)),
      Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.millis(o.maxDelayMillis)))
    )
  return {
    [PolicyTypeId]: { _I: (_: never) => _ },
    operation: options.operation,
    idempotency: (options.idempotent ? "idempotent" : "non-idempotent") as any,
    maxAttempts: o.maxAttempts,
    maxDelay: Duration.millis(o.maxDelayMillis),
    schedule: bounded as Schedule.Schedule<unknown, Errors.Transient>,
    budget: options.budget,
    logLevel: LogLevel.fromLiteral(options.logLevel ?? "Info")
  }
}

// --- the combinators ------------------------------------------------------------

const isTransient = isCategory("Transient")

/**
 * @internal
 * Why a transient error must not be retried where it happened, checked before the schedule is
 * asked (Policy: an open circuit). `reason` is the log annotation, `detail` the words.
 */
export type Halt = (error: Errors.Transient) => { readonly reason: string; readonly detail: string } | undefined

/**
 * Runs only after a first failure: the success path is `self` plus one failure handler.
 * Anything that is not a single transient failure (permanent, partial, fatal, foreign, defects,
 * interruption) is handed back untouched, with its original cause.
 */
const retryAfterFailure = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  p: RetryPolicy,
  halt: Halt | undefined,
  first: Cause.Cause<E>
): Effect.Effect<A, E, R> => {
  const maxDelayMillis = Duration.toMillis(p.maxDelay)
  const loop = (cause: Cause.Cause<E>, attempt: number, state: unknown): Effect.Effect<A, E, R> => {
    if (cause._tag !== "Fail") return Effect.failCause(cause)
    const error = cause.error
    const code = codeOf(error)
    /**
     * One line says how the call ended, in words that match what happened. A call stopped on its
     * first attempt by what is never retried (a permanent error, an open circuit) logs at Debug:
     * the boundary logs the failure itself, and an outage would otherwise add a line per call.
     */
    const giveUp = (reason: string, what: string, level: LogLevel.LogLevel, metric?: Metric.Metric.Counter<number>) => {
      const log = Effect.logWithLevel(level, `${p.operation}: ${what}`).pipe(
        Effect.annotateLogs({ operation: p.operation, attempt, error_code: code, reason })
      )
      return Effect.zipRight(
        metric === undefined ? log : Effect.zipRight(log, count(metric, p.operation, code)),
        Effect.failCause(cause)
      )
    }
    const stopped = attempt === 1 ? "not retried" : `retry stopped after ${attempt} attempts`
    const quietFirst = attempt === 1 ? LogLevel.Debug : p.logLevel
    if (!isTransient(error)) return giveUp("not_transient", `${stopped}: ${code} is not transient`, quietFirst)
    const halted = halt?.(error)
    if (halted !== undefined) return giveUp(halted.reason, `${stopped}: ${halted.detail}`, quietFirst)
    return Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.flatMap(p.schedule.step(now, error, state), ([next, _, decision]) => {
        if (ScheduleDecision.isDone(decision)) {
          return attempt >= p.maxAttempts
            ? giveUp("exhausted", `attempts exhausted (${attempt} of ${p.maxAttempts}), last error ${code}`, p.logLevel, exhaustedTotal)
            // A caller's own schedule may end before maxAttempts: say so, not "exhausted".
            : giveUp("schedule_done", `${stopped}: the retry schedule ended, last error ${code}`, p.logLevel, exhaustedTotal)
        }
        let delayMillis = Math.min(Math.max(0, ScheduleIntervals.start(decision.intervals) - now), maxDelayMillis)
        const retryAfter = retryAfterOf(error)
        if (Option.isSome(retryAfter)) {
          const asked = Duration.toMillis(retryAfter.value)
          // Waiting past our own cap would break the cap; retrying sooner would ignore the server.
          if (asked > maxDelayMillis) {
            return giveUp(
              "retry_after_exceeds_max_delay",
              `${stopped}: ${code} asks to wait ${Duration.format(retryAfter.value)}, more than maxDelay ${Duration.format(p.maxDelay)}`,
              p.logLevel,
              exhaustedTotal
            )
          }
          if (asked > delayMillis) delayMillis = asked
        }
        const budget = p.budget as BudgetImpl | undefined
        if (budget !== undefined && !budget.unsafeTryAcquire(now)) {
          return giveUp("budget_spent", `${stopped}: retry budget spent, last error ${code}`, p.logLevel, budgetRefusedTotal)
        }
        const delay = Duration.millis(delayMillis)
        return Effect.logWithLevel(
          p.logLevel,
          `${p.operation}: retrying in ${Duration.format(delay)} after ${code} (attempt ${attempt} of ${p.maxAttempts})`
        ).pipe(
          Effect.annotateLogs({
            operation: p.operation,
            attempt,
            max_attempts: p.maxAttempts,
            delay_ms: delayMillis,
            error_code: code,
            error_tag: error._tag
          }),
          Effect.zipRight(count(retriesTotal, p.operation, code)),
          Effect.zipRight(Effect.sleep(delay)),
          Effect.zipRight(Effect.catchAllCause(self, (c) => loop(c, attempt + 1, next)))
        )
      }))
  }
  return loop(first, 1, p.schedule.initial)
}

const run = <A, E, R>(self: Effect.Effect<A, E, R>, p: RetryPolicy, halt: Halt | undefined): Effect.Effect<A, E, R> => {
  const guarded = Effect.catchAllCause(self, (cause) => retryAfterFailure(self, p, halt, cause))
  const budget = p.budget as BudgetImpl | undefined
  if (budget === undefined) return guarded
  return Effect.suspend(() => {
    budget.unsafeDeposit()
    return guarded
  })
}

/**
 * `Effect.retry(self, options)` that sets its schedule up only once `self` has failed: a run that
 * succeeds costs one failure handler instead of a schedule driver (~35 Effect steps). The first
 * failure is replayed into the retry, so the schedule sees the same errors at the same times.
 *
 * @internal
 */
export const retryLazily = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  options: {
    readonly schedule: Schedule.Schedule<unknown, NoInfer<E>>
    readonly while: (error: NoInfer<E>) => boolean
  }
): Effect.Effect<A, E, R> =>
  Effect.catchAll(self, (error) => {
    if (!options.while(error)) return Effect.fail(error)
    let replay = true
    const again = Effect.suspend(() => {
      if (!replay) return self
      replay = false
      return Effect.fail(error)
    })
    return Effect.retry(again, options)
  })

/** @internal */
export const checkedRun = <A, E, R>(self: Effect.Effect<A, E, R>, p: RetryPolicy, halt?: Halt): Effect.Effect<A, E, R> =>
  p.idempotency === "idempotent"
    ? run(self, p, halt)
    // Only reachable by casting the types away; die before the call can be sent twice.
    : Effect.die(new IdempotencyKeyRequired({ operation: p.operation }))

/** @internal */
export const retry: {
  (p: RetryPolicy<"idempotent">): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, p: RetryPolicy<"idempotent">): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, p: RetryPolicy) => checkedRun(self, p))

/** @internal */
export const retryTransient: {
  (p: RetryPolicy<"idempotent">): <A, E extends Errors.Transient, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
  <A, E extends Errors.Transient, R>(self: Effect.Effect<A, E, R>, p: RetryPolicy<"idempotent">): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, p: RetryPolicy) => checkedRun(self, p))

/** @internal */
export const retryWithKey = <A, E, R>(
  p: RetryPolicy,
  key: IdempotencyKey,
  f: (key: IdempotencyKey) => Effect.Effect<A, E, R>,
  halt?: Halt
): Effect.Effect<A, E, R> =>
  IdempotencyKey.is(key)
    ? run(f(key), p, halt)
    : Effect.die(new IdempotencyKeyRequired({ operation: p.operation }))
