import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Random, TestClock } from "effect"
import * as Chaos from "../src/Chaos.js"
import * as Errors from "../src/Errors.js"

const unavailable = () => new Errors.ServiceUnavailable({ service: "payments" })

describe("Chaos.inject", () => {
  it.effect("fails about failureRate of the calls, reproducibly for a seed", () =>
    Effect.gen(function*() {
      const flaky = Effect.succeed("ok").pipe(Chaos.inject({ failureRate: 0.3, error: unavailable }))
      const runs = (seed: string) =>
        Effect.forEach(Array.from({ length: 2000 }), () => Effect.exit(flaky)).pipe(
          Effect.map((exits) => exits.map(Exit.isFailure)),
          Effect.withRandom(Random.make(seed))
        )
      const first = yield* runs("seed-1")
      const again = yield* runs("seed-1")
      const other = yield* runs("seed-2")
      const failures = first.filter(Boolean).length
      expect(failures).toBeGreaterThan(2000 * 0.25)
      expect(failures).toBeLessThan(2000 * 0.35)
      expect(again).toEqual(first)
      expect(other).not.toEqual(first)
    }))

  it.effect("fails with the given error and never runs the call when it fails", () =>
    Effect.gen(function*() {
      let ran = 0
      const error = yield* Effect.sync(() => ran++).pipe(
        Chaos.inject({ failureRate: 1, error: unavailable }),
        Effect.flip
      )
      expect(error).toBeInstanceOf(Errors.ServiceUnavailable)
      expect(ran).toBe(0)
    }))

  it.effect("dies at defectRate", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.void.pipe(Chaos.inject({ defectRate: 1, defect: () => new TypeError("boom") })))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Die").toBe(true)
    }))

  it.effect("adds latency on the Clock", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.succeed(1).pipe(Chaos.inject({ latency: Duration.seconds(2) })))
      yield* TestClock.adjust(Duration.millis(1999))
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.millis(1))
      expect(yield* Fiber.join(fiber)).toBe(1)
    }))

  it("rejects rates outside [0, 1] and a failure rate without an error", () => {
    expect(() => Chaos.inject({ failureRate: 1.5, error: unavailable })).toThrow(RangeError)
    expect(() => Chaos.inject({ defectRate: -0.1 })).toThrow(RangeError)
    expect(() => Chaos.inject({ failureRate: 0.5 })).toThrow(TypeError)
  })
})
