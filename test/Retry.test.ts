import { describe, expect, it } from "@effect/vitest"
import {
  Cause,
  Chunk,
  Clock,
  Duration,
  Effect,
  Exit,
  FastCheck,
  Fiber,
  Logger,
  LogLevel,
  Metric,
  Option,
  Random,
  Ref,
  Schedule,
  ScheduleDecision,
  ScheduleIntervals,
  TestClock,
  TestContext
} from "effect"
import * as Errors from "../src/Errors.js"
import * as RetryInternal from "../src/internal/retry.js"
import * as Retry from "../src/Retry.js"
import { type CapturedLog, captureLogs, withLogs } from "./support/captureLogs.js"

const unavailable = new Errors.ServiceUnavailable({ service: "inventory" })

/**
 * Steps a schedule to its end without waiting, as the retry combinator does. `now` stays put:
 * these schedules do not depend on it, and advancing it would add float noise to `start - now`.
 */
const delaysOf = (schedule: Schedule.Schedule<unknown, Errors.Transient>, now = 0) =>
  Effect.gen(function*() {
    const delays: Array<number> = []
    let state = schedule.initial
    for (let step = 0; step < 10_000; step++) {
      const [next, , decision] = yield* schedule.step(now, unavailable, state)
      if (ScheduleDecision.isDone(decision)) return delays
      const start = ScheduleIntervals.start(decision.intervals)
      delays.push(start - now)
      state = next
    }
    throw new Error("schedule never ended")
  })

const notFound = new Errors.NotFound({ resource: "sku", id: "1" })

/** An effect that fails with the given errors in turn, then succeeds; counts its runs. */
const scripted = <E>(failures: ReadonlyArray<E>) =>
  Effect.map(Ref.make(0), (calls) => ({
    calls,
    effect: Effect.flatMap(Ref.getAndUpdate(calls, (n) => n + 1), (n) =>
      n < failures.length ? Effect.fail(failures[n]!) : Effect.succeed(`ok after ${n}`))
  }))

const counterValue = (metric: Metric.Metric.Counter<number>, operation: string, code: string) =>
  Effect.map(
    Metric.value(Metric.tagged(Metric.tagged(metric, "operation", operation), "code", code)),
    (state) => state.count
  )

