import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Option, Ref, TestClock } from "effect"
import * as Errors from "../src/Errors.js"
import * as Timeout from "../src/Timeout.js"

const fiveSeconds = { service: "inventory", duration: "5 seconds" } as const

/** A call that takes `d` and records whether its finalizer ran and whether it was interrupted. */
const call = (d: Duration.DurationInput) =>
  Effect.map(Effect.all([Ref.make(false), Ref.make(false)]), ([finalized, interrupted]) => ({
    finalized,
    interrupted,
    effect: Effect.sleep(d).pipe(
      Effect.as("stock"),
      Effect.onInterrupt(() => Ref.set(interrupted, true)),
      Effect.ensuring(Ref.set(finalized, true))
    )
  }))

describe("Timeout.timeout", () => {
  it.effect("returns the result of a call that finishes in time", () =>
    Effect.gen(function*() {
      const { effect } = yield* call("4 seconds")
      const fiber = yield* effect.pipe(Timeout.timeout(fiveSeconds), Effect.fork)
      yield* TestClock.adjust("4 seconds")
      expect(yield* Fiber.join(fiber)).toBe("stock")
      expect(yield* Effect.succeed(1).pipe(Timeout.timeout(fiveSeconds))).toBe(1)
    }))

  it.effect("fails with NetworkTimeout at the deadline and interrupts the call, running its finalizer", () =>
    Effect.gen(function*() {
      const { effect, finalized, interrupted } = yield* call("1 minute")
      const fiber = yield* effect.pipe(Timeout.timeout(fiveSeconds), Effect.fork)
      yield* TestClock.adjust("4999 millis")
      expect(Option.isNone(yield* fiber.poll)).toBe(true)
      yield* TestClock.adjust("1 millis")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toBeInstanceOf(Errors.NetworkTimeout)
      expect(error).toMatchObject({ service: "inventory", code: "NETWORK_TIMEOUT" })
      expect(Duration.toMillis(error.timeout)).toBe(5000)
      expect(Errors.isTransient(error)).toBe(true)
      expect(yield* Ref.get(interrupted)).toBe(true)
      expect(yield* Ref.get(finalized)).toBe(true)
    }))

  it.effect("lets the call's own failures and defects through", () =>
    Effect.gen(function*() {
      const notFound = new Errors.NotFound({ resource: "sku", id: "1" })
      expect(yield* Effect.fail(notFound).pipe(Timeout.timeout(fiveSeconds), Effect.flip)).toBe(notFound)
      const died = yield* Effect.die("bug").pipe(Timeout.timeout(fiveSeconds), Effect.exit)
      expect(Exit.isFailure(died) && !Exit.isInterrupted(died)).toBe(true)
    }))

  it.effect("by default waits for the interrupted call's clean-up; with disconnect it does not", () =>
    Effect.gen(function*() {
      const slowCleanup = (done: Ref.Ref<boolean>) =>
        Effect.never.pipe(Effect.ensuring(Effect.zipRight(Effect.sleep("1 second"), Ref.set(done, true))))
      const attached = yield* Ref.make(false)
      const detached = yield* Ref.make(false)
      const a = yield* slowCleanup(attached).pipe(Timeout.timeout(fiveSeconds), Effect.fork)
      const d = yield* slowCleanup(detached).pipe(Timeout.timeout({ ...fiveSeconds, disconnect: true }), Effect.fork)
      yield* TestClock.adjust("5 seconds")
      expect(Option.isNone(yield* a.poll)).toBe(true)
      expect(Option.isSome(yield* d.poll)).toBe(true)
      expect(yield* Ref.get(detached)).toBe(false)
      yield* TestClock.adjust("1 second")
      expect(yield* Effect.flip(Fiber.join(a))).toBeInstanceOf(Errors.NetworkTimeout)
      expect(yield* Ref.get(attached)).toBe(true)
      expect(yield* Ref.get(detached)).toBe(true)
    }))

  it.effect("interrupting the caller interrupts the call and cancels the timer", () =>
    Effect.gen(function*() {
      const { effect, finalized } = yield* call("1 minute")
      const fiber = yield* effect.pipe(Timeout.timeout(fiveSeconds), Effect.fork)
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      expect(yield* Ref.get(finalized)).toBe(true)
      yield* TestClock.adjust("1 minute")
      expect(Exit.isInterrupted(yield* fiber.await)).toBe(true)
    }))

  it.effect("hundreds of concurrent calls under TestClock: exactly the slow ones time out, each interrupted", () =>
    Effect.gen(function*() {
      // TestClock wakes sleepers one at a time (a few ms each), so this stays in the hundreds;
      // the live-clock test below runs thousands.
      const finalized = yield* Ref.make(0)
      const n = 150
      // Call i takes 10*i ms; the deadline is 1 s, so calls 101..149 time out (call 100 ends
      // exactly at the deadline and may go either way).
      const fibers = yield* Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) =>
        Effect.sleep(Duration.millis(10 * i)).pipe(
          Effect.as(i),
          Effect.onInterrupt(() => Ref.update(finalized, (k) => k + 1)),
          Timeout.timeout({ service: "fleet", duration: "1 second" }),
          Effect.either,
          Effect.fork
        ))
      // Calls 1..n-1 and their timers must be asleep before time moves (call 0 ends at once,
      // and its timer may be cancelled before it ever sleeps).
      while ((yield* TestClock.sleeps()).length < 2 * (n - 1)) yield* Effect.yieldNow()
      yield* TestClock.adjust("10 seconds")
      const results = yield* Fiber.joinAll(fibers)
      const timedOut = results.filter((r) => r._tag === "Left").length
      expect([n - 101, n - 100]).toContain(timedOut)
      expect(results.slice(0, 100).every((r) => r._tag === "Right")).toBe(true)
      expect(results.slice(101).every((r) => r._tag === "Left" && r.left._tag === "NetworkTimeout")).toBe(true)
      expect(yield* Ref.get(finalized)).toBe(timedOut)
    }))

  // The production timer path (Effect's live Clock uses setTimeout, not a fiber) needs a live
  // clock: these two tests wait 20 and 250 ms of real time, the only real waits here.
  it.live("with the live clock: the call is interrupted at the deadline", () =>
    Effect.gen(function*() {
      const { effect, finalized } = yield* call("1 minute")
      const error = yield* effect.pipe(Timeout.timeout({ service: "live", duration: "20 millis" }), Effect.flip)
      expect(error).toBeInstanceOf(Errors.NetworkTimeout)
      expect(yield* Ref.get(finalized)).toBe(true)
      expect(yield* Effect.succeed("fast").pipe(Timeout.timeout({ service: "live", duration: "1 minute" }))).toBe("fast")
    }))

  it.live("with the live clock: 4000 concurrent calls, the hanging half times out and is interrupted", () =>
    Effect.gen(function*() {
      const finalized = yield* Ref.make(0)
      const results = yield* Effect.forEach(
        Array.from({ length: 4000 }, (_, i) => i),
        (i) =>
          (i % 2 === 0 ? Effect.succeed(i) : Effect.never).pipe(
            Effect.onInterrupt(() => Ref.update(finalized, (k) => k + 1)),
            // Generous, so an instant call cannot lose to the timer on a loaded machine.
            Timeout.timeout({ service: "live", duration: "250 millis" }),
            Effect.either
          ),
        { concurrency: "unbounded" }
      )
      expect(results.filter((r, i) => r._tag === (i % 2 === 0 ? "Right" : "Left")).length).toBe(4000)
      expect(yield* Ref.get(finalized)).toBe(2000)
    }))
})
