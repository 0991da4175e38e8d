import { describe, expect, it } from "@effect/vitest"
import {
  Cause,
  Chunk,
  Config,
  ConfigProvider,
  Context,
  Deferred,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  Logger,
  LogLevel,
  Metric,
  Option,
  Schedule,
  Schema,
  Stream,
  TestClock
} from "effect"
import * as CircuitBreaker from "../src/CircuitBreaker.js"
import * as Errors from "../src/Errors.js"
import { type CapturedLog, captureLogs, withMessage } from "./support/captureLogs.js"

// --- helpers ---------------------------------------------------------------------------

let names = 0
const uniqueName = (prefix: string) => `${prefix}-${++names}`

const ok = Effect.succeed("ok")
const transient = Effect.fail(new Errors.ServiceUnavailable({ service: "dep" }))
const permanent = Effect.fail(new Errors.NotFound({ resource: "user", id: "1" }))
const defect = Effect.die(new Error("boom"))

/** Breaker logs are silenced in tests that do not read them. */
const quiet = Logger.withMinimumLogLevel(LogLevel.None)

const make = (options: Partial<CircuitBreaker.Options> = {}) =>
  CircuitBreaker.make({ name: uniqueName("cb"), ...options })

const rejection = <A, E>(exit: Exit.Exit<A, E>): CircuitBreaker.CircuitOpen | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  return Option.isSome(failure) && failure.value instanceof CircuitBreaker.CircuitOpen ? failure.value : undefined
}

const call = <A, E>(breaker: CircuitBreaker.CircuitBreaker, effect: Effect.Effect<A, E>) =>
  Effect.exit(breaker.protect(effect))

const repeat = <A, E>(breaker: CircuitBreaker.CircuitBreaker, effect: Effect.Effect<A, E>, n: number) =>
  Effect.forEach(Array.from({ length: n }), () => call(breaker, effect), { discard: true })

const expectState = (breaker: CircuitBreaker.CircuitBreaker, state: CircuitBreaker.State) =>
  Effect.map(breaker.state, (s) => expect(s).toBe(state))

const retryAfterMillis = (exit: Exit.Exit<unknown, unknown>) => {
  const open = rejection(exit)
  expect(open).toBeDefined()
  return Duration.toMillis(open!.retryAfter)
}

const counter = (breaker: string, outcome: string) =>
  Metric.value(
    CircuitBreaker.callsCounter.pipe(
      Metric.tagged("breaker", breaker),
      Metric.tagged("outcome", outcome)
    )
  ).pipe(Effect.map((s) => s.count))

const gauge = (breaker: string) =>
  Metric.value(CircuitBreaker.stateGauge.pipe(Metric.tagged("breaker", breaker))).pipe(
    Effect.map((s) => s.value)
  )

/** Lets forked subscribers of `changes` subscribe: TestClock waits until every fiber is suspended. */
const subscribed = TestClock.adjust(Duration.zero)

/** Trips a consecutive-failures breaker. */
const trip = (breaker: CircuitBreaker.CircuitBreaker, failures = 5) => repeat(breaker, transient, failures)

// --- CircuitOpen -------------------------------------------------------------------------

describe("CircuitOpen", () => {
  it("is a transient CIRCUIT_OPEN 503 carrying retryAfter, and survives JSON", () => {
    const e = new CircuitBreaker.CircuitOpen({ name: "payments", retryAfter: Duration.seconds(12) })
    expect(Errors.categoryOf(e)).toBe("Transient")
    expect(e.code).toBe("CIRCUIT_OPEN")
    expect(Errors.statusOf(e)).toBe(503)
    expect(Errors.retryAfterOf(e)).toEqual(Option.some(Duration.seconds(12)))
    expect(e.message).toBe("circuit payments is open, retry after 12s")
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(CircuitBreaker.CircuitOpen)(e)))
    expect(json).toEqual({ _tag: "CircuitOpen", name: "payments", retryAfter: 12000 })
    const back = Schema.decodeUnknownSync(CircuitBreaker.CircuitOpen)(json)
    expect(back).toBeInstanceOf(CircuitBreaker.CircuitOpen)
    expect(Duration.toMillis(back.retryAfter)).toBe(12000)
  })
})