describe("Retry schedules", () => {
  it.effect("exponential: the seed's formula with a fixed random draw", () =>
    Effect.gen(function*() {
      // u = 0.5, base 500, jitter 500: 500*2^n + 250
      expect(yield* delaysOf(Retry.exponential()).pipe(Effect.withRandomFixed([0.5]))).toEqual([750, 1250, 2250])
      expect(yield* delaysOf(Retry.exponential({ maxAttempts: 6, jitter: 0 }))).toEqual([500, 1000, 2000, 4000, 8000])
      expect(
        yield* delaysOf(Retry.exponential({ base: "1 second", jitter: "2 seconds", maxDelay: "5 seconds", maxAttempts: 5 }))
          .pipe(Effect.withRandomFixed([0.25, 0.5, 0.75, 0.0]))
      ).toEqual([1500, 3000, 5000, 5000])
    }))

  it.effect("exponential: the cap holds for any attempt count and the bound ends the schedule", () =>
    Effect.gen(function*() {
      const delays = yield* delaysOf(Retry.exponential({ base: "100 millis", maxDelay: "2 seconds", maxAttempts: 60 }))
      expect(delays).toHaveLength(59)
      expect(Math.max(...delays)).toBe(2000)
      expect(delays.slice(5).every((d) => d === 2000)).toBe(true)
      expect(yield* delaysOf(Retry.exponential({ maxAttempts: 1 }))).toEqual([])
    }))

  it.effect("exponential: every delay lies within [base*2^n, base*2^n + jitter] capped, for any options (property)", () =>
    Effect.sync(() =>
      FastCheck.assert(
        FastCheck.property(
          FastCheck.integer({ min: 0, max: 5_000 }),
          FastCheck.integer({ min: 0, max: 10_000 }),
          FastCheck.integer({ min: 0, max: 120_000 }),
          FastCheck.integer({ min: 1, max: 20 }),
          FastCheck.integer(),
          (base, jitter, maxDelay, maxAttempts, seed) => {
            const delays = Effect.runSync(
              delaysOf(Retry.exponential({ base: Duration.millis(base), jitter: Duration.millis(jitter), maxDelay: Duration.millis(maxDelay), maxAttempts }))
                .pipe(Effect.withRandom(Random.make(seed)))
            )
            return delays.length === maxAttempts - 1 && delays.every((d, n) =>
              d >= Math.min(base * 2 ** n, maxDelay) && d <= Math.min(base * 2 ** n + jitter, maxDelay)
            )
          }
        ),
        { numRuns: 300 }
      )
    ))

  it.effect("exponential: jitter actually spreads clients apart", () =>
    Effect.gen(function*() {
      const firsts = new Set<number>()
      for (let seed = 0; seed < 50; seed++) {
        const [first] = yield* delaysOf(Retry.exponential()).pipe(Effect.withRandom(Random.make(seed)))
        firsts.add(first!)
      }
      expect(firsts.size).toBeGreaterThan(40)
    }))

  it.effect("decorrelated: delays within [base, min(maxDelay, 3 * previous)] (property)", () =>
    Effect.sync(() =>
      FastCheck.assert(
        FastCheck.property(
          FastCheck.integer({ min: 1, max: 5_000 }),
          FastCheck.integer({ min: 1, max: 120_000 }),
          FastCheck.integer({ min: 1, max: 30 }),
          FastCheck.integer(),
          (base, maxDelay, maxAttempts, seed) => {
            const delays = Effect.runSync(
              delaysOf(Retry.decorrelated({ base: Duration.millis(base), maxDelay: Duration.millis(maxDelay), maxAttempts }))
                .pipe(Effect.withRandom(Random.make(seed)))
            )
            let previous = base
            return delays.length === maxAttempts - 1 && delays.every((d) => {
              const ok = d >= Math.min(base, maxDelay) && d <= Math.min(maxDelay, Math.max(base, previous * 3))
              previous = d
              return ok
            })
          }
        ),
        { numRuns: 300 }
      )
    ))

  it.effect("decorrelated: a fixed draw gives the AWS sequence", () =>
    Effect.gen(function*() {
      // u = 1: min(cap, 3 * previous) -> 300, 900, 2700, 5000 (capped)
      const delays = yield* delaysOf(Retry.decorrelated({ base: "100 millis", maxDelay: "5 seconds", maxAttempts: 5 }))
        .pipe(Effect.withRandomFixed([1]))
      expect(delays).toEqual([300, 900, 2700, 5000])
    }))

  it("refuses unbounded or nonsensical options", () => {
    expect(() => Retry.exponential({ maxAttempts: Infinity })).toThrow(RangeError)
    expect(() => Retry.exponential({ maxAttempts: 0 })).toThrow(RangeError)
    expect(() => Retry.exponential({ maxDelay: Duration.infinity })).toThrow(RangeError)
    expect(() => Retry.policy({ operation: "x", idempotent: true, maxAttempts: 2.5 })).toThrow(RangeError)
  })

  it.effect("a custom schedule still gets maxAttempts and maxDelay", () =>
    Effect.gen(function*() {
      const p = Retry.policy({ operation: "custom", idempotent: true, schedule: Schedule.spaced("1 hour"), maxAttempts: 3, maxDelay: "10 seconds" })
      expect(yield* delaysOf(p.schedule)).toEqual([10_000, 10_000])
      // Its input is the transient error, so it can look at it.
      const byCode = Retry.policy({
        operation: "custom-by-code",
        idempotent: true,
        schedule: Schedule.recurWhile((e: Errors.Transient) => e.code !== "SERVICE_UNAVAILABLE")
      })
      expect(yield* delaysOf(byCode.schedule)).toEqual([])
    }))
})

