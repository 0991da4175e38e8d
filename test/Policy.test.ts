import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Logger, LogLevel, Metric, Ref, TestClock } from "effect"
import * as Bulkhead from "../src/Bulkhead.js"
import * as CircuitBreaker from "../src/CircuitBreaker.js"
import * as Errors from "../src/Errors.js"
import * as Policy from "../src/Policy.js"
import * as Retry from "../src/Retry.js"
import { withLogs } from "./support/captureLogs.js"

let names = 0
const unique = (prefix: string) => `${prefix}-${++names}`

/** A dependency that answers from a script, one entry per call ("ok", an error, or "hang"). */
const scripted = (script: ReadonlyArray<"ok" | "hang" | Errors.Categorized>) =>
  Effect.map(Ref.make(0), (calls) => ({
    calls: Ref.get(calls),
    call: Effect.flatMap(Ref.getAndUpdate(calls, (n) => n + 1), (n) => {
      const step = script[Math.min(n, script.length - 1)]!
      return step === "ok" ? Effect.succeed(n) : step === "hang" ? Effect.never : Effect.fail(step)
    })
  }))

const unavailable = new Errors.ServiceUnavailable({ service: "inventory" })
const fastRetry = (maxAttempts = 4) =>
  Retry.policy({ operation: "inventory.get", idempotent: true, maxAttempts, base: "100 millis", jitter: 0, maxDelay: "1 second" })

