/**
 * Model-based test: random sequences of calls (finishing at once or held in flight and
 * finished later), outcomes, clock moves and manual actions run against the breaker and
 * against a small pure reference model; after every step both must agree on the state, and
 * on every call on admit or reject (and the rejection's retryAfter).
 *
 * The clock is a hand-driven `Clock` (a variable), so a call can take time synchronously.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Clock as ClockNS } from "effect"
import {
  Cause,
  Clock,
  Deferred,
  Duration,
  Effect,
  Exit,
  FastCheck as fc,
  Fiber,
  Logger,
  LogLevel,
  Option,
  Schedule,
  Scope
} from "effect"
import * as CircuitBreaker from "../src/CircuitBreaker.js"
import * as Errors from "../src/Errors.js"

// --- configuration and commands ---------------------------------------------------------

interface SlowCfg {
  readonly threshold: number
  readonly rate: number
}

type StrategyCfg =
  | { readonly _tag: "Consecutive"; readonly threshold: number }
  | {
    readonly _tag: "Count"
    readonly size: number
    readonly minimumCalls: number
    readonly failureRate: number
    readonly slow: SlowCfg | undefined
  }
  | {
    readonly _tag: "Time"
    readonly width: number
    readonly buckets: number
    readonly minimumCalls: number
    readonly failureRate: number
    readonly slow: SlowCfg | undefined
  }

interface Config {
  readonly strategy: StrategyCfg
  readonly probes: number
  /** Break durations: min(base * 2^n, cap), or constant base when `constant`. */
  readonly base: number
  readonly cap: number
  readonly constant: boolean
}

type Outcome = "success" | "transient" | "permanent" | "defect" | "interrupt"

type Command =
  | { readonly _tag: "Call"; readonly outcome: Outcome; readonly duration: number }
  | { readonly _tag: "Start" }
  | { readonly _tag: "Finish"; readonly pick: number; readonly outcome: Outcome | "fiberInterrupt" }
  | { readonly _tag: "Advance"; readonly millis: number }
  | { readonly _tag: "Isolate" }
  | { readonly _tag: "Reset" }
  | { readonly _tag: "Disable" }

const rateArb = fc.constantFrom(0.25, 0.5, 0.75, 1)
const slowArb = fc.option(fc.record({ threshold: fc.integer({ min: 1, max: 40 }), rate: rateArb }), { nil: undefined })

const strategyArb: fc.Arbitrary<StrategyCfg> = fc.oneof(
  fc.record({ _tag: fc.constant("Consecutive" as const), threshold: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    _tag: fc.constant("Count" as const),
    size: fc.integer({ min: 1, max: 8 }),
    minimumCalls: fc.integer({ min: 1, max: 8 }),
    failureRate: rateArb,
    slow: slowArb
  }),
  fc.record({
    _tag: fc.constant("Time" as const),
    width: fc.integer({ min: 5, max: 60 }),
    buckets: fc.integer({ min: 1, max: 5 }),
    minimumCalls: fc.integer({ min: 1, max: 6 }),
    failureRate: rateArb,
    slow: slowArb
  })
)

const configArb: fc.Arbitrary<Config> = fc.record({
  strategy: strategyArb,
  probes: fc.integer({ min: 1, max: 3 }),
  base: fc.integer({ min: 1, max: 100 }),
  cap: fc.integer({ min: 1, max: 400 }),
  constant: fc.boolean()
})

// Failures are frequent enough that runs trip, probe and back off, not just sit closed.
const outcomeArb: fc.Arbitrary<Outcome> = fc.constantFrom(
  "success",
  "success",
  "success",
  "transient",
  "transient",
  "transient",
  "defect",
  "permanent",
  "interrupt"
)

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({
      _tag: fc.constant("Call" as const),
      outcome: outcomeArb,
      duration: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60 }))
    })
  },
  { weight: 4, arbitrary: fc.constant({ _tag: "Start" as const }) },
  {
    weight: 6,
    arbitrary: fc.record({
      _tag: fc.constant("Finish" as const),
      pick: fc.nat(),
      outcome: fc.oneof(outcomeArb, fc.constant("fiberInterrupt" as const))
    })
  },
  { weight: 8, arbitrary: fc.record({ _tag: fc.constant("Advance" as const), millis: fc.integer({ min: 0, max: 150 }) }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "Isolate" as const }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "Reset" as const }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "Disable" as const }) }
)