// --- transitions -------------------------------------------------------------------------

describe("transitions (TestClock)", () => {
  it.scoped("consecutive failures open the circuit; rejections carry the remaining open time", () =>
    Effect.gen(function*() {
      const breaker = yield* make({ trip: CircuitBreaker.consecutiveFailures(3), breakDuration: "30 seconds" })
      yield* repeat(breaker, transient, 2)
      yield* call(breaker, ok) // a success restarts the count
      yield* repeat(breaker, transient, 2)
      yield* expectState(breaker, "Closed")
      let ran = 0
      const counted = Effect.sync(() => ran++)
      yield* call(breaker, transient)
      yield* expectState(breaker, "Open")
      const first = yield* call(breaker, counted)
      expect(ran).toBe(0)
      expect(retryAfterMillis(first)).toBe(30_000)
      yield* TestClock.adjust("12 seconds")
      expect(retryAfterMillis(yield* call(breaker, counted))).toBe(18_000)
      expect(ran).toBe(0)
    }).pipe(quiet))

  it.scoped("permanent errors do not count, defects do, and isFailure decides for typed errors", () =>
    Effect.gen(function*() {
      const byDefault = yield* make({ trip: CircuitBreaker.consecutiveFailures(2) })
      yield* repeat(byDefault, permanent, 10)
      yield* expectState(byDefault, "Closed")
      yield* repeat(byDefault, defect, 2)
      yield* expectState(byDefault, "Open")

      const custom = yield* make({
        trip: CircuitBreaker.consecutiveFailures(2),
        isFailure: (e) => e instanceof Errors.NotFound
      })
      yield* repeat(custom, transient, 10)
      yield* expectState(custom, "Closed")
      yield* repeat(custom, permanent, 2)
      yield* expectState(custom, "Open")
    }).pipe(quiet))

  it.scoped("OPEN -> HALF_OPEN after the break; a successful probe closes, a failed one re-opens", () =>
    Effect.gen(function*() {
      const breaker = yield* make({ breakDuration: "10 seconds" })
      yield* trip(breaker)
      yield* TestClock.adjust("9999 millis")
      yield* expectState(breaker, "Open")
      yield* TestClock.adjust("1 milli")
      yield* expectState(breaker, "HalfOpen")
      yield* call(breaker, transient)
      yield* expectState(breaker, "Open")
      yield* TestClock.adjust("10 seconds")
      expect(Exit.isSuccess(yield* call(breaker, ok))).toBe(true)
      yield* expectState(breaker, "Closed")
      // Closed again means counting from zero: four failures do not trip a threshold of five.
      yield* repeat(breaker, transient, 4)
      yield* expectState(breaker, "Closed")
    }).pipe(quiet))

  it.scoped("HALF_OPEN with N probes closes only after N successes; ignored outcomes give the permit back", () =>
    Effect.gen(function*() {
      const breaker = yield* make({ halfOpenProbes: 3, breakDuration: "1 second" })
      yield* trip(breaker)
      yield* TestClock.adjust("1 second")
      yield* call(breaker, ok)
      yield* call(breaker, permanent) // ignored: neither success nor failure
      yield* call(breaker, Effect.interrupt) // interrupted: neither
      yield* call(breaker, ok)
      yield* expectState(breaker, "HalfOpen")
      yield* call(breaker, ok)
      yield* expectState(breaker, "Closed")
    }).pipe(quiet))

  it.scoped("break duration backs off across repeated openings and starts again after closing", () =>
    Effect.gen(function*() {
      const breaker = yield* make({
        breakDuration: Schedule.exponential("10 seconds").pipe(Schedule.union(Schedule.spaced("60 seconds")))
      })
      yield* trip(breaker)
      const observed: Array<number> = []
      for (let i = 0; i < 5; i++) {
        const wait = retryAfterMillis(yield* call(breaker, ok))
        observed.push(wait)
        yield* TestClock.adjust(Duration.millis(wait - 1))
        yield* expectState(breaker, "Open")
        yield* TestClock.adjust("1 milli")
        yield* call(breaker, transient) // the probe fails: open again, longer
      }
      expect(observed).toEqual([10_000, 20_000, 40_000, 60_000, 60_000])
      yield* TestClock.adjust("60 seconds")
      yield* call(breaker, ok)
      yield* expectState(breaker, "Closed")
      yield* trip(breaker)
      expect(retryAfterMillis(yield* call(breaker, ok))).toBe(10_000)
    }).pipe(quiet))

  it.scoped("a finished schedule keeps its last break duration", () =>
    Effect.gen(function*() {
      const breaker = yield* make({ breakDuration: Schedule.fromDelays("1 second", "2 seconds") })
      const waits: Array<number> = []
      yield* trip(breaker)
      for (let i = 0; i < 4; i++) {
        const wait = retryAfterMillis(yield* call(breaker, ok))
        waits.push(wait)
        yield* TestClock.adjust(Duration.millis(wait))
        yield* call(breaker, transient)
      }
      expect(waits).toEqual([1000, 2000, 2000, 2000])
      expect((yield* breaker.snapshot).openings).toBe(5) // every opening counts, also past the schedule's end
    }).pipe(quiet))

  it.scoped("count window: failure rate over the last N calls, after a minimum of calls", () =>
    Effect.gen(function*() {
      const breaker = yield* make({ trip: CircuitBreaker.countWindow({ size: 10, minimumCalls: 4, failureRate: 0.5 }) })
      yield* repeat(breaker, transient, 3)
      yield* expectState(breaker, "Closed") // 3 calls < minimum
      yield* call(breaker, ok)
      yield* expectState(breaker, "Open") // 3 of 4

      yield* breaker.reset
      yield* repeat(breaker, ok, 7)
      yield* repeat(breaker, transient, 3)
      yield* repeat(breaker, transient, 1) // the window slides past the first success: 4 of 10
      yield* expectState(breaker, "Closed")
      yield* repeat(breaker, transient, 1)
      yield* expectState(breaker, "Open") // 5 of 10
    }).pipe(quiet))

  it.scoped("time window: old calls age out; minimum calls are required", () =>
    Effect.gen(function*() {
      const breaker = yield* make({
        trip: CircuitBreaker.timeWindow({ window: "10 seconds", buckets: 10, minimumCalls: 4, failureRate: 0.5 })
      })
      yield* repeat(breaker, transient, 3)
      yield* expectState(breaker, "Closed")
      yield* TestClock.adjust("10 seconds") // those three left the window
      yield* repeat(breaker, ok, 2)
      yield* repeat(breaker, transient, 1)
      yield* expectState(breaker, "Closed") // 3 calls < minimum
      yield* TestClock.adjust("5 seconds")
      yield* repeat(breaker, transient, 1)
      yield* expectState(breaker, "Open") // 2 of 4 within 10 s
    }).pipe(quiet))

  it.scoped("slow-call rate opens the circuit; a slow probe re-opens it", () =>
    Effect.gen(function*() {
      const breaker = yield* make({
        trip: CircuitBreaker.countWindow({ size: 4, failureRate: 1, slowCall: { threshold: "2 seconds", rate: 0.5 } }),
        breakDuration: "5 seconds"
      })
      const slow = Effect.sleep("3 seconds").pipe(Effect.as("slow"))
      const slowCall = Effect.gen(function*() {
        const fiber = yield* Effect.fork(call(breaker, slow))
        yield* TestClock.adjust("3 seconds")
        return yield* Fiber.join(fiber)
      })
      yield* slowCall
      yield* repeat(breaker, ok, 2)
      yield* expectState(breaker, "Closed") // 3 calls < 4
      const exit = yield* slowCall
      expect(Exit.isSuccess(exit)).toBe(true) // a slow call still returns its value
      yield* expectState(breaker, "Open") // 2 slow of 4
      yield* TestClock.adjust("5 seconds")
      yield* slowCall
      yield* expectState(breaker, "Open")
      expect(yield* counter(breaker.name, "slow")).toBe(3)
    }).pipe(quiet))

  it.scoped("isolate, disable and reset", () =>
    Effect.gen(function*() {
      const breaker = yield* make({ breakDuration: "7 seconds" })
      yield* breaker.isolate
      yield* expectState(breaker, "Isolated")
      yield* TestClock.adjust("1 hour")
      expect(retryAfterMillis(yield* call(breaker, ok))).toBe(7_000)
      yield* expectState(breaker, "Isolated") // no break ends an isolation
      yield* breaker.disable
      yield* repeat(breaker, transient, 100)
      yield* expectState(breaker, "Disabled") // nothing is counted
      yield* breaker.reset
      yield* expectState(breaker, "Closed")
      yield* trip(breaker)
      yield* expectState(breaker, "Open")
      yield* breaker.reset
      expect(Exit.isSuccess(yield* call(breaker, ok))).toBe(true)
    }).pipe(quiet))

  it.scoped("an outcome from an earlier epoch does not move the state", () =>
    Effect.gen(function*() {
      const breaker = yield* make({ trip: CircuitBreaker.consecutiveFailures(1), breakDuration: "1 second" })
      const gate = yield* Deferred.make<void>()
      // Admitted while closed, finishes after the circuit opened and went half-open.
      const stale = yield* Effect.fork(call(breaker, Deferred.await(gate).pipe(Effect.as("late"))))
      yield* Effect.yieldNow()
      yield* call(breaker, transient)
      yield* TestClock.adjust("1 second")
      yield* expectState(breaker, "HalfOpen")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(stale)
      yield* expectState(breaker, "HalfOpen") // the late success is not a probe
    }).pipe(quiet))
})

