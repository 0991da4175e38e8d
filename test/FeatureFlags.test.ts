import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Logger, LogLevel, Metric } from "effect"
import * as FeatureFlags from "../src/FeatureFlags.js"
import { withLogs } from "./support/captureLogs.js"

const counted = (counter: { n: number }) => Effect.sync(() => ++counter.n)

describe("FeatureFlags.layerMemory", () => {
  it.effect("answers from its map; unknown flags are off", () =>
    Effect.gen(function*() {
      expect(yield* FeatureFlags.isEnabled("analytics_enabled")).toBe(true)
      expect(yield* FeatureFlags.isEnabled("email_enabled")).toBe(false)
      expect(yield* FeatureFlags.isEnabled("never_heard_of_it")).toBe(false)
      expect(yield* FeatureFlags.isEnabled("Analytics_Enabled")).toBe(false)
    }).pipe(Effect.provide(FeatureFlags.layerMemory({ analytics_enabled: true, email_enabled: false }))))

  it.effect("is settable at runtime and logs who changed what", () =>
    Effect.gen(function*() {
      const memory = yield* FeatureFlags.Memory
      const [, logs] = yield* Effect.all([
        memory.set("email_enabled", false, "oncall:alice"),
        memory.set("email_enabled", false, "oncall:alice"), // no change, no log
        memory.set("new_flag", true)
      ]).pipe(withLogs)
      expect(yield* FeatureFlags.isEnabled("email_enabled")).toBe(false)
      expect(yield* FeatureFlags.isEnabled("new_flag")).toBe(true)
      expect(logs.map((l) => l.annotations)).toMatchObject([
        { event: "feature_flag_changed", flag: "email_enabled", enabled: false, previous: true, updated_by: "oncall:alice" },
        { flag: "new_flag", enabled: true, previous: "unset", updated_by: "unknown" }
      ])
      yield* memory.unset("new_flag")
      expect(yield* FeatureFlags.isEnabled("new_flag")).toBe(false)
      expect([...(yield* Effect.flatMap(FeatureFlags.FeatureFlags, (f) => f.snapshot)).keys()]).toEqual(["email_enabled"])
    }).pipe(Effect.provide(FeatureFlags.layerMemory({ email_enabled: true }))))

  it.effect("readers see every flip, with 2000 fibers reading while one writes", () =>
    Effect.gen(function*() {
      const memory = yield* FeatureFlags.Memory
      const reads = Effect.forEach(Array.from({ length: 2000 }), () => FeatureFlags.isEnabled("f"), {
        concurrency: "unbounded"
      })
      const before = yield* reads
      yield* memory.set("f", true)
      const after = yield* reads
      expect(before.every((b) => b === false)).toBe(true)
      expect(after.every((b) => b === true)).toBe(true)
    }).pipe(Effect.provide(FeatureFlags.layerMemory()))
  )
})

describe("FeatureFlags.layerConfig", () => {
  const provider = (entries: Record<string, string>) =>
    Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))

  it.effect("reads each named flag as a boolean, nested under a prefix; absent ones are off", () =>
    Effect.gen(function*() {
      expect(yield* FeatureFlags.isEnabled("analytics_enabled")).toBe(true)
      expect(yield* FeatureFlags.isEnabled("email_enabled")).toBe(false)
      expect(yield* FeatureFlags.isEnabled("recommendations_enabled")).toBe(false)
      expect(yield* FeatureFlags.isEnabled("not_listed")).toBe(false)
    }).pipe(Effect.provide(
      FeatureFlags.layerConfig(["analytics_enabled", "email_enabled", "recommendations_enabled"], { prefix: "FLAGS" }).pipe(
        Layer.provide(provider({
          "FLAGS.analytics_enabled": "true",
          "FLAGS.email_enabled": "off",
          "not_listed": "true"
        }))
      )
    )))

  it.effect("fails the layer on a value that is not a boolean", () =>
    Effect.gen(function*() {
      const exit = yield* FeatureFlags.isEnabled("email_enabled").pipe(
        Effect.provide(FeatureFlags.layerConfig(["email_enabled"]).pipe(Layer.provide(provider({ email_enabled: "ture" })))),
        Effect.exit
      )
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})

describe("FeatureFlags.guard", () => {
  it.effect("skips the effect and returns the fallback when the flag is off or unknown; counts skips", () =>
    Effect.gen(function*() {
      const calls = { n: 0 }
      const skipped = Metric.tagged(FeatureFlags.skips, "flag", "guard_off")
      const before = (yield* Metric.value(skipped)).count
      const off = yield* counted(calls).pipe(FeatureFlags.guard({ flag: "guard_off", fallback: -1 }))
      const unknown = yield* counted(calls).pipe(FeatureFlags.guard({ flag: "guard_unknown", fallback: -2 }))
      expect([off, unknown, calls.n]).toEqual([-1, -2, 0])
      expect((yield* Metric.value(skipped)).count).toBe(before + 1)
      const on = yield* FeatureFlags.guard(counted(calls), { flag: "guard_on", fallback: -3 })
      expect([on, calls.n]).toEqual([1, 1])
    }).pipe(Effect.provide(FeatureFlags.layerMemory({ guard_off: false, guard_on: true }))))

  it.effect("reads the flag on every run, so a flip applies to the next call", () =>
    Effect.gen(function*() {
      const memory = yield* FeatureFlags.Memory
      const calls = { n: 0 }
      const guarded = counted(calls).pipe(FeatureFlags.guard({ flag: "email_enabled", fallback: 0 }))
      expect(yield* guarded).toBe(1)
      yield* memory.set("email_enabled", false)
      expect(yield* guarded).toBe(0)
      yield* memory.set("email_enabled", true)
      expect(yield* guarded).toBe(2)
    }).pipe(Effect.provide(FeatureFlags.layerMemory({ email_enabled: true }))))
})

describe("FeatureFlags.guard logging", () => {
  it.effect("logs each skip at DEBUG with the flag when DEBUG is enabled", () =>
    Effect.gen(function*() {
      const [, logs] = yield* Effect.void.pipe(
        FeatureFlags.guard({ flag: "debug_me", fallback: undefined }),
        Logger.withMinimumLogLevel(LogLevel.Debug),
        withLogs
      )
      expect(logs.map((l) => [l.level, l.annotations["flag"]])).toEqual([["DEBUG", "debug_me"]])
    }).pipe(Effect.provide(FeatureFlags.layerMemory())))
})