describe("Retry.retry", () => {
  it.effect("retries transient failures on the schedule's delays, under TestClock", () =>
    Effect.gen(function*() {
      const { calls, effect } = yield* scripted([unavailable, unavailable])
      const p = Retry.policy({ operation: "inventory.get", idempotent: true, jitter: 0 })
      const fiber = yield* effect.pipe(Retry.retry(p), Effect.fork)
      yield* TestClock.adjust("499 millis")
      expect(yield* Ref.get(calls)).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(yield* Ref.get(calls)).toBe(2)
      yield* TestClock.adjust("999 millis")
      expect(yield* Ref.get(calls)).toBe(2)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toBe("ok after 2")
      expect(yield* Ref.get(calls)).toBe(3)
    }))

  it.effect("a call that succeeds first time never touches the schedule, the clock or the log", () =>
    Effect.gen(function*() {
      let steps = 0
      const lines: Array<CapturedLog> = []
      const p = Retry.policy({
        operation: "fast-path",
        idempotent: true,
        schedule: Schedule.spaced("1 second").pipe(Schedule.tapInput(() => Effect.sync(() => steps++)))
      })
      const results = yield* Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (i) =>
        Retry.retry(Effect.succeed(i), p)).pipe(Effect.provide(captureLogs(lines)))
      expect(results).toHaveLength(100)
      expect(steps).toBe(0)
      expect(lines).toEqual([])
      const { effect } = yield* scripted([unavailable])
      const fiber = yield* effect.pipe(Retry.retry(p), Effect.fork)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect(steps).toBe(1)
    }))

  it.effect("interrupting a call while it waits to retry stops it", () =>
    Effect.gen(function*() {
      const { calls, effect } = yield* scripted(Array.from({ length: 10 }, () => unavailable))
      const fiber = yield* effect.pipe(Retry.retry(Retry.policy({ operation: "interrupted", idempotent: true })), Effect.fork)
      yield* TestClock.adjust("100 millis")
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("1 minute")
      expect(yield* Ref.get(calls)).toBe(1)
      expect(Exit.isInterrupted(yield* fiber.await)).toBe(true)
    }))

  it.effect("gives up after maxAttempts with the last transient error", () =>
    Effect.gen(function*() {
      const { calls, effect } = yield* scripted(Array.from({ length: 10 }, () => unavailable))
      const fiber = yield* effect.pipe(Retry.retry(Retry.policy({ operation: "bounded", idempotent: true, maxAttempts: 3 })), Effect.flip, Effect.fork)
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(fiber)).toBe(unavailable)
      expect(yield* Ref.get(calls)).toBe(3)
      expect(yield* counterValue(Retry.metrics.exhausted, "bounded", "SERVICE_UNAVAILABLE")).toBe(1)
      expect(yield* counterValue(Retry.metrics.retries, "bounded", "SERVICE_UNAVAILABLE")).toBe(2)
    }))

  it.effect("never sleeps after a permanent, partial, fatal or foreign error", () =>
    Effect.gen(function*() {
      const p = Retry.policy({ operation: "no-sleep", idempotent: true })
      for (const error of [notFound, new Errors.CacheMiss({ key: "k" }), new Errors.MissingConfig({ key: "K" }), new Error("foreign")]) {
        const { calls, effect } = yield* scripted<unknown>([error])
        // No clock adjustment: if the retry slept, this would never complete under TestClock.
        const exit = yield* effect.pipe(Retry.retry(p), Effect.exit)
        expect(exit).toEqual(Exit.fail(error))
        expect(yield* Ref.get(calls)).toBe(1)
      }
      expect(Chunk.toArray(yield* TestClock.sleeps())).toEqual([])
      expect(yield* Clock.currentTimeMillis).toBe(0)
    }))

  it.effect("stops at once when a retry meets a permanent error", () =>
    Effect.gen(function*() {
      const { calls, effect } = yield* scripted<Errors.ServiceUnavailable | Errors.NotFound>([unavailable, notFound, unavailable])
      const fiber = yield* effect.pipe(Retry.retry(Retry.policy({ operation: "mixed", idempotent: true, jitter: 0 })), Effect.flip, Effect.fork)
      yield* TestClock.adjust("500 millis")
      expect(yield* Fiber.join(fiber)).toBe(notFound)
      expect(yield* Ref.get(calls)).toBe(2)
      expect(Chunk.toArray(yield* TestClock.sleeps())).toEqual([])
    }))

  it.effect("lets defects and interruption through untouched", () =>
    Effect.gen(function*() {
      const p = Retry.policy({ operation: "defects", idempotent: true })
      const boom = new TypeError("bug")
      const died = yield* Effect.die(boom).pipe(Retry.retry(p), Effect.exit)
      expect(Exit.isFailure(died) && Option.getOrNull(Cause.dieOption(died.cause))).toBe(boom)
      const interrupted = yield* Effect.interrupt.pipe(Retry.retry(p), Effect.exit)
      expect(Exit.isInterrupted(interrupted)).toBe(true)
    }))

  it.effect("honours RateLimited.retryAfter when it is longer than the backoff", () =>
    Effect.gen(function*() {
      const limited = new Errors.RateLimited({ service: "search", retryAfter: Duration.seconds(5) })
      const { calls, effect } = yield* scripted([limited])
      const fiber = yield* effect.pipe(Retry.retry(Retry.policy({ operation: "search", idempotent: true, base: "100 millis" })), Effect.fork)
      yield* TestClock.adjust("4999 millis")
      expect(yield* Ref.get(calls)).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toBe("ok after 1")
    }))

  it.effect("gives up rather than wait past maxDelay for a Retry-After", () =>
    Effect.gen(function*() {
      const limited = new Errors.RateLimited({ service: "search", retryAfter: Duration.minutes(5) })
      const { calls, effect } = yield* scripted([limited])
      const error = yield* effect.pipe(Retry.retry(Retry.policy({ operation: "search-cap", idempotent: true })), Effect.flip)
      expect(error).toBe(limited)
      expect(yield* Ref.get(calls)).toBe(1)
    }))

  it.effect("logs one structured line before each sleep", () =>
    Effect.gen(function*() {
      const logged: Array<CapturedLog> = []
      const { effect } = yield* scripted([unavailable, new Errors.NetworkTimeout({ service: "inventory", timeout: Duration.seconds(5) })])
      const fiber = yield* effect.pipe(
        Retry.retry(Retry.policy({ operation: "inventory.get", idempotent: true, jitter: 0 })),
        Effect.provide(captureLogs(logged)),
        Effect.fork
      )
      yield* TestClock.adjust("1500 millis")
      yield* Fiber.join(fiber)
      expect(logged.map((l) => l.annotations)).toEqual([
        { operation: "inventory.get", attempt: 1, max_attempts: 4, delay_ms: 500, error_code: "SERVICE_UNAVAILABLE", error_tag: "ServiceUnavailable" },
        { operation: "inventory.get", attempt: 2, max_attempts: 4, delay_ms: 1000, error_code: "NETWORK_TIMEOUT", error_tag: "NetworkTimeout" }
      ])
      expect(logged[0]!.message).toBe("inventory.get: retrying in 500ms after SERVICE_UNAVAILABLE (attempt 1 of 4)")
    }))

  it.effect("counts retries by code", () =>
    Effect.gen(function*() {
      const timeout = new Errors.NetworkTimeout({ service: "s", timeout: Duration.seconds(1) })
      const { effect } = yield* scripted<Errors.Transient>([unavailable, timeout, unavailable])
      const fiber = yield* effect.pipe(Retry.retry(Retry.policy({ operation: "by-code", idempotent: true })), Effect.fork)
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      expect(yield* counterValue(Retry.metrics.retries, "by-code", "SERVICE_UNAVAILABLE")).toBe(2)
      expect(yield* counterValue(Retry.metrics.retries, "by-code", "NETWORK_TIMEOUT")).toBe(1)
    }))
})