// --- concurrency -------------------------------------------------------------------------

describe("concurrency", () => {
  /** A half-open breaker with `probes` permits. */
  const halfOpen = (probes: number) =>
    Effect.gen(function*() {
      const breaker = yield* make({ halfOpenProbes: probes, breakDuration: "1 second" })
      yield* trip(breaker)
      yield* TestClock.adjust("1 second")
      yield* expectState(breaker, "HalfOpen")
      return breaker
    })

  it.scoped("10,000 concurrent calls at a HALF_OPEN breaker with N = 3: exactly 3 are admitted", () =>
    Effect.gen(function*() {
      const breaker = yield* halfOpen(3)
      const gate = yield* Deferred.make<void>()
      let admitted = 0
      const probe = Effect.sync(() => admitted++).pipe(Effect.zipRight(Deferred.await(gate)))
      const fibers = yield* Effect.forEach(Array.from({ length: 10_000 }), () => Effect.fork(call(breaker, probe)))
      yield* Effect.yieldNow()
      const rejected = (yield* Effect.forEach(fibers.slice(3), Fiber.join)).filter((e) => rejection(e) !== undefined)
      expect(admitted).toBe(3)
      yield* Deferred.succeed(gate, undefined)
      const all = yield* Effect.forEach(fibers, Fiber.join)
      expect(all.filter(Exit.isSuccess).length).toBe(3)
      expect(rejected.length + all.slice(0, 3).filter((e) => rejection(e) !== undefined).length).toBe(9_997)
      yield* expectState(breaker, "Closed")
    }).pipe(quiet))

  it.scoped("interrupting in-flight probes returns their permits: the breaker never sticks half-open", () =>
    Effect.gen(function*() {
      const breaker = yield* halfOpen(3)
      for (let round = 0; round < 3; round++) {
        let admitted = 0
        const hang = Effect.sync(() => admitted++).pipe(Effect.zipRight(Effect.never))
        const fibers = yield* Effect.forEach(Array.from({ length: 2_000 }), () => Effect.fork(call(breaker, hang)))
        yield* Effect.yieldNow()
        expect(admitted).toBe(3)
        yield* Effect.forEach(fibers, Fiber.interrupt, { concurrency: "unbounded", discard: true })
        yield* expectState(breaker, "HalfOpen")
      }
      const results = yield* Effect.forEach(Array.from({ length: 3 }), () => call(breaker, ok), {
        concurrency: "unbounded"
      })
      expect(results.every(Exit.isSuccess)).toBe(true)
      yield* expectState(breaker, "Closed")
    }).pipe(quiet))

  it.scoped("concurrent failures at a closed breaker open it once", () =>
    Effect.gen(function*() {
      const breaker = yield* make({ trip: CircuitBreaker.countWindow({ size: 100, minimumCalls: 10 }) })
      const changes = yield* Effect.fork(Stream.runCollect(Stream.take(breaker.changes, 1)))
      yield* subscribed
      const exits = yield* Effect.forEach(
        Array.from({ length: 5_000 }),
        (_, i) => call(breaker, Effect.yieldNow().pipe(Effect.zipRight(i % 2 === 0 ? transient : ok))),
        { concurrency: "unbounded" }
      )
      const change = Chunk.toReadonlyArray(yield* Fiber.join(changes))
      expect(change.map((c) => [c.from, c.to, c.reason])).toEqual([["Closed", "Open", "FailureRate"]])
      // Every call was admitted (closed when it started); later ones rejected once open.
      expect(exits.filter((e) => rejection(e) !== undefined).length).toBe(0)
      yield* expectState(breaker, "Open")
    }).pipe(quiet))
})