// --- the reference model ------------------------------------------------------------------

type Kind = "closed" | "probe" | "untracked"

interface Admission {
  readonly admitted: boolean
  readonly kind: Kind
  readonly epoch: number
  readonly start: number
  readonly retryAfter: number
}

/** The breaker's specification, written plainly: lists instead of rings, no metrics, no effects. */
class Model {
  state: CircuitBreaker.State = "Closed"
  epoch = 0
  openUntil = 0
  openings = 0
  permits = 0
  successes = 0
  consecutive = 0
  events: Array<{ bucket: number; failed: boolean; slow: boolean }> = []
  lastBreak: number

  constructor(readonly config: Config) {
    this.lastBreak = this.breakAt(0)
  }

  breakAt(n: number): number {
    return this.config.constant ? this.config.base : Math.min(this.config.base * 2 ** n, this.config.cap)
  }

  get slowMillis(): number {
    const s = this.config.strategy
    return s._tag !== "Consecutive" && s.slow !== undefined ? s.slow.threshold : Infinity
  }

  enter(state: CircuitBreaker.State, now: number): void {
    this.state = state
    this.epoch++
    if (state === "Closed" || state === "Open") {
      this.consecutive = 0
      this.events = []
    }
    if (state === "Closed") {
      this.openings = 0
      this.lastBreak = this.breakAt(0)
    }
    if (state === "Open") {
      this.lastBreak = this.breakAt(this.openings++)
      this.openUntil = now + this.lastBreak
    }
    if (state === "HalfOpen") {
      this.permits = this.config.probes
      this.successes = 0
    }
  }

  elapse(now: number): void {
    if (this.state === "Open" && now >= this.openUntil) this.enter("HalfOpen", now)
  }

  admit(now: number): Admission {
    this.elapse(now)
    const yes = (kind: Kind): Admission => ({ admitted: true, kind, epoch: this.epoch, start: now, retryAfter: 0 })
    const no = (retryAfter: number): Admission => ({
      admitted: false,
      kind: "untracked",
      epoch: this.epoch,
      start: now,
      retryAfter
    })
    switch (this.state) {
      case "Closed":
        return yes("closed")
      case "Disabled":
        return yes("untracked")
      case "HalfOpen":
        if (this.permits === 0) return no(this.lastBreak)
        this.permits--
        return yes("probe")
      case "Open":
        return no(this.openUntil - now)
      case "Isolated":
        return no(this.lastBreak)
    }
  }

  /** Whether the closed-state strategy trips on this outcome. */
  record(now: number, failed: boolean, slow: boolean): boolean {
    const s = this.config.strategy
    if (s._tag === "Consecutive") {
      this.consecutive = failed ? this.consecutive + 1 : 0
      return this.consecutive >= s.threshold
    }
    if (s._tag === "Count") {
      this.events.push({ bucket: 0, failed, slow })
      if (this.events.length > s.size) this.events.shift()
    } else {
      const bucket = Math.floor(now / s.width)
      this.events.push({ bucket, failed, slow })
      this.events = this.events.filter((e) => e.bucket > bucket - s.buckets)
    }
    const minimum = s._tag === "Count" ? Math.min(s.minimumCalls, s.size) : s.minimumCalls
    const total = this.events.length
    if (total < minimum) return false
    const failures = this.events.filter((e) => e.failed).length
    const slows = this.events.filter((e) => e.slow).length
    return failures / total >= s.failureRate || (s.slow !== undefined && slows / total >= s.slow.rate)
  }