/**
 * Runs a scripted call under a policy with every log line captured (Debug included), lets the
 * TestClock run out every backoff, and returns the lines that are not "retrying in ..." lines:
 * the one line that says how the call ended.
 */
const endOf = <E>(failures: ReadonlyArray<E>, p: Retry.RetryPolicy<"idempotent">) =>
  Effect.gen(function*() {
    const { calls, effect } = yield* scripted(failures)
    const fiber = yield* effect.pipe(
      Retry.retry(p),
      Effect.exit,
      withLogs,
      Logger.withMinimumLogLevel(LogLevel.Debug),
      Effect.fork
    )
    yield* TestClock.adjust("1 hour")
    const [exit, logs] = yield* Fiber.join(fiber)
    const ends = logs.filter((l) => !l.message.includes(": retrying in "))
    return { exit, calls: yield* Ref.get(calls), ends: ends.map((l) => [l.level, l.message, l.annotations["reason"]]) }
  })

describe("Retry: the line that says why a call was not retried further", () => {
  it.effect("\"attempts exhausted\" only when every attempt was used", () =>
    Effect.gen(function*() {
      const p = Retry.policy({ operation: "ends.exhausted", idempotent: true, maxAttempts: 3 })
      const { calls, ends } = yield* endOf(Array.from({ length: 9 }, () => unavailable), p)
      expect(calls).toBe(3)
      expect(ends).toEqual([["INFO", "ends.exhausted: attempts exhausted (3 of 3), last error SERVICE_UNAVAILABLE", "exhausted"]])
    }))

  it.effect("a permanent error: a Debug line on the first attempt, an Info line when it ends a retry sequence", () =>
    Effect.gen(function*() {
      const p = Retry.policy({ operation: "ends.permanent", idempotent: true })
      const first = yield* endOf([notFound], p)
      expect(first.ends).toEqual([["DEBUG", "ends.permanent: not retried: NOT_FOUND is not transient", "not_transient"]])
      const later = yield* endOf<Errors.Categorized>([unavailable, unavailable, notFound], p)
      expect(later.calls).toBe(3)
      expect(later.ends).toEqual([
        ["INFO", "ends.permanent: retry stopped after 3 attempts: NOT_FOUND is not transient", "not_transient"]
      ])
    }))

  it.effect("a spent budget says so, not \"attempts exhausted\"", () =>
    Effect.gen(function*() {
      const budget = yield* Retry.makeBudget({ ratio: 0, minPerSecond: 0, capacity: 1 })
      const p = Retry.policy({ operation: "ends.budget", idempotent: true, budget })
      const { calls, ends } = yield* endOf([unavailable, unavailable], p)
      expect(calls).toBe(1)
      expect(ends).toEqual([["INFO", "ends.budget: not retried: retry budget spent, last error SERVICE_UNAVAILABLE", "budget_spent"]])
    }))

  it.effect("a Retry-After beyond maxDelay names both durations", () =>
    Effect.gen(function*() {
      const limited = new Errors.RateLimited({ service: "search", retryAfter: Duration.minutes(5) })
      const p = Retry.policy({ operation: "ends.retry-after", idempotent: true, maxDelay: "30 seconds" })
      const { ends } = yield* endOf([unavailable, limited], p)
      expect(ends).toEqual([[
        "INFO",
        "ends.retry-after: retry stopped after 2 attempts: RATE_LIMITED asks to wait 5m, more than maxDelay 30s",
        "retry_after_exceeds_max_delay"
      ]])
    }))

  it.effect("a caller's schedule that ends before maxAttempts is not \"attempts exhausted\"", () =>
    Effect.gen(function*() {
      const p = Retry.policy({ operation: "ends.schedule", idempotent: true, maxAttempts: 5, schedule: Schedule.recurs(1) })
      const { calls, ends } = yield* endOf(Array.from({ length: 9 }, () => unavailable), p)
      expect(calls).toBe(2)
      expect(ends).toEqual([
        ["INFO", "ends.schedule: retry stopped after 2 attempts: the retry schedule ended, last error SERVICE_UNAVAILABLE", "schedule_done"]
      ])
    }))

  it.effect("defects and interruptions log nothing: they were never retry candidates", () =>
    Effect.gen(function*() {
      const p = Retry.policy({ operation: "ends.defect", idempotent: true })
      const [, logs] = yield* Effect.die("bug").pipe(Retry.retry(p), Effect.exit, withLogs, Logger.withMinimumLogLevel(LogLevel.Debug))
      expect(logs).toEqual([])
    }))
})