// --- observation ---------------------------------------------------------------------------

describe("observation", () => {
  it.scoped("every state change is published on `changes` and logged with breaker, from, to, reason", () =>
    Effect.gen(function*() {
      const lines: Array<CapturedLog> = []
      const program = Effect.gen(function*() {
        const breaker = yield* make({ breakDuration: "1 second", name: "observed" })
        const collected = yield* Effect.fork(Stream.runCollect(Stream.take(breaker.changes, 6)))
        yield* subscribed
        yield* trip(breaker)
        yield* TestClock.adjust("1 second")
        yield* call(breaker, ok)
        yield* breaker.isolate
        yield* breaker.disable
        yield* breaker.reset
        const changes = Chunk.toReadonlyArray(yield* Fiber.join(collected))
        expect(changes.map((c) => `${c.from}->${c.to}:${c.reason}`)).toEqual([
          "Closed->Open:ConsecutiveFailures",
          "Open->HalfOpen:BreakElapsed",
          "HalfOpen->Closed:ProbesSucceeded",
          "Closed->Isolated:Isolate",
          "Isolated->Disabled:Disable",
          "Disabled->Closed:Reset"
        ])
        expect(changes[0]!.breaker).toBe("observed")
        expect(changes[1]!.at).toBe(1000)
      })
      yield* program.pipe(Effect.provide(captureLogs(lines)))
      const logged = withMessage(lines, "circuit_breaker_state_change")
      expect(logged.map((l) => [l.level, l.annotations.from, l.annotations.to, l.annotations.reason])).toEqual([
        ["WARN", "Closed", "Open", "ConsecutiveFailures"],
        ["INFO", "Open", "HalfOpen", "BreakElapsed"],
        ["INFO", "HalfOpen", "Closed", "ProbesSucceeded"],
        ["WARN", "Closed", "Isolated", "Isolate"],
        ["INFO", "Isolated", "Disabled", "Disable"],
        ["INFO", "Disabled", "Closed", "Reset"]
      ])
      expect(logged.every((l) => l.annotations.breaker === "observed")).toBe(true)
    }))

  it.scoped("metrics: state gauge and calls by outcome", () =>
    Effect.gen(function*() {
      const breaker = yield* make({ trip: CircuitBreaker.consecutiveFailures(2) })
      const name = breaker.name
      expect(yield* gauge(name)).toBe(0)
      yield* repeat(breaker, ok, 3)
      yield* repeat(breaker, permanent, 2)
      yield* call(breaker, Effect.interrupt)
      yield* repeat(breaker, transient, 2)
      yield* repeat(breaker, ok, 4)
      expect({
        success: yield* counter(name, "success"),
        ignored: yield* counter(name, "ignored"),
        failure: yield* counter(name, "failure"),
        rejected: yield* counter(name, "rejected"),
        slow: yield* counter(name, "slow")
      }).toEqual({ success: 3, ignored: 2, failure: 2, rejected: 4, slow: 0 })
      expect(yield* gauge(name)).toBe(1)
      yield* breaker.isolate
      expect(yield* gauge(name)).toBe(4)
      yield* breaker.disable
      expect(yield* gauge(name)).toBe(3)
    }).pipe(quiet))
})