describe("Policy", () => {
  it.effect("times out each attempt and retries the next one (timeout innermost, retry outside it)", () =>
    Effect.gen(function*() {
      const dep = yield* scripted(["hang", "ok"])
      const policy = Policy.make({ service: "inventory", timeout: "1 second", retry: fastRetry() })
      const fiber = yield* Effect.fork(Policy.apply(dep.call, policy))
      yield* TestClock.adjust(Duration.seconds(1)) // first attempt times out
      yield* TestClock.adjust(Duration.millis(100)) // backoff
      expect(yield* Fiber.join(fiber)).toBe(1)
      expect(yield* dep.calls).toBe(2)
    }))

  it.scoped("lets every attempt count in the breaker; once open, fails fast with CircuitOpen and stops retrying", () =>
    Effect.gen(function*() {
      const dep = yield* scripted([unavailable])
      const breaker = yield* CircuitBreaker.make({ name: unique("inv"), trip: CircuitBreaker.consecutiveFailures(3), breakDuration: "30 seconds" })
      const policy = Policy.make({ service: "inventory", retry: fastRetry(10), breaker })
      const fiber = yield* Effect.fork(Effect.flip(Policy.apply(dep.call, policy)))
      yield* TestClock.adjust(Duration.seconds(5))
      const error = yield* Fiber.join(fiber)
      // Three attempts opened the circuit; the fourth was rejected and not retried.
      expect(yield* dep.calls).toBe(3)
      expect(error._tag).toBe("CircuitOpen")
      expect(yield* breaker.state).toBe("Open")
      expect(Errors.retryAfterOf(error).pipe((o) => o._tag)).toBe("Some")
    }))

  it.scoped("an open circuit that stops a retry is logged as such, never as \"attempts exhausted\"", () =>
    Effect.gen(function*() {
      const dep = yield* scripted([unavailable])
      const name = unique("inv")
      const breaker = yield* CircuitBreaker.make({ name, trip: CircuitBreaker.consecutiveFailures(3), breakDuration: "30 seconds" })
      const policy = Policy.make({ service: "inventory", retry: fastRetry(10), breaker })
      const run = Policy.apply(dep.call, policy).pipe(Effect.exit, withLogs, Logger.withMinimumLogLevel(LogLevel.Debug))
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust(Duration.seconds(5))
      const [, logs] = yield* Fiber.join(fiber)
      const ends = logs.filter((l) => l.annotations["operation"] === "inventory.get" && !l.message.includes(": retrying in "))
      // Attempts 1-3 reached the dependency and opened the circuit; attempt 4 was rejected.
      expect(ends.map((l) => [l.level, l.message, l.annotations["reason"]])).toEqual([
        ["INFO", `inventory.get: retry stopped after 4 attempts: circuit ${name} is open`, "circuit_open"]
      ])
      // While it stays open, a new call is not retried at all, and only Debug says so.
      const [, again] = yield* run
      expect(again.map((l) => [l.level, l.message])).toEqual([
        ["DEBUG", `inventory.get: not retried: circuit ${name} is open`]
      ])
      expect(logs.concat(again).some((l) => l.message.includes("exhausted"))).toBe(false)
      const exhausted = yield* Metric.value(
        Metric.tagged(Metric.tagged(Retry.metrics.exhausted, "operation", "inventory.get"), "code", "CIRCUIT_OPEN")
      )
      expect(exhausted.count).toBe(0)
    }))

  it.scoped("passes permanent errors through at once: no retry, no breaker count", () =>
    Effect.gen(function*() {
      const dep = yield* scripted([new Errors.NotFound({ resource: "sku", id: "x" })])
      const breaker = yield* CircuitBreaker.make({ name: unique("inv"), trip: CircuitBreaker.consecutiveFailures(1) })
      const policy = Policy.make({ service: "inventory", timeout: "1 second", retry: fastRetry(), breaker })
      const error = yield* Effect.flip(Policy.apply(dep.call, policy))
      expect(error._tag).toBe("NotFound")
      expect(yield* dep.calls).toBe(1)
      expect(yield* breaker.state).toBe("Closed")
    }))

  it.scoped("rejects beyond the bulkhead at once, before retry or breaker see anything", () =>
    Effect.gen(function*() {
      const dep = yield* scripted(["hang"])
      const bulkhead = yield* Bulkhead.make({ name: unique("bh"), maxConcurrent: 2, maxQueue: 1 })
      const breaker = yield* CircuitBreaker.make({ name: unique("inv"), trip: CircuitBreaker.consecutiveFailures(1) })
      const policy = Policy.make({ service: "inventory", retry: fastRetry(), breaker, bulkhead })
      const fibers = yield* Effect.forEach(Array.from({ length: 2000 }), () => Effect.fork(Effect.either(Policy.apply(dep.call, policy))))
      yield* Effect.yieldNow()
      const done = fibers.map((f) => f.unsafePoll()).filter((e) => e !== null)
      expect(done).toHaveLength(1997)
      expect(yield* dep.calls).toBe(2)
      expect(yield* breaker.state).toBe("Closed")
      yield* Effect.forEach(fibers, Fiber.interrupt, { discard: true })
      expect((yield* bulkhead.stats)).toMatchObject({ inFlight: 0, queued: 0 })
    }))

  it.effect("sends every attempt of a non-idempotent call with the same idempotency key", () =>
    Effect.gen(function*() {
      const keys: Array<string> = []
      const dep = yield* scripted([unavailable, unavailable, "ok"])
      const policy = Policy.make({
        service: "payments",
        timeout: "1 second",
        retry: Retry.policy({ operation: "payments.charge", idempotent: false, base: "10 millis", jitter: 0 })
      })
      const key = Retry.IdempotencyKey("charge-42")
      const fiber = yield* Effect.fork(Policy.applyWithKey(policy, key, (k) => Effect.zipRight(Effect.sync(() => keys.push(k)), dep.call)))
      yield* TestClock.adjust(Duration.seconds(1))
      expect(yield* Fiber.join(fiber)).toBe(2)
      expect(keys).toEqual(["charge-42", "charge-42", "charge-42"])
    }))

  it("refuses a non-idempotent retry in apply, at compile time", () => {
    const nonIdempotent = Policy.make({
      service: "payments",
      retry: Retry.policy({ operation: "payments.charge", idempotent: false })
    })
    const idempotent = Policy.make({ service: "inventory", retry: fastRetry() })
    const none = Policy.make({ service: "inventory", timeout: "1 second" })
    Policy.apply(Effect.void, idempotent)
    Policy.apply(Effect.void, none)
    // @ts-expect-error a non-idempotent policy needs applyWithKey
    Policy.apply(Effect.void, nonIdempotent)
    expect([nonIdempotent.idempotency, idempotent.idempotency, none.idempotency]).toEqual([
      "non-idempotent",
      "idempotent",
      "none"
    ])
  })
})