describe("Retry budget", () => {
  it.effect("stops retries when spent, returns the original error at once, and counts refusals", () =>
    Effect.gen(function*() {
      // 3 tokens to start, no deposits from requests, no refill.
      const budget = yield* Retry.makeBudget({ ratio: 0, minPerSecond: 3, capacity: 3 })
      const p = Retry.policy({ operation: "storm", idempotent: true, maxAttempts: 2, budget })
      const calls = yield* Ref.make(0)
      const failing = Effect.zipRight(Ref.update(calls, (n) => n + 1), Effect.fail(unavailable))
      const fibers = yield* Effect.forEach(Array.from({ length: 10 }), () => Effect.fork(Effect.flip(Retry.retry(failing, p))))
      yield* TestClock.adjust("10 millis")
      // Seven calls were refused at once (before any time passed): they are already done.
      const done = yield* Effect.filter(fibers, (f) => Effect.map(f.poll, Option.isSome))
      expect(done).toHaveLength(7)
      yield* TestClock.adjust("1 minute")
      for (const f of fibers) expect(yield* Fiber.join(f)).toBe(unavailable)
      expect(yield* Ref.get(calls)).toBe(13)
      expect(yield* counterValue(Retry.metrics.budgetRefused, "storm", "SERVICE_UNAVAILABLE")).toBe(7)
    }))

  it.effect("refills with time at minPerSecond, up to capacity", () =>
    Effect.gen(function*() {
      const budget = yield* Retry.makeBudget({ ratio: 0, minPerSecond: 2, capacity: 4 })
      expect(yield* budget.balance).toBe(2)
      expect(yield* budget.tryAcquire).toBe(true)
      expect(yield* budget.tryAcquire).toBe(true)
      expect(yield* budget.tryAcquire).toBe(false)
      yield* TestClock.adjust("500 millis")
      expect(yield* budget.tryAcquire).toBe(true)
      expect(yield* budget.tryAcquire).toBe(false)
      yield* TestClock.adjust("1 hour")
      expect(yield* budget.balance).toBe(4)
    }))

  it.effect("every request deposits `ratio` tokens, so retries stay a fraction of traffic", () =>
    Effect.gen(function*() {
      const budget = yield* Retry.makeBudget({ ratio: 0.25, minPerSecond: 0, capacity: 100 })
      const p = Retry.policy({ operation: "ratio", idempotent: true, budget })
      yield* Effect.forEach(Array.from({ length: 8 }), () => Retry.retry(Effect.succeed(1), p))
      expect(yield* budget.balance).toBe(2)
    }))

  it.effect("is shared through a layer", () =>
    Effect.gen(function*() {
      const budget = yield* Retry.Budget
      expect(budget.capacity).toBe(50)
    }).pipe(Effect.provide(Retry.layerBudget({ minPerSecond: 5 }))))
})