// --- snapshot / restore ---------------------------------------------------------------------

describe("snapshot and restore", () => {
  it.scoped("an open circuit survives a restart through JSON, backoff included", () =>
    Effect.gen(function*() {
      const breakDuration = Schedule.exponential("10 seconds")
      const first = yield* make({ name: "payments", breakDuration })
      yield* trip(first)
      yield* TestClock.adjust("10 seconds")
      yield* call(first, transient) // second opening: 20 s
      yield* TestClock.adjust("5 seconds")
      const json = Schema.encodeSync(Schema.parseJson(CircuitBreaker.Snapshot))(yield* first.snapshot)
      expect(JSON.parse(json)).toEqual({ name: "payments", state: "Open", openings: 2, openUntil: 30_000 })

      const second = yield* make({ name: "payments", breakDuration })
      yield* second.restore(Schema.decodeUnknownSync(Schema.parseJson(CircuitBreaker.Snapshot))(json))
      expect(retryAfterMillis(yield* call(second, ok))).toBe(15_000)
      yield* TestClock.adjust("15 seconds")
      yield* call(second, transient) // third opening continues the backoff: 40 s
      expect(retryAfterMillis(yield* call(second, ok))).toBe(40_000)
    }).pipe(quiet))

  it.scoped("restores every state", () =>
    Effect.gen(function*() {
      for (const state of ["Closed", "HalfOpen", "Isolated", "Disabled"] as const) {
        const breaker = yield* make()
        yield* breaker.restore({ name: breaker.name, state, openings: 0 })
        yield* expectState(breaker, state)
        expect((yield* breaker.snapshot).state).toBe(state)
      }
    }).pipe(quiet))
})