  finish(call: Admission, outcome: Outcome | "fiberInterrupt", now: number): void {
    if (call.kind === "untracked" || call.epoch !== this.epoch) return
    const counts = outcome === "success" ? "success" : outcome === "transient" || outcome === "defect"
      ? "failure"
      : "neither"
    const slow = now - call.start > this.slowMillis
    if (call.kind === "closed") {
      if (counts !== "neither" && this.record(now, counts === "failure", slow)) this.enter("Open", now)
      return
    }
    if (counts === "neither") this.permits++
    else if (counts === "failure" || slow) this.enter("Open", now)
    else if (++this.successes >= this.config.probes) this.enter("Closed", now)
  }

  force(state: CircuitBreaker.State, now: number): void {
    if (this.state === state) {
      if (state === "Closed") {
        this.consecutive = 0
        this.events = []
      }
      return
    }
    this.enter(state, now)
  }
}

// --- running a sequence against the breaker -----------------------------------------------------

const manualClock = (time: { now: number }): ClockNS.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => time.now,
  currentTimeMillis: Effect.sync(() => time.now),
  unsafeCurrentTimeNanos: () => BigInt(time.now) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => BigInt(time.now) * 1_000_000n),
  sleep: () => Effect.never
})

const strategyOf = (s: StrategyCfg): CircuitBreaker.TripStrategy => {
  const slowCall = (slow: SlowCfg | undefined) =>
    slow === undefined ? undefined : { threshold: Duration.millis(slow.threshold), rate: slow.rate }
  switch (s._tag) {
    case "Consecutive":
      return CircuitBreaker.consecutiveFailures(s.threshold)
    case "Count":
      return CircuitBreaker.countWindow({
        size: s.size,
        minimumCalls: s.minimumCalls,
        failureRate: s.failureRate,
        slowCall: slowCall(s.slow)
      })
    case "Time":
      return CircuitBreaker.timeWindow({
        window: Duration.millis(s.width * s.buckets),
        buckets: s.buckets,
        minimumCalls: s.minimumCalls,
        failureRate: s.failureRate,
        slowCall: slowCall(s.slow)
      })
  }
}

const outcomeEffect = (outcome: Outcome): Effect.Effect<string, Errors.ServiceUnavailable | Errors.NotFound> => {
  switch (outcome) {
    case "success":
      return Effect.succeed("ok")
    case "transient":
      return Effect.fail(new Errors.ServiceUnavailable({ service: "dep" }))
    case "permanent":
      return Effect.fail(new Errors.NotFound({ resource: "r", id: "1" }))
    case "defect":
      return Effect.die("boom")
    case "interrupt":
      return Effect.interrupt
  }
}

const rejectionOf = (exit: Exit.Exit<unknown, unknown>): CircuitBreaker.CircuitOpen | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  return Option.isSome(failure) && failure.value instanceof CircuitBreaker.CircuitOpen ? failure.value : undefined
}

interface Held {
  readonly fiber: Fiber.RuntimeFiber<string, unknown>
  readonly gate: Deferred.Deferred<string, Errors.ServiceUnavailable | Errors.NotFound>
  readonly admission: Admission
}

let runs = 0