describe("Idempotency guard", () => {
  const charge = Retry.policy({ operation: "payments.charge", idempotent: false })

  it.effect("retries a non-idempotent call only through a key, sending the same key every time", () =>
    Effect.gen(function*() {
      const sent: Array<string> = []
      const key = yield* Retry.makeIdempotencyKey
      const fiber = yield* Retry.retryWithKey(charge, key, (key) =>
        Effect.suspend(() => {
          sent.push(key)
          return sent.length < 3 ? Effect.fail(unavailable) : Effect.succeed("charged")
        })).pipe(Effect.fork)
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(fiber)).toBe("charged")
      expect(sent).toEqual([key, key, key])
    }))

  it.effect("does not type-check a plain retry of a non-idempotent policy, and dies if the types are cast away", () =>
    Effect.gen(function*() {
      let ran = false
      const call = Effect.sync(() => {
        ran = true
      })
      // @ts-expect-error a non-idempotent policy needs Retry.retryWithKey
      const unsafe = Retry.retry(call, charge)
      const exit = yield* Effect.exit(unsafe)
      expect(ran).toBe(false)
      expect(Exit.isFailure(exit) && Option.getOrNull(Cause.dieOption(exit.cause))).toBeInstanceOf(Retry.IdempotencyKeyRequired)
      const forged = yield* Effect.exit(Retry.retryWithKey(charge, "" as Retry.IdempotencyKey, () => call))
      expect(Exit.isFailure(forged) && Cause.isDie(forged.cause)).toBe(true)
      expect(ran).toBe(false)
      const unknownIdempotency = Retry.policy({ operation: "x", idempotent: Math.random() > 2 })
      // @ts-expect-error `idempotent: boolean` is not known to be idempotent
      Retry.retry(call, unknownIdempotency)
    }))

  it("validates keys", () => {
    expect(Retry.IdempotencyKey("order-7")).toBe("order-7")
    expect(() => Retry.IdempotencyKey("")).toThrow()
    expect(() => Retry.IdempotencyKey(" padded ")).toThrow()
  })
})