// --- API shape --------------------------------------------------------------------------------

describe("API", () => {
  class Payments extends Context.Tag("test/Payments")<Payments, CircuitBreaker.CircuitBreaker>() {}

  it.effect("layer provides a breaker under a user's tag; protect is data-first and data-last", () =>
    Effect.gen(function*() {
      const breaker = yield* Payments
      expect(CircuitBreaker.isCircuitBreaker(breaker)).toBe(true)
      expect(breaker.name).toBe("layered")
      expect(yield* Effect.succeed(1).pipe(CircuitBreaker.protect(breaker))).toBe(1)
      expect(yield* CircuitBreaker.protect(Effect.succeed(2), breaker)).toBe(2)
      yield* Effect.forEach([1, 2, 3, 4, 5], () => Effect.exit(CircuitBreaker.protect(transient, breaker)))
      const exit = yield* Effect.exit(CircuitBreaker.protect(ok, breaker))
      expect(rejection(exit)?.name).toBe("layered")
    }).pipe(Effect.provide(CircuitBreaker.layer(Payments, { name: "layered" })), quiet))

  it("rejects nonsensical options at construction", () => {
    expect(() => CircuitBreaker.consecutiveFailures(0)).toThrow(RangeError)
    expect(() => CircuitBreaker.countWindow({ size: 10, failureRate: 1.5 })).toThrow(RangeError)
    expect(() => CircuitBreaker.timeWindow({ window: "0 seconds" })).toThrow(RangeError)
    expect(CircuitBreaker.countWindow({ size: 5, minimumCalls: 50 })).toMatchObject({ minimumCalls: 5 })
  })

  it("defaultIsFailure counts transient and foreign errors only", () => {
    expect(CircuitBreaker.defaultIsFailure(new Errors.NetworkTimeout({ service: "s", timeout: Duration.seconds(1) })))
      .toBe(true)
    expect(CircuitBreaker.defaultIsFailure(new Error("socket hang up"))).toBe(true)
    expect(CircuitBreaker.defaultIsFailure(new Errors.NotFound({ resource: "r", id: "1" }))).toBe(false)
    expect(CircuitBreaker.defaultIsFailure(new Errors.CacheMiss({ key: "k" }))).toBe(false)
    expect(CircuitBreaker.defaultIsFailure(new Errors.MissingConfig({ key: "K" }))).toBe(false)
  })
})