const check = (config: Config, commands: ReadonlyArray<Command>) =>
  Effect.gen(function*() {
    const time = { now: 1_000 }
    const scope = yield* Scope.make()
    const breaker = yield* CircuitBreaker.make({
      name: `model-${++runs}`,
      trip: strategyOf(config.strategy),
      halfOpenProbes: config.probes,
      breakDuration: config.constant
        ? Duration.millis(config.base)
        : Schedule.exponential(Duration.millis(config.base)).pipe(Schedule.union(Schedule.spaced(config.cap)))
    }).pipe(Effect.withClock(manualClock(time)), Scope.extend(scope))
    const model = new Model(config)
    const held: Array<Held> = []

    const expectAdmission = (step: number, expected: Admission, admitted: boolean, exit?: Exit.Exit<unknown, unknown>) => {
      expect(admitted, `step ${step}: admitted`).toBe(expected.admitted)
      if (!expected.admitted && exit !== undefined) {
        expect(Duration.toMillis(rejectionOf(exit)!.retryAfter), `step ${step}: retryAfter`).toBe(expected.retryAfter)
      }
    }

    for (let step = 0; step < commands.length; step++) {
      const command = commands[step]!
      switch (command._tag) {
        case "Call": {
          let admitted = false
          const inner = Effect.suspend(() => {
            admitted = true
            time.now += command.duration
            return outcomeEffect(command.outcome)
          })
          const expected = model.admit(time.now)
          const exit = yield* Effect.exit(breaker.protect(inner))
          expectAdmission(step, expected, admitted, exit)
          if (expected.admitted) model.finish(expected, command.outcome, time.now)
          break
        }
        case "Start": {
          let admitted = false
          const gate = yield* Deferred.make<string, Errors.ServiceUnavailable | Errors.NotFound>()
          const inner = Effect.suspend(() => {
            admitted = true
            return Deferred.await(gate)
          })
          const expected = model.admit(time.now)
          const fiber = yield* Effect.fork(breaker.protect(inner))
          yield* Effect.yieldNow()
          if (admitted) {
            expectAdmission(step, expected, true)
            held.push({ fiber, gate, admission: expected })
          } else {
            expectAdmission(step, expected, false, yield* Fiber.await(fiber))
          }
          break
        }
        case "Finish": {
          if (held.length === 0) break
          const [call] = held.splice(command.pick % held.length, 1)
          const { admission, fiber, gate } = call!
          const outcome = command.outcome
          if (outcome === "fiberInterrupt") yield* Fiber.interrupt(fiber)
          else {
            yield* Deferred.complete(gate, outcomeEffect(outcome))
            yield* Fiber.await(fiber)
          }
          model.finish(admission, outcome, time.now)
          break
        }
        case "Advance":
          time.now += command.millis
          break
        case "Isolate":
          yield* breaker.isolate
          model.force("Isolated", time.now)
          break
        case "Reset":
          yield* breaker.reset
          model.force("Closed", time.now)
          break
        case "Disable":
          yield* breaker.disable
          model.force("Disabled", time.now)
          break
      }
      model.elapse(time.now)
      expect(yield* breaker.state, `step ${step} (${command._tag}): state`).toBe(model.state)
      const snapshot = yield* breaker.snapshot
      expect(snapshot, `step ${step}: snapshot`).toEqual(
        model.state === "Open"
          ? { name: breaker.name, state: "Open", openings: model.openings, openUntil: model.openUntil }
          : { name: breaker.name, state: model.state, openings: model.openings }
      )
    }
    yield* Effect.forEach(held, (h) => Fiber.interrupt(h.fiber), { discard: true })
    yield* Scope.close(scope, Exit.void)
  }).pipe(Logger.withMinimumLogLevel(LogLevel.None))

describe("CircuitBreaker against a reference model", () => {
  it("agrees on state and admit/reject at every step (1,000 random runs)", async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(commandArb, { minLength: 1, maxLength: 60, size: "max" }), (config, commands) =>
        Effect.runPromise(check(config, commands))),
      { numRuns: 1_000 }
    )
  }, 120_000)

  it("detects a wrong model (the check has teeth)", async () => {
    // Same machinery, with a model that forgets to return permits of interrupted probes.
    const config: Config = { strategy: { _tag: "Consecutive", threshold: 1 }, probes: 1, base: 10, cap: 10, constant: true }
    const commands: ReadonlyArray<Command> = [
      { _tag: "Call", outcome: "transient", duration: 0 },
      { _tag: "Advance", millis: 10 },
      { _tag: "Start" },
      { _tag: "Finish", pick: 0, outcome: "fiberInterrupt" },
      { _tag: "Call", outcome: "success", duration: 0 }
    ]
    const original = Model.prototype.finish
    Model.prototype.finish = function(this: Model, call, outcome, now) {
      if (call.kind === "probe" && (outcome === "fiberInterrupt" || outcome === "interrupt")) return
      return original.call(this, call, outcome, now)
    }
    try {
      await expect(Effect.runPromise(check(config, commands))).rejects.toThrow(/admitted/)
    } finally {
      Model.prototype.finish = original
    }
    await Effect.runPromise(check(config, commands))
  })
})