describe("Retry.retryTransient", () => {
  const p = Retry.policy({ operation: "strict", idempotent: true })

  it.effect("accepts effects that can only fail transiently, and retries them", () =>
    Effect.gen(function*() {
      const { effect } = yield* scripted<Errors.ServiceUnavailable | Errors.RateLimited>([unavailable])
      const fiber = yield* effect.pipe(Retry.retryTransient(p), Effect.fork)
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(fiber)).toBe("ok after 1")
    }))

  it("rejects, at compile time, effects that may fail with anything else", () => {
    const mixed = Effect.fail(notFound) as Effect.Effect<never, Errors.NotFound | Errors.ServiceUnavailable>
    // @ts-expect-error NotFound is permanent
    Retry.retryTransient(mixed, p)
    // @ts-expect-error a foreign error is outside the taxonomy
    Effect.fail(new Error("x")).pipe(Retry.retryTransient(p))
    const typed: Effect.Effect<string, Errors.ServiceUnavailable> = Effect.succeed("ok").pipe(
      Effect.zipLeft(Effect.fail(unavailable)),
      Retry.retryTransient(p)
    )
    expect(Effect.isEffect(typed)).toBe(true)
  })
})

describe("retryLazily (the queue's own statements)", () => {
  // A script of outcomes per attempt: a number fails with that "kind" (0 = permanent, else
  // transient), `null` succeeds. Both runs see the same script, schedule and clock.
  const run = (
    retrying: (self: Effect.Effect<string, number>) => Effect.Effect<string, number>,
    script: ReadonlyArray<number | null>
  ) =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      // When each attempt ran, from the start.
      const attempts: Array<number> = []
      const self = Effect.suspend(() => {
        const n = attempts.length
        return Effect.flatMap(Clock.currentTimeMillis, (now) => {
          attempts.push(now - start)
          const outcome = script[n] ?? null
          return outcome === null ? Effect.succeed(`ok after ${n}`) : Effect.fail(outcome)
        })
      })
      const fiber = yield* Effect.fork(Effect.exit(retrying(self)))
      yield* TestClock.adjust("1 hour")
      return { exit: yield* Fiber.join(fiber), attempts }
    })

  it.effect("retries exactly as Effect.retry does: same attempts, at the same times, same outcome", () =>
    Effect.gen(function*() {
      const schedule = Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(4)))
      const options = { schedule, while: (kind: number) => kind !== 0 }
      const scripts = FastCheck.sample(
        FastCheck.array(FastCheck.option(FastCheck.integer({ min: 0, max: 2 }), { nil: null }), { maxLength: 8 }),
        { numRuns: 200, seed: 7 }
      )
      for (const script of scripts) {
        const expected = yield* run((self) => Effect.retry(self, options), script)
        const actual = yield* run((self) => RetryInternal.retryLazily(self, options), script)
        expect(actual.exit).toStrictEqual(expected.exit)
        expect(actual.attempts).toStrictEqual(expected.attempts)
      }
    }).pipe(Effect.provide(TestContext.TestContext)))
})