// --- config -------------------------------------------------------------------------------------

describe("config", () => {
  const read = (entries: Record<string, string>) =>
    Effect.either(
      Effect.withConfigProvider(
        Config.nested(CircuitBreaker.config, "CB"),
        ConfigProvider.fromMap(new Map(Object.entries(entries)), { pathDelim: "_" })
      )
    )

  const settings = (entries: Record<string, string>) =>
    Effect.flatMap(read(entries), Either.match({ onLeft: (e) => Effect.die(e), onRight: Effect.succeed }))

  const failure = (entries: Record<string, string>) =>
    Effect.map(read(entries), Either.match({ onLeft: (e) => String(e), onRight: (s) => `no error: ${JSON.stringify(s)}` }))

  it.effect("no keys: the same settings as make's defaults", () =>
    Effect.gen(function*() {
      expect(yield* settings({})).toEqual({
        trip: CircuitBreaker.consecutiveFailures(5),
        breakDuration: Duration.seconds(30),
        halfOpenProbes: 1
      })
    }))

  it.effect("each strategy from its keys, with durations parsed", () =>
    Effect.gen(function*() {
      expect(yield* settings({ CB_TRIP: "consecutive", CB_FAILURE_THRESHOLD: "3", CB_HALF_OPEN_PROBES: "2" })).toEqual({
        trip: CircuitBreaker.consecutiveFailures(3),
        breakDuration: Duration.seconds(30),
        halfOpenProbes: 2
      })
      const count = yield* settings({ CB_TRIP: "count", CB_WINDOW_SIZE: "50", CB_FAILURE_RATE: "0.25", CB_MINIMUM_CALLS: "10" })
      expect(count.trip).toEqual(CircuitBreaker.countWindow({ size: 50, failureRate: 0.25, minimumCalls: 10 }))
      const time = yield* settings({
        CB_TRIP: "time",
        CB_WINDOW: "30 seconds",
        CB_BUCKETS: "6",
        CB_SLOW_CALL_THRESHOLD: "2 seconds",
        CB_SLOW_CALL_RATE: "0.8",
        CB_BREAK_DURATION: "10 seconds"
      })
      expect(time.trip).toEqual(CircuitBreaker.timeWindow({
        window: Duration.seconds(30),
        buckets: 6,
        slowCall: { threshold: Duration.seconds(2), rate: 0.8 }
      }))
      expect(time.breakDuration).toEqual(Duration.seconds(10))
      // A slow-call threshold alone opens on 100% slow calls.
      const slowOnly = yield* settings({ CB_TRIP: "count", CB_SLOW_CALL_THRESHOLD: "1 second" })
      expect(slowOnly.trip).toMatchObject({ _tag: "CountWindow", size: 100, slowCall: { rate: 1 } })
    }))

  it.effect("a bad value, a key the strategy does not read, or inconsistent keys fail with the key named", () =>
    Effect.gen(function*() {
      expect(yield* failure({ CB_TRIP: "sliding" })).toMatch(/CB\.TRIP.*Expected one of \(consecutive, count, time\)/)
      expect(yield* failure({ CB_FAILURE_THRESHOLD: "0" })).toMatch(/CB\.FAILURE_THRESHOLD.*positive integer/)
      expect(yield* failure({ CB_TRIP: "count", CB_FAILURE_RATE: "1.5" })).toMatch(/CB\.FAILURE_RATE.*\(0, 1\]/)
      expect(yield* failure({ CB_BREAK_DURATION: "soon" })).toMatch(/CB\.BREAK_DURATION.*duration/)
      expect(yield* failure({ CB_BREAK_DURATION: "0 seconds" })).toMatch(/CB\.BREAK_DURATION.*positive, finite/)
      expect(yield* failure({ CB_WINDOW_SIZE: "100" })).toMatch(/WINDOW_SIZE does not apply to TRIP=consecutive/)
      expect(yield* failure({ CB_TRIP: "time", CB_FAILURE_THRESHOLD: "3" })).toMatch(/FAILURE_THRESHOLD does not apply to TRIP=time/)
      expect(yield* failure({ CB_TRIP: "count", CB_SLOW_CALL_RATE: "0.5" })).toMatch(/SLOW_CALL_RATE needs SLOW_CALL_THRESHOLD/)
      expect(yield* failure({ CB_BREAK_DURATION: "1 minute", CB_MAX_BREAK_DURATION: "30 seconds" }))
        .toMatch(/MAX_BREAK_DURATION \(30s\) is shorter than BREAK_DURATION \(1m\)/)
    }))

  class Payments extends Context.Tag("test/ConfiguredPayments")<Payments, CircuitBreaker.CircuitBreaker>() {}

  const provider = ConfigProvider.fromMap(
    new Map([
      ["PAYMENTS_FAILURE_THRESHOLD", "2"],
      ["PAYMENTS_BREAK_DURATION", "10 seconds"],
      ["PAYMENTS_MAX_BREAK_DURATION", "25 seconds"],
      ["OTHER_FAILURE_THRESHOLD", "99"]
    ]),
    { pathDelim: "_" }
  )

  it.effect("layerConfig: the configured threshold opens it, and openings back off up to MAX_BREAK_DURATION", () =>
    Effect.gen(function*() {
      const breaker = yield* Payments
      expect(breaker.name).toBe("configured")
      yield* repeat(breaker, transient, 2)
      const breaks: Array<number> = []
      for (let opening = 0; opening < 4; opening++) {
        const millis = retryAfterMillis(yield* call(breaker, ok))
        breaks.push(millis)
        yield* TestClock.adjust(Duration.millis(millis))
        yield* call(breaker, transient) // the probe fails: open again, for longer
      }
      expect(breaks).toEqual([10_000, 20_000, 25_000, 25_000])
    }).pipe(
      Effect.provide(CircuitBreaker.layerConfig(Payments, { name: "configured", prefix: "PAYMENTS" })),
      Effect.withConfigProvider(provider),
      quiet
    ))

  it.effect("layerConfig: isFailure comes from code and decides what counts", () =>
    Effect.gen(function*() {
      const breaker = yield* Payments
      yield* repeat(breaker, transient, 10)
      yield* expectState(breaker, "Closed")
      yield* repeat(breaker, defect, 2)
      yield* expectState(breaker, "Open")
    }).pipe(
      Effect.provide(CircuitBreaker.layerConfig(Payments, {
        name: "configured-ignoring",
        prefix: "PAYMENTS",
        isFailure: (e) => !(e instanceof Errors.ServiceUnavailable)
      })),
      Effect.withConfigProvider(provider),
      quiet
    ))

  it.effect("layerConfig fails to build on invalid configuration", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.provide(Payments, CircuitBreaker.layerConfig(Payments, { name: "bad", prefix: "BAD" })))
      expect(Exit.isFailure(exit) && String(Cause.squash(exit.cause))).toMatch(/BAD\.HALF_OPEN_PROBES/)
    }).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["BAD_HALF_OPEN_PROBES", "none"]]), { pathDelim: "_" }))
    ))
})
