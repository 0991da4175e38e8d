import type { Clock, Context, Scope } from "effect"
import {
  Cause,
  Duration,
  Effect,
  Layer,
  Metric,
  MetricKey,
  MetricLabel,
  type MetricKeyType,
  Option,
  PubSub,
  Schedule,
  ScheduleDecision,
  ScheduleIntervals,
  Schema,
  Stream
} from "effect"
import { dual } from "effect/Function"
import { categoryOf, declare, Millis } from "./errors.js"

// --- public data ---------------------------------------------------------------

/** @internal */
export const TypeId: unique symbol = Symbol.for("effect-resilience/CircuitBreaker")

/** @internal */
export type TypeId = typeof TypeId

/** @internal */
export class CircuitOpen extends declare("Transient")<CircuitOpen>()("CircuitOpen", {
  name: Schema.String,
  retryAfter: Millis
}, {
  code: "CIRCUIT_OPEN",
  status: 503,
  message: (e) => `circuit ${e.name} is open, retry after ${Duration.format(e.retryAfter)}`
}) {}

/** @internal */
export const State = Schema.Literal("Closed", "Open", "HalfOpen", "Disabled", "Isolated")

/** @internal */
export type State = typeof State.Type

/** @internal */
export const Reason = Schema.Literal(
  "ConsecutiveFailures",
  "FailureRate",
  "SlowCallRate",
  "BreakElapsed",
  "ProbeFailed",
  "ProbeSlow",
  "ProbesSucceeded",
  "Isolate",
  "Reset",
  "Disable",
  "Restore"
)

/** @internal */
export type Reason = typeof Reason.Type

/** @internal */
export const StateChange = Schema.Struct({
  breaker: Schema.String,
  from: State,
  to: State,
  reason: Reason,
  /** Clock time of the change, epoch milliseconds. */
  at: Schema.Number
})

/** @internal */
export interface StateChange extends Schema.Schema.Type<typeof StateChange> {}

/** @internal */
export const Snapshot = Schema.Struct({
  name: Schema.String,
  state: State,
  /** Openings since the circuit last closed: where the break-duration schedule stands. */
  openings: Schema.NonNegativeInt,
  /** Clock time (epoch milliseconds) at which an open circuit lets probes through. */
  openUntil: Schema.optionalWith(Schema.Number, { exact: true })
})

/** @internal */
export interface Snapshot extends Schema.Schema.Type<typeof Snapshot> {}

// --- trip strategies -----------------------------------------------------------

/** @internal */
export interface SlowCall {
  readonly threshold: Duration.DurationInput
  readonly rate: number
}

/** @internal */
export type TripStrategy =
  | { readonly _tag: "ConsecutiveFailures"; readonly threshold: number }
  | {
    readonly _tag: "CountWindow"
    readonly size: number
    readonly minimumCalls: number
    readonly failureRate: number
    readonly slowCall: SlowCall | undefined
  }
  | {
    readonly _tag: "TimeWindow"
    readonly window: Duration.Duration
    readonly buckets: number
    readonly minimumCalls: number
    readonly failureRate: number
    readonly slowCall: SlowCall | undefined
  }

