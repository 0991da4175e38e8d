import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, FastCheck, Fiber, Metric, Random, Ref, TestClock } from "effect"
import * as Bulkhead from "../src/Bulkhead.js"
import * as Errors from "../src/Errors.js"

/** Waits until every forked call has been admitted, queued or rejected. */
const settled = (bulkhead: Bulkhead.Bulkhead, total: number) =>
  Effect.gen(function*() {
    for (;;) {
      const s = yield* bulkhead.stats
      if (s.inFlight + s.queued + s.rejected >= total) return s
      yield* Effect.yieldNow()
    }
  })

/** A call that records the concurrency it sees, then waits for `gate`. */
const gauge = Effect.map(Effect.all([Ref.make(0), Ref.make(0), Ref.make(0)]), ([current, peak, completed]) => ({
  peak,
  completed,
  call: <A, E>(body: Effect.Effect<A, E>) =>
    Effect.acquireUseRelease(
      Ref.updateAndGet(current, (n) => n + 1).pipe(Effect.tap((n) => Ref.update(peak, (p) => Math.max(p, n)))),
      () => Effect.zipLeft(body, Ref.update(completed, (n) => n + 1)),
      () => Ref.update(current, (n) => n - 1)
    )
}))

describe("Bulkhead", () => {
  it.effect("5000 fibers: exactly K run, exactly Q wait, every other one is rejected at once", () =>
    Effect.gen(function*() {
      const K = 10, Q = 50, N = 5000
      const bulkhead = yield* Bulkhead.make({ name: "thousands", maxConcurrent: K, maxQueue: Q })
      const gate = yield* Deferred.make<void>()
      const { call, completed, peak } = yield* gauge
      const fibers = yield* Effect.forEach(Array.from({ length: N }), () =>
        Effect.fork(Effect.either(bulkhead.run(call(Deferred.await(gate))))))
      expect(yield* settled(bulkhead, N)).toEqual({ inFlight: K, queued: Q, rejected: N - K - Q })
      // The rejected calls are already finished, with the typed error; the others are not.
      const done = yield* Effect.filter(fibers, (f) => Effect.map(f.poll, (o) => o._tag === "Some"))
      expect(done).toHaveLength(N - K - Q)
      const rejection = yield* Fiber.join(done[0]!)
      expect(rejection._tag === "Left" && rejection.left).toBeInstanceOf(Bulkhead.BulkheadFull)
      yield* Deferred.succeed(gate, undefined)
      const results = yield* Fiber.joinAll(fibers)
      expect(results.filter((r) => r._tag === "Right")).toHaveLength(K + Q)
      expect(yield* Ref.get(completed)).toBe(K + Q)
      expect(yield* Ref.get(peak)).toBe(K)
      expect(yield* bulkhead.stats).toEqual({ inFlight: 0, queued: 0, rejected: N - K - Q })
    }))

  it.effect("BulkheadFull is a transient error with code BULKHEAD_FULL and status 503", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ name: "tiny", maxConcurrent: 1 })
      const gate = yield* Deferred.make<void>()
      yield* Effect.fork(bulkhead.run(Deferred.await(gate)))
      yield* settled(bulkhead, 1)
      const error = yield* Effect.flip(Effect.succeed(1).pipe(Bulkhead.withBulkhead(bulkhead)))
      expect(Errors.isTransient(error)).toBe(true)
      expect(error.code).toBe("BULKHEAD_FULL")
      expect(Errors.statusOf(error)).toBe(503)
      expect(error).toMatchObject({ name: "tiny", maxConcurrent: 1, maxQueue: 0 })
    }))

  it.effect("serves waiters first come, first served", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ name: "fifo", maxConcurrent: 1, maxQueue: 100 })
      const gate = yield* Deferred.make<void>()
      const order: Array<number> = []
      yield* Effect.fork(bulkhead.run(Deferred.await(gate)))
      yield* settled(bulkhead, 1)
      const fibers: Array<Fiber.RuntimeFiber<void, Bulkhead.BulkheadFull>> = []
      for (let i = 0; i < 100; i++) {
        // Fork one at a time so arrival order is known.
        fibers.push(yield* Effect.fork(bulkhead.run(Effect.sync(() => void order.push(i)))))
        yield* settled(bulkhead, i + 2)
      }
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll(fibers)
      expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i))
    }))

  it.effect("interrupting waiting calls frees their queue places", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ name: "interrupt-waiting", maxConcurrent: 2, maxQueue: 1000 })
      const gate = yield* Deferred.make<void>()
      const ran = yield* Ref.make(0)
      const body = Effect.zipRight(Ref.update(ran, (n) => n + 1), Deferred.await(gate))
      const fibers = yield* Effect.forEach(Array.from({ length: 1002 }), () => Effect.fork(bulkhead.run(body)))
      expect(yield* settled(bulkhead, 1002)).toEqual({ inFlight: 2, queued: 1000, rejected: 0 })
      // Interrupt every other waiter.
      yield* Fiber.interruptAll(fibers.slice(2).filter((_, i) => i % 2 === 0))
      expect(yield* bulkhead.stats).toEqual({ inFlight: 2, queued: 500, rejected: 0 })
      // The freed places take new callers.
      const late = yield* Effect.forEach(Array.from({ length: 500 }), () => Effect.fork(bulkhead.run(body)))
      expect(yield* settled(bulkhead, 1002)).toEqual({ inFlight: 2, queued: 1000, rejected: 0 })
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll([...fibers.slice(0, 2), ...fibers.slice(2).filter((_, i) => i % 2 === 1), ...late])
      expect(yield* Ref.get(ran)).toBe(1002)
      expect(yield* bulkhead.stats).toEqual({ inFlight: 0, queued: 0, rejected: 0 })
    }))

  it.effect("waiters that keep giving up while the slots stay busy leave nothing behind", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ name: "churn", maxConcurrent: 1, maxQueue: 5 })
      yield* Effect.fork(bulkhead.run(Effect.never))
      yield* settled(bulkhead, 1)
      for (let round = 0; round < 2000; round++) {
        const waiters = yield* Effect.forEach(Array.from({ length: 5 }), () => Effect.fork(bulkhead.run(Effect.void)))
        yield* settled(bulkhead, 6)
        yield* Fiber.interruptAll(waiters)
      }
      expect(yield* bulkhead.stats).toEqual({ inFlight: 1, queued: 0, rejected: 0 })
      // The waiter list itself is empty, not just the counter (white-box: a leak would hide here).
      const internal = bulkhead as unknown as { first: unknown; last: unknown }
      expect([internal.first, internal.last]).toEqual([undefined, undefined])
    }))

  it.effect("interrupting, failing or dying running calls frees their slots for the queue", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ name: "interrupt-running", maxConcurrent: 3, maxQueue: 3 })
      const finalizers = yield* Ref.make(0)
      const running = yield* Effect.forEach(Array.from({ length: 3 }), () =>
        Effect.fork(bulkhead.run(Effect.never.pipe(Effect.ensuring(Ref.update(finalizers, (n) => n + 1))))))
      const gate = yield* Deferred.make<void>()
      const waiting = yield* Effect.forEach(Array.from({ length: 3 }), () => Effect.fork(bulkhead.run(Deferred.await(gate))))
      expect(yield* settled(bulkhead, 6)).toEqual({ inFlight: 3, queued: 3, rejected: 0 })
      yield* Fiber.interrupt(running[0]!)
      expect(yield* Ref.get(finalizers)).toBe(1)
      expect(yield* bulkhead.stats).toEqual({ inFlight: 3, queued: 2, rejected: 0 })
      yield* Fiber.interruptAll(running.slice(1))
      expect(yield* bulkhead.stats).toEqual({ inFlight: 3, queued: 0, rejected: 0 })
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll(waiting)
      expect(yield* Effect.exit(bulkhead.run(Effect.fail("boom")))).toEqual(Exit.fail("boom"))
      expect(Exit.isFailure(yield* Effect.exit(bulkhead.run(Effect.die("bug"))))).toBe(true)
      expect(yield* bulkhead.stats).toEqual({ inFlight: 0, queued: 0, rejected: 0 })
    }))

  it.effect("random arrivals, durations and interruptions never exceed K in flight or Q waiting, and leak no slot (property)", () =>
    Effect.gen(function*() {
      const samples = FastCheck.sample(
        FastCheck.record({
          K: FastCheck.integer({ min: 1, max: 8 }),
          Q: FastCheck.integer({ min: 0, max: 20 }),
          seed: FastCheck.integer()
        }),
        { numRuns: 6 }
      )
      for (const { K, Q, seed } of samples) {
        const bulkhead = yield* Bulkhead.make({ name: `random-${K}-${Q}`, maxConcurrent: K, maxQueue: Q })
        const { call, peak } = yield* gauge
        let maxQueued = 0
        const fibers = yield* Effect.forEach(Array.from({ length: 150 }), () =>
          Effect.gen(function*() {
            const delay = yield* Random.nextIntBetween(0, 50)
            const fiber = yield* Effect.fork(bulkhead.run(call(Effect.sleep(Duration.millis(delay)))))
            const s = yield* bulkhead.stats
            maxQueued = Math.max(maxQueued, s.queued)
            expect(s.inFlight).toBeLessThanOrEqual(K)
            if (yield* Random.nextBoolean) yield* Effect.yieldNow()
            if ((yield* Random.nextIntBetween(0, 10)) === 0) yield* Fiber.interrupt(fiber)
            return fiber
          })).pipe(Effect.withRandom(Random.make(seed)))
        // One adjustment runs the whole chain: a waiter handed a slot starts its sleep before
        // TestClock moves on.
        yield* TestClock.adjust("1 hour")
        yield* Effect.forEach(fibers, (f) => f.await)
        expect(yield* Ref.get(peak)).toBeLessThanOrEqual(K)
        expect(maxQueued).toBeLessThanOrEqual(Q)
        const s = yield* bulkhead.stats
        expect({ inFlight: s.inFlight, queued: s.queued }).toEqual({ inFlight: 0, queued: 0 })
      }
    }))

  it.effect("reports in-flight, queued and rejected as metrics", () =>
    Effect.gen(function*() {
      const bulkhead = yield* Bulkhead.make({ name: "metered", maxConcurrent: 2, maxQueue: 3 })
      const gate = yield* Deferred.make<void>()
      const fibers = yield* Effect.forEach(Array.from({ length: 9 }), () => Effect.fork(Effect.either(bulkhead.run(Deferred.await(gate)))))
      yield* settled(bulkhead, 9)
      const tagged = <T extends Metric.Metric<any, any, any>>(m: T) => Metric.tagged(m, "bulkhead", "metered")
      expect((yield* Metric.value(tagged(Bulkhead.metrics.inFlight))).value).toBe(2)
      expect((yield* Metric.value(tagged(Bulkhead.metrics.queued))).value).toBe(3)
      expect((yield* Metric.value(tagged(Bulkhead.metrics.rejected))).count).toBe(4)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.joinAll(fibers)
      expect((yield* Metric.value(tagged(Bulkhead.metrics.inFlight))).value).toBe(0)
      expect((yield* Metric.value(tagged(Bulkhead.metrics.queued))).value).toBe(0)
    }))

  it("refuses nonsensical sizes", () => {
    expect(() => Bulkhead.unsafeMake({ name: "x", maxConcurrent: 0 })).toThrow(RangeError)
    expect(() => Bulkhead.unsafeMake({ name: "x", maxConcurrent: 1, maxQueue: -1 })).toThrow(RangeError)
    expect(() => Bulkhead.unsafeMake({ name: "x", maxConcurrent: 1.5 })).toThrow(RangeError)
  })
})