const positiveInt = (what: string, n: number): number => {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`)
  return n
}

const rate = (what: string, r: number): number => {
  if (!(r > 0 && r <= 1)) throw new RangeError(`${what} must be in (0, 1], got ${r}`)
  return r
}

const slowCallOf = (slowCall: SlowCall | undefined): SlowCall | undefined =>
  slowCall === undefined ? undefined : { threshold: slowCall.threshold, rate: rate("slowCall.rate", slowCall.rate) }

/** @internal */
export const consecutiveFailures = (threshold: number): TripStrategy => ({
  _tag: "ConsecutiveFailures",
  threshold: positiveInt("threshold", threshold)
})

/** @internal */
export interface WindowOptions {
  readonly failureRate?: number | undefined
  readonly minimumCalls?: number | undefined
  readonly slowCall?: SlowCall | undefined
}

/** @internal */
export const countWindow = (options: WindowOptions & { readonly size: number }): TripStrategy => {
  const size = positiveInt("size", options.size)
  return {
    _tag: "CountWindow",
    size,
    minimumCalls: Math.min(size, positiveInt("minimumCalls", options.minimumCalls ?? size)),
    failureRate: rate("failureRate", options.failureRate ?? 0.5),
    slowCall: slowCallOf(options.slowCall)
  }
}

/** @internal */
export const timeWindow = (
  options: WindowOptions & { readonly window: Duration.DurationInput; readonly buckets?: number | undefined }
): TripStrategy => {
  const window = Duration.decode(options.window)
  if (!(Duration.toMillis(window) > 0 && Duration.isFinite(window))) {
    throw new RangeError(`window must be a positive finite duration, got ${Duration.format(window)}`)
  }
  return {
    _tag: "TimeWindow",
    window,
    buckets: positiveInt("buckets", options.buckets ?? 10),
    minimumCalls: positiveInt("minimumCalls", options.minimumCalls ?? 10),
    failureRate: rate("failureRate", options.failureRate ?? 0.5),
    slowCall: slowCallOf(options.slowCall)
  }
}

/**
 * Records outcomes of calls admitted while closed and says when to trip. Implementations are
 * plain mutable objects: every call to `record` happens inside one synchronous step of a
 * fiber, so no two records interleave.
 */
interface Tracker {
  /** Calls need their start time (slow-call detection). */
  readonly timed: boolean
  /** `record` needs the current time. */
  readonly needsNow: boolean
  /** Calls slower than this many milliseconds are slow. */
  readonly slowMillis: number
  record(now: number, failed: boolean, slow: boolean): Reason | undefined
  reset(): void
}

class Consecutive implements Tracker {
  readonly timed = false
  readonly needsNow = false
  readonly slowMillis = Infinity
  private count = 0
  constructor(readonly threshold: number) {}
  record(_now: number, failed: boolean): Reason | undefined {
    if (!failed) {
      this.count = 0
      return undefined
    }
    return ++this.count >= this.threshold ? "ConsecutiveFailures" : undefined
  }
  reset(): void {
    this.count = 0
  }
}

const FAILED = 1
const SLOW = 2

/** Shared verdict of the two rate windows. */
const verdict = (
  total: number,
  failed: number,
  slow: number,
  minimumCalls: number,
  failureRate: number,
  slowRate: number
): Reason | undefined => {
  if (total < minimumCalls) return undefined
  if (failed >= failureRate * total) return "FailureRate"
  if (slow >= slowRate * total) return "SlowCallRate"
  return undefined
}

class CountWindow implements Tracker {
  readonly timed: boolean
  readonly needsNow = false
  readonly slowMillis: number
  private readonly slowRate: number
  private readonly ring: Uint8Array
  private pos = 0
  private total = 0
  private failed = 0
  private slow = 0
  constructor(readonly size: number, readonly minimumCalls: number, readonly failureRate: number, slowCall?: SlowCall) {
    this.ring = new Uint8Array(size)
    this.timed = slowCall !== undefined
    this.slowMillis = slowCall === undefined ? Infinity : Duration.toMillis(slowCall.threshold)
    this.slowRate = slowCall === undefined ? Infinity : slowCall.rate
  }
  record(_now: number, failed: boolean, slow: boolean): Reason | undefined {
    if (this.total === this.size) {
      const old = this.ring[this.pos]!
      if (old & FAILED) this.failed--
      if (old & SLOW) this.slow--
    } else {
      this.total++
    }
    this.ring[this.pos] = (failed ? FAILED : 0) | (slow ? SLOW : 0)
    this.pos = this.pos + 1 === this.size ? 0 : this.pos + 1
    if (failed) this.failed++
    if (slow) this.slow++
    return verdict(this.total, this.failed, this.slow, this.minimumCalls, this.failureRate, this.slowRate)
  }
  reset(): void {
    this.ring.fill(0)
    this.pos = this.total = this.failed = this.slow = 0
  }
}

/**
 * Calls of the last `window`, in `buckets` buckets of `window / buckets` each: a call at time t
 * falls in bucket floor(t / width), and the window at time now holds the buckets after
 * floor(now / width) - buckets. Memory stays constant whatever the call rate.
 */
class TimeWindow implements Tracker {
  readonly timed: boolean
  readonly needsNow = true
  readonly slowMillis: number
  private readonly slowRate: number
  private readonly width: number
  private readonly index: Float64Array
  private readonly counts: Int32Array
  private lastIndex = -1
  private total = 0
  private failed = 0
  private slow = 0
  constructor(
    window: Duration.Duration,
    readonly buckets: number,
    readonly minimumCalls: number,
    readonly failureRate: number,
    slowCall?: SlowCall
  ) {
    this.width = Duration.toMillis(window) / buckets
    this.index = new Float64Array(buckets).fill(-Infinity)
    this.counts = new Int32Array(buckets * 3)
    this.timed = slowCall !== undefined
    this.slowMillis = slowCall === undefined ? Infinity : Duration.toMillis(slowCall.threshold)
    this.slowRate = slowCall === undefined ? Infinity : slowCall.rate
  }
  private evict(slot: number): void {
    const c = this.counts
    this.total -= c[slot * 3]!
    this.failed -= c[slot * 3 + 1]!
    this.slow -= c[slot * 3 + 2]!
    c[slot * 3] = c[slot * 3 + 1] = c[slot * 3 + 2] = 0
    this.index[slot] = -Infinity
  }
  record(now: number, failed: boolean, slow: boolean): Reason | undefined {
    const idx = Math.floor(now / this.width)
    if (idx !== this.lastIndex) {
      const oldest = idx - this.buckets
      for (let slot = 0; slot < this.buckets; slot++) {
        if (this.index[slot]! <= oldest) this.evict(slot)
      }
      this.lastIndex = idx
    }
    const slot = ((idx % this.buckets) + this.buckets) % this.buckets
    if (this.index[slot] !== idx) {
      this.evict(slot)
      this.index[slot] = idx
    }
    const c = this.counts
    c[slot * 3]!++
    this.total++
    if (failed) {
      c[slot * 3 + 1]!++
      this.failed++
    }
    if (slow) {
      c[slot * 3 + 2]!++
      this.slow++
    }
    return verdict(this.total, this.failed, this.slow, this.minimumCalls, this.failureRate, this.slowRate)
  }
  reset(): void {
    for (let slot = 0; slot < this.buckets; slot++) this.evict(slot)
    this.lastIndex = -1
  }
}

const trackerOf = (strategy: TripStrategy): Tracker => {
  switch (strategy._tag) {
    case "ConsecutiveFailures":
      return new Consecutive(strategy.threshold)
    case "CountWindow":
      return new CountWindow(strategy.size, strategy.minimumCalls, strategy.failureRate, strategy.slowCall)
    case "TimeWindow":
      return new TimeWindow(
        strategy.window,
        strategy.buckets,
        strategy.minimumCalls,
        strategy.failureRate,
        strategy.slowCall
      )
  }
}

// --- options -------------------------------------------------------------------

/** @internal */
export interface Options {
  readonly name: string
  readonly trip?: TripStrategy | undefined
  readonly breakDuration?: Duration.DurationInput | Schedule.Schedule<unknown, number> | undefined
  readonly halfOpenProbes?: number | undefined
  readonly isFailure?: ((error: unknown) => boolean) | undefined
}

/** @internal */
export const defaultIsFailure = (error: unknown): boolean => {
  const category = categoryOf(error)
  return category === undefined || category === "Transient"
}

// --- the machine ---------------------------------------------------------------

const CLOSED = 0
const OPEN = 1
const HALF_OPEN = 2
const DISABLED = 3
const ISOLATED = 4

const stateNames: ReadonlyArray<State> = ["Closed", "Open", "HalfOpen", "Disabled", "Isolated"]
const stateCodes: Readonly<Record<State, number>> = { Closed: 0, Open: 1, HalfOpen: 2, Disabled: 3, Isolated: 4 }

/** How a finished call counts. */
const SUCCESS = 0
const FAILURE = 1
const IGNORED = 2
const NEITHER = 3

const noTags: ReadonlyArray<MetricLabel.MetricLabel> = []

/** @internal */
export interface CircuitBreaker {
  readonly [TypeId]: TypeId
  readonly name: string
  readonly protect: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpen, R>
  readonly state: Effect.Effect<State>
  readonly changes: Stream.Stream<StateChange>
  readonly isolate: Effect.Effect<void>
  readonly reset: Effect.Effect<void>
  readonly disable: Effect.Effect<void>
  readonly snapshot: Effect.Effect<Snapshot>
  readonly restore: (snapshot: Snapshot) => Effect.Effect<void>
}

/** Metrics made from tagged keys up front: `unsafeUpdate(x, [])` then hits a cached hook. */
const taggedMetric = <Type extends MetricKeyType.MetricKeyType<any, any>>(
  key: MetricKey.MetricKey<Type>,
  labels: ReadonlyArray<MetricLabel.MetricLabel>
) => Metric.fromMetricKey(MetricKey.taggedWithLabels(key, labels))

const stateKey = MetricKey.gauge("effect_resilience_circuit_breaker_state", {
  description: "circuit state: 0 closed, 1 open, 2 half-open, 3 disabled, 4 isolated"
})

const callsKey = MetricKey.counter("effect_resilience_circuit_breaker_calls", {
  description: "calls through a circuit breaker, by outcome: success, failure, rejected, slow, ignored"
})

/** @internal */
export const stateGauge: Metric.Metric.Gauge<number> = Metric.fromMetricKey(stateKey)

/** @internal */
export const callsCounter: Metric.Metric.Counter<number> = Metric.fromMetricKey(callsKey)

const metricsOf = (name: string) => {
  const breaker = MetricLabel.make("breaker", name)
  const outcome = (o: string) => taggedMetric(callsKey, [breaker, MetricLabel.make("outcome", o)])
  return {
    state: taggedMetric(stateKey, [breaker]),
    success: outcome("success"),
    failure: outcome("failure"),
    rejected: outcome("rejected"),
    slow: outcome("slow"),
    ignored: outcome("ignored")
  }
}

interface Handlers<A, E, R> {
  readonly onSuccess: (a: A) => Effect.Effect<A, E, R>
  readonly onFailure: (cause: Cause.Cause<E>) => Effect.Effect<A, E, R>
}

/**
 * Builds continuations from functions passed as arguments. Per-call closures are written as
 * arguments, never as object-literal properties: transpilers that keep function names (esbuild's
 * keepNames, used by tsx) wrap every named closure in an `Object.defineProperty`, which costs
 * more than the breaker itself.
 */
const handlers = <A, E, R>(
  onSuccess: (a: A) => Effect.Effect<A, E, R>,
  onFailure: (cause: Cause.Cause<E>) => Effect.Effect<A, E, R>
): Handlers<A, E, R> => ({ onSuccess, onFailure })

class Breaker implements CircuitBreaker {
  readonly [TypeId]: TypeId = TypeId
  readonly name: string
  readonly changes: Stream.Stream<StateChange>

  private readonly tracker: Tracker
  private readonly probes: number
  private readonly isFailure: (error: unknown) => boolean
  private readonly schedule: Schedule.Schedule<unknown, number>
  private readonly metrics: ReturnType<typeof metricsOf>

  /** The whole state: mutated only inside synchronous steps, so every transition is atomic. */
  private tag = CLOSED
  /** Bumped on every transition; outcomes of calls admitted in an older epoch are not recorded. */
  private epoch = 0
  private openUntil = 0
  private permits = 0
  private probeSuccesses = 0
  private scheduleState: unknown
  private openings = 0
  private lastBreak = 0
  private closedHandlers: Handlers<any, any, any>
  private open = true

  constructor(
    options: Options,
    private readonly clock: Clock.Clock,
    private readonly hub: PubSub.PubSub<StateChange>
  ) {
    this.name = options.name
    this.tracker = trackerOf(options.trip ?? consecutiveFailures(5))
    this.probes = positiveInt("halfOpenProbes", options.halfOpenProbes ?? 1)
    this.isFailure = options.isFailure ?? defaultIsFailure
    const breakDuration = options.breakDuration ?? "30 seconds"
    this.schedule = Schedule.isSchedule(breakDuration)
      ? breakDuration as Schedule.Schedule<unknown, number>
      : Schedule.spaced(breakDuration)
    this.metrics = metricsOf(this.name)
    this.changes = Stream.fromPubSub(hub)
    this.scheduleState = this.schedule.initial
    this.lastBreak = this.peekBreak()
    this.closedHandlers = this.makeClosedHandlers(this.epoch)
    this.metrics.state.unsafeUpdate(CLOSED, noTags)
  }

  // --- time and break durations ---

  private now(): number {
    return this.clock.unsafeCurrentTimeMillis()
  }

  /**
   * Steps the break-duration schedule. Schedules are pure state machines over `now`, so the step
   * runs synchronously, inside the transition that needs it; a finished schedule keeps its last
   * duration.
   */
  private stepBreak(now: number, commit: boolean): number {
    const [state, , decision] = Effect.runSync(this.schedule.step(now, this.openings, this.scheduleState))
    const delay = ScheduleDecision.isDone(decision)
      ? this.lastBreak
      : Math.max(0, ScheduleIntervals.start(decision.intervals) - now)
    if (commit) {
      this.scheduleState = state
      this.openings++
      this.lastBreak = delay
    }
    return delay
  }

  private peekBreak(): number {
    return this.stepBreak(this.now(), false)
  }

  private resetSchedule(): void {
    this.scheduleState = this.schedule.initial
    this.openings = 0
    this.lastBreak = this.peekBreak()
  }

  // --- transitions ---

  private transition(to: number, reason: Reason, now: number, openUntil?: number): StateChange {
    const from = this.tag
    this.tag = to
    this.epoch++
    switch (to) {
      case CLOSED:
        this.tracker.reset()
        this.resetSchedule()
        this.closedHandlers = this.makeClosedHandlers(this.epoch)
        break
      case OPEN:
        this.tracker.reset()
        this.openUntil = openUntil ?? now + this.stepBreak(now, true)
        break
      case HALF_OPEN:
        this.permits = this.probes
        this.probeSuccesses = 0
        break
    }
    this.metrics.state.unsafeUpdate(to, noTags)
    return { breaker: this.name, from: stateNames[from]!, to: stateNames[to]!, reason, at: now }
  }

  /** Publishes and logs a change; runs right after the synchronous transition that made it. */
  private announce(change: StateChange): Effect.Effect<void> {
    const log = change.to === "Open" || change.to === "Isolated"
      ? Effect.logWarning("circuit_breaker_state_change")
      : Effect.logInfo("circuit_breaker_state_change")
    const logged = Effect.annotateLogs(log, {
      breaker: change.breaker,
      from: change.from,
      to: change.to,
      reason: change.reason
    })
    return this.open ? Effect.zipRight(PubSub.publish(this.hub, change), logged) : logged
  }

  private announceThen<A, E, R>(change: StateChange | undefined, next: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return change === undefined ? next : Effect.zipRight(this.announce(change), next)
  }

  /** The lazy OPEN -> HALF_OPEN step: no timer fiber, the first look after the break does it. */
  private elapse(now: number): StateChange | undefined {
    return this.tag === OPEN && now >= this.openUntil ? this.transition(HALF_OPEN, "BreakElapsed", now) : undefined
  }

  // --- outcomes ---

  private classify(cause: Cause.Cause<unknown>): number {
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure)) return this.isFailure(failure.value) ? FAILURE : IGNORED
    return Cause.isInterruptedOnly(cause) ? NEITHER : FAILURE
  }

  private count(outcome: number, slow: boolean): void {
    const m = this.metrics
    if (outcome === SUCCESS) (slow ? m.slow : m.success).unsafeUpdate(1, noTags)
    else if (outcome === FAILURE) m.failure.unsafeUpdate(1, noTags)
    else if (outcome === IGNORED) m.ignored.unsafeUpdate(1, noTags)
  }

  /**
   * An outcome of a call admitted while closed in `epoch`. `now` is the finish time when the
   * caller already read the clock (a clock read is a `Date.now()`: not free on a hot path).
   */
  private closedOutcome(epoch: number, outcome: number, slow: boolean, now?: number): StateChange | undefined {
    this.count(outcome, slow)
    if (epoch !== this.epoch || outcome > FAILURE) return undefined
    const tracker = this.tracker
    if (now === undefined && tracker.needsNow) now = this.now()
    const reason = tracker.record(now ?? 0, outcome === FAILURE, slow)
    return reason === undefined ? undefined : this.transition(OPEN, reason, now ?? this.now())
  }

  /** The closed fast path's continuations, allocated once per closed epoch, not per call. */
  private makeClosedHandlers(epoch: number): Handlers<any, any, any> {
    return {
      onSuccess: (a) => {
        const change = this.closedOutcome(epoch, SUCCESS, false)
        return change === undefined ? Effect.succeed(a) : Effect.as(this.announce(change), a)
      },
      onFailure: (cause) => this.announceThen(this.closedOutcome(epoch, this.classify(cause), false), Effect.failCause(cause))
    }
  }

  /** Closed, with slow-call detection: the call's start and finish times are read. */
  private timedClosed<A, E, R>(self: Effect.Effect<A, E, R>, epoch: number): Effect.Effect<A, E, R> {
    const start = this.now()
    const slowMillis = this.tracker.slowMillis
    return Effect.matchCauseEffect(
      self,
      handlers((a: A) => {
        const now = this.now()
        return this.announceThen(this.closedOutcome(epoch, SUCCESS, now - start > slowMillis, now), Effect.succeed(a))
      }, (cause: Cause.Cause<E>) => {
        const now = this.now()
        return this.announceThen(
          this.closedOutcome(epoch, this.classify(cause), now - start > slowMillis, now),
          Effect.failCause(cause)
        )
      })
    )
  }

  /** An outcome of a half-open probe admitted in `epoch`. */
  private probeOutcome(epoch: number, outcome: number, slow: boolean): StateChange | undefined {
    this.count(outcome, slow)
    if (epoch !== this.epoch) return undefined
    if (outcome === NEITHER || outcome === IGNORED) {
      // An interrupted or ignored probe says nothing about the service: its permit goes back.
      this.permits++
      return undefined
    }
    if (outcome === FAILURE) return this.transition(OPEN, "ProbeFailed", this.now())
    if (slow) return this.transition(OPEN, "ProbeSlow", this.now())
    return ++this.probeSuccesses >= this.probes ? this.transition(CLOSED, "ProbesSucceeded", this.now()) : undefined
  }

  private reject(retryAfterMillis: number): Effect.Effect<never, CircuitOpen> {
    this.metrics.rejected.unsafeUpdate(1, noTags)
    return Effect.fail(new CircuitOpen({ name: this.name, retryAfter: Duration.millis(retryAfterMillis) }, true))
  }

  // --- admission ---

  readonly protect = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpen, R> =>
    Effect.suspend(() => {
      if (this.tag === CLOSED) {
        return this.tracker.timed
          ? this.timedClosed(self, this.epoch)
          : Effect.matchCauseEffect(self, this.closedHandlers as Handlers<A, E, R>)
      }
      if (this.tag === DISABLED) return self
      return this.guarded(self)
    })

  /**
   * Everything but the closed fast path. Uninterruptible from the permit's grant to the
   * installation of the handler that gives it back; only the call itself is interruptible, and
   * its handler runs even when the fiber is interrupted.
   */
  private guarded<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpen, R> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const now = this.now()
        const change = this.elapse(now)
        let next: Effect.Effect<A, E | CircuitOpen, R>
        switch (this.tag) {
          case CLOSED:
            next = this.tracker.timed
              ? this.timedClosed(restore(self), this.epoch)
              : Effect.matchCauseEffect(restore(self), this.closedHandlers as Handlers<A, E, R>)
            break
          case DISABLED:
            next = restore(self)
            break
          case HALF_OPEN:
            next = this.permits > 0 ? this.probe(restore(self), now) : this.reject(this.lastBreak)
            break
          case OPEN:
            next = this.reject(this.openUntil - now)
            break
          default:
            next = this.reject(this.lastBreak)
        }
        return this.announceThen(change, next)
      })
    )
  }

  private isSlow(start: number): boolean {
    return this.now() - start > this.tracker.slowMillis
  }

  private probe<A, E, R>(self: Effect.Effect<A, E, R>, start: number): Effect.Effect<A, E, R> {
    this.permits--
    const epoch = this.epoch
    return Effect.matchCauseEffect(
      self,
      handlers(
        (a: A) => this.announceThen(this.probeOutcome(epoch, SUCCESS, this.isSlow(start)), Effect.succeed(a)),
        (cause: Cause.Cause<E>) =>
          this.announceThen(this.probeOutcome(epoch, this.classify(cause), this.isSlow(start)), Effect.failCause(cause))
      )
    )
  }

  // --- inspection and manual control ---

  readonly state: Effect.Effect<State> = Effect.suspend(() =>
    this.announceThen(this.elapse(this.now()), Effect.sync(() => stateNames[this.tag]!))
  )

  private force(to: number, reason: Reason): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.tag === to) {
        if (to === CLOSED) this.tracker.reset()
        return Effect.void
      }
      return this.announce(this.transition(to, reason, this.now()))
    })
  }

  readonly isolate: Effect.Effect<void> = this.force(ISOLATED, "Isolate")
  readonly reset: Effect.Effect<void> = this.force(CLOSED, "Reset")
  readonly disable: Effect.Effect<void> = this.force(DISABLED, "Disable")

  readonly snapshot: Effect.Effect<Snapshot> = Effect.suspend(() => {
    const change = this.elapse(this.now())
    const snapshot: Snapshot = this.tag === OPEN
      ? { name: this.name, state: "Open", openings: this.openings, openUntil: this.openUntil }
      : { name: this.name, state: stateNames[this.tag]!, openings: this.openings }
    return this.announceThen(change, Effect.succeed(snapshot))
  })

  readonly restore = (snapshot: Snapshot): Effect.Effect<void> =>
    Effect.suspend(() => {
      const now = this.now()
      const to = stateCodes[snapshot.state]
      // Bring the break-duration schedule to where it stood: one step per recorded opening.
      this.resetSchedule()
      for (let i = 0; i < snapshot.openings; i++) this.stepBreak(now, true)
      const openings = this.openings
      const lastBreak = this.lastBreak
      const scheduleState = this.scheduleState
      const change = this.transition(
        to,
        "Restore",
        now,
        to === OPEN ? snapshot.openUntil ?? now + this.lastBreak : undefined
      )
      // A restored CLOSED must not rewind the schedule the snapshot carried.
      this.openings = openings
      this.lastBreak = lastBreak
      this.scheduleState = scheduleState
      return change.from === change.to ? Effect.void : this.announce(change)
    })

  shutdown(): void {
    this.open = false
  }
}

/** @internal */
export const make = (options: Options): Effect.Effect<CircuitBreaker, never, Scope.Scope> =>
  Effect.flatMap(Effect.clock, (clock) =>
    Effect.flatMap(
      Effect.acquireRelease(PubSub.sliding<StateChange>(1024), PubSub.shutdown),
      (hub) => {
        const breaker = new Breaker(options, clock, hub)
        // Runs before the hub's shutdown: later transitions are still logged, no longer published.
        return Effect.as(Effect.addFinalizer(() => Effect.sync(() => breaker.shutdown())), breaker)
      }
    ))

/** @internal */
export const layer = <I>(
  tag: Context.Tag<I, CircuitBreaker>,
  options: Options
): Layer.Layer<I> => Layer.scoped(tag, make(options))

/** @internal */
export const protect: {
  (breaker: CircuitBreaker): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpen, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, breaker: CircuitBreaker): Effect.Effect<A, E | CircuitOpen, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, breaker: CircuitBreaker): Effect.Effect<A, E | CircuitOpen, R> =>
    breaker.protect(self)
)

/** @internal */
export const isCircuitBreaker = (u: unknown): u is CircuitBreaker =>
  typeof u === "object" && u !== null && TypeId in u
