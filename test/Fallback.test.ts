import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Duration, Effect, Exit, Fiber, Layer, Metric, TestClock } from "effect"
import * as Errors from "../src/Errors.js"
import * as Fallback from "../src/Fallback.js"
import { withLogs } from "./support/captureLogs.js"

const unavailable = (service: string) => Effect.fail(new Errors.ServiceUnavailable({ service }))

const activationCount = (service: string, code: string) =>
  Effect.map(
    Metric.value(Metric.tagged(Metric.tagged(Fallback.activations, "service", service), "error_code", code)),
    (s) => s.count
  )

describe("Fallback.degrade", () => {
  it.effect("returns the fallback and logs the activation as structured data", () =>
    Effect.gen(function*() {
      const [result, logs] = yield* unavailable("recs-1").pipe(
        Effect.as(["a", "b"]),
        Fallback.degrade({ service: "recs-1", fallback: [] as Array<string> }),
        withLogs
      )
      expect(result).toEqual([])
      const line = logs.find((l) => l.annotations["event"] === "graceful_degradation_activated")!
      expect(line.level).toBe("WARN")
      expect(line.annotations).toMatchObject({
        service: "recs-1",
        degradation: "failure",
        error_code: "SERVICE_UNAVAILABLE",
        error_type: "ServiceUnavailable",
        error_message: "recs-1 is unavailable",
        fallback: "[]"
      })
    }))

  it.effect("lets a success through without an activation", () =>
    Effect.gen(function*() {
      const before = yield* activationCount("ok-svc", "SERVICE_UNAVAILABLE")
      const [result, logs] = yield* Effect.succeed(7).pipe(Fallback.degrade({ service: "ok-svc", fallback: 0 }), withLogs)
      expect(result).toBe(7)
      expect(logs).toEqual([])
      expect(yield* activationCount("ok-svc", "SERVICE_UNAVAILABLE")).toBe(before)
    }))

  it.effect("times a slow call out after 3 s by default, interrupts it, and degrades", () =>
    Effect.gen(function*() {
      let interrupted = false
      const slow = Effect.sleep("1 minute").pipe(Effect.as("late"), Effect.onInterrupt(() => Effect.sync(() => interrupted = true)))
      const fiber = yield* slow.pipe(Fallback.degrade({ service: "slow-1", fallback: "fallback" }), withLogs, Effect.fork)
      yield* TestClock.adjust("2999 millis")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const [result, logs] = yield* Fiber.join(fiber)
      expect(result).toBe("fallback")
      expect(interrupted).toBe(true)
      expect(logs[0]!.annotations).toMatchObject({
        degradation: "timeout",
        error_code: "NETWORK_TIMEOUT",
        error_type: "NetworkTimeout",
        error_message: "slow-1 timed out after 3s"
      })
    }))

  it.effect("honours a custom timeout, and none with Duration.infinity", () =>
    Effect.gen(function*() {
      const short = yield* Effect.sleep("1 second").pipe(
        Effect.as("late"),
        Fallback.degrade({ service: "slow-2", fallback: "fb", timeout: "500 millis" }),
        Effect.fork
      )
      const unbounded = yield* Effect.sleep("1 hour").pipe(
        Effect.as("answered"),
        Fallback.degrade({ service: "slow-3", fallback: "fb", timeout: Duration.infinity }),
        Effect.fork
      )
      yield* TestClock.adjust("500 millis")
      expect(yield* Fiber.join(short)).toBe("fb")
      yield* TestClock.adjust("1 hour")
      expect(yield* Fiber.join(unbounded)).toBe("answered")
    }))

  it.effect("never degrades a fatal failure: it propagates, loudly, and is counted", () =>
    Effect.gen(function*() {
      const refused = Metric.tagged(Fallback.refusals, "service", "fatal-1")
      const before = (yield* Metric.value(refused)).count
      // The type would refuse MissingConfig; an `unknown` error channel hides it from the compiler.
      const hidden: Effect.Effect<number, unknown> = Effect.fail(new Errors.MissingConfig({ key: "RECS_URL" }))
      const [exit, logs] = yield* hidden.pipe(Fallback.degrade({ service: "fatal-1", fallback: 0 }), Effect.exit, withLogs)
      expect(Exit.isFailure(exit) && Cause.failureOption(exit.cause)._tag === "Some").toBe(true)
      expect(Exit.isFailure(exit) && Errors.isFatal(Cause.squash(exit.cause))).toBe(true)
      expect(logs.map((l) => [l.level, l.annotations["event"], l.annotations["error_code"]])).toEqual([
        ["FATAL", "graceful_degradation_refused", "MISSING_CONFIG"]
      ])
      expect((yield* Metric.value(refused)).count).toBe(before + 1)
    }))

  it.effect("never degrades a fatal defect (after Errors.dieOnFatal)", () =>
    Effect.gen(function*() {
      const dying = Effect.fail(new Errors.CorruptState({ detail: "ledger" })).pipe(Errors.dieOnFatal)
      const exit = yield* dying.pipe(Fallback.degrade({ service: "fatal-2", fallback: 0 }), Effect.exit)
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    }))

  it.effect("degrades a defect as unexpected (ERROR with the stack), or propagates it on request", () =>
    Effect.gen(function*() {
      const buggy = Effect.sync((): number => {
        throw new TypeError("cannot read properties of undefined")
      })
      const [result, logs] = yield* buggy.pipe(Fallback.degrade({ service: "bug-1", fallback: -1 }), withLogs)
      expect(result).toBe(-1)
      expect(logs[0]!.level).toBe("ERROR")
      expect(logs[0]!.annotations).toMatchObject({
        degradation: "defect",
        error_code: "INTERNAL_ERROR",
        error_type: "Defect(TypeError)"
      })
      expect(logs[0]!.cause).toContain("cannot read properties of undefined")
      const exit = yield* buggy.pipe(Fallback.degrade({ service: "bug-1", fallback: -1, defects: "propagate" }), Effect.exit)
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    }))

  it.effect("lets interruption through", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.interrupt.pipe(Fallback.degrade({ service: "intr", fallback: 0 }), Effect.exit)
      expect(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)).toBe(true)
    }))

  it.effect("counts every activation per service and code across 2000 concurrent fibers", () =>
    Effect.gen(function*() {
      const before = yield* activationCount("metrics-a", "SERVICE_UNAVAILABLE")
      const beforeOther = yield* activationCount("metrics-b", "SERVICE_UNAVAILABLE")
      const results = yield* Effect.forEach(
        Array.from({ length: 2000 }, (_, i) => i),
        (i) =>
          (i % 2 === 0 ? unavailable("metrics-a") : Effect.succeed(i)).pipe(
            Fallback.degrade({ service: "metrics-a", fallback: -1 })
          ),
        { concurrency: "unbounded" }
      ).pipe(withLogs)
      expect(results[0].filter((r) => r === -1)).toHaveLength(1000)
      expect(yield* activationCount("metrics-a", "SERVICE_UNAVAILABLE")).toBe(before + 1000)
      expect(yield* activationCount("metrics-b", "SERVICE_UNAVAILABLE")).toBe(beforeOther)
    }))
})

describe("Fallback.degradeWith", () => {
  it.effect("runs the fallback effect with the cause; its own failure is not degraded", () =>
    Effect.gen(function*() {
      const seen = yield* unavailable("cache-1").pipe(
        Fallback.degradeWith({ service: "cache-1", orElse: (cause) => Effect.succeed(Cause.squash(cause)) }),
        withLogs
      )
      expect(seen[0]).toBeInstanceOf(Errors.ServiceUnavailable)
      expect(seen[1][0]!.annotations["fallback"]).toBe("effect")
      const exit = yield* unavailable("cache-2").pipe(
        Fallback.degradeWith({ service: "cache-2", orElse: () => Effect.fail("cache empty" as const) }),
        Effect.exit
      )
      expect(exit).toStrictEqual(Exit.fail("cache empty"))
    }))
})

describe("Fallback alerts", () => {
  const failN = (service: string, n: number, alert?: Fallback.DegradeOptions["alert"]) =>
    Effect.repeatN(
      unavailable(service).pipe(
        Fallback.degrade({ service, fallback: null, ...(alert === undefined ? {} : { alert }) })
      ),
      n - 1
    )

  const sent = Effect.flatMap(Fallback.MemoryAlerts, (m) => m.alerts)

  it.effect("fires once the rate passes the threshold within the window, not on every activation", () =>
    Effect.gen(function*() {
      yield* failN("email", 2)
      expect(yield* sent).toEqual([])
      yield* failN("email", 1)
      const alerts = yield* sent
      expect(alerts).toHaveLength(1)
      expect(alerts[0]).toMatchObject({ service: "email", activations: 3 })
      expect(alerts[0]!.last.errorCode).toBe("SERVICE_UNAVAILABLE")
      // A sustained outage pages once a window.
      yield* failN("email", 20)
      expect(yield* sent).toHaveLength(1)
      yield* TestClock.adjust("10 seconds")
      yield* failN("email", 3)
      expect(yield* sent).toHaveLength(2)
    }).pipe(Effect.provide(Fallback.layerAlertHookMemory({ threshold: 3, window: "10 seconds" }))))

  it.effect("a slow trickle below the rate never alerts (sliding window on the Clock)", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 10; i++) {
        yield* failN("analytics", 1)
        yield* TestClock.adjust("5 seconds") // 2 per 10 s window, threshold 3
      }
      expect(yield* sent).toEqual([])
      yield* failN("analytics", 2)
      expect(yield* sent).toHaveLength(1)
    }).pipe(Effect.provide(Fallback.layerAlertHookMemory({ threshold: 3, window: "10 seconds" }))))

  it.effect("counts each service on its own; per-call policy and opt-out", () =>
    Effect.gen(function*() {
      yield* failN("svc-a", 2)
      yield* failN("svc-b", 2)
      expect(yield* sent).toEqual([])
      yield* failN("svc-c", 5, false)
      expect(yield* sent).toEqual([])
      yield* failN("svc-d", 1, { threshold: 1 })
      expect((yield* sent).map((a) => a.service)).toEqual(["svc-d"])
    }).pipe(Effect.provide(Fallback.layerAlertHookMemory({ threshold: 3, window: "10 seconds" }))))

  it.effect("a failing alert hook never breaks the degraded call", () =>
    Effect.gen(function*() {
      const [result, logs] = yield* failN("pager-broken", 1).pipe(
        Effect.as("still fine"),
        Effect.provide(Fallback.layerAlertHook(() => Effect.die("pager down"), { threshold: 1 })),
        withLogs
      )
      expect(result).toBe("still fine")
      expect(logs.some((l) => l.message === "fallback alert hook failed" && l.level === "ERROR")).toBe(true)
    }))
})

class Recommendations extends Context.Tag("test/Recommendations")<Recommendations, {
  readonly forUser: (id: string) => Effect.Effect<ReadonlyArray<string>, Errors.ServiceUnavailable>
  readonly popular: Effect.Effect<ReadonlyArray<string>, Errors.ServiceUnavailable>
  readonly source: () => string
}>() {}

const Empty = Layer.succeed(Recommendations, {
  forUser: () => Effect.succeed([]),
  popular: Effect.succeed(["fallback-popular"]),
  source: () => "empty"
})

const Engine = (failing: ReadonlySet<string>) =>
  Layer.succeed(Recommendations, {
    forUser: (id) => failing.has(id) ? unavailable("engine") : Effect.succeed([`rec-for-${id}`]),
    popular: unavailable("engine"),
    source: () => "engine"
  })

const NoEngine = Layer.fail(new Errors.ConnectFailed({ service: "engine", reason: "ECONNREFUSED" }))

describe("Fallback.layerOnBuildFailure", () => {
  it.effect("uses the fallback implementation when the live layer cannot be built", () =>
    Effect.gen(function*() {
      const [source, logs] = yield* Effect.map(Recommendations, (r) => r.source()).pipe(
        Effect.provide(Fallback.layerOnBuildFailure(NoEngine, Empty, { service: "recs-build" })),
        withLogs
      )
      expect(source).toBe("empty")
      expect(logs[0]!.annotations).toMatchObject({ degradation: "build", error_code: "CONNECT_FAILED", service: "recs-build" })
    }))

  it.effect("uses the live layer when it builds, without wrapping its calls", () =>
    Effect.gen(function*() {
      const r = yield* Effect.provide(Recommendations, Fallback.layerOnBuildFailure(Engine(new Set(["u1"])), Empty, { service: "recs-build" }))
      expect(r.source()).toBe("engine")
      expect(Exit.isFailure(yield* Effect.exit(r.forUser("u1")))).toBe(true)
    }))

  it.effect("does not degrade a fatal build failure", () =>
    Effect.gen(function*() {
      const live = Layer.fail(new Errors.MissingConfig({ key: "RECS_URL" }))
      const exit = yield* Effect.exit(Effect.provide(Recommendations, Fallback.layerOnBuildFailure(live, Empty, { service: "recs-fatal" })))
      expect(exit).toStrictEqual(Exit.fail(new Errors.MissingConfig({ key: "RECS_URL" })))
    }))
})

describe("Fallback.layerPerCall", () => {
  const wrapped = (live: Layer.Layer<Recommendations, Errors.ConnectFailed>, onBuildFailure?: "fail") =>
    Fallback.layerPerCall(Recommendations, live, Empty, {
      service: "recs-call",
      timeout: "1 second",
      ...(onBuildFailure === undefined ? {} : { onBuildFailure })
    })

  it.effect("degrades each failing method call to the fallback's method; successes stay live", () =>
    Effect.gen(function*() {
      const r = yield* Recommendations
      const [results, logs] = yield* Effect.all([r.forUser("u1"), r.forUser("u2"), r.popular]).pipe(withLogs)
      expect(results).toEqual([[], ["rec-for-u2"], ["fallback-popular"]])
      expect(r.source()).toBe("engine")
      expect(logs.map((l) => l.annotations["fallback"])).toEqual(["fallback.forUser", "fallback.popular"])
    }).pipe(Effect.provide(wrapped(Engine(new Set(["u1"]))))))

  it.effect("applies the per-call timeout to live methods", () =>
    Effect.gen(function*() {
      const slow = Layer.succeed(Recommendations, {
        forUser: (id) => Effect.as(Effect.sleep("1 minute"), [id]),
        popular: Effect.succeed([]),
        source: () => "slow"
      })
      const fiber = yield* Effect.fork(Effect.flatMap(Recommendations, (r) => r.forUser("u9")).pipe(Effect.provide(wrapped(slow))))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toEqual([])
    }))

  it.effect("falls back to the whole fallback implementation when the live layer cannot be built", () =>
    Effect.gen(function*() {
      const r = yield* Effect.provide(Recommendations, wrapped(NoEngine))
      expect(r.source()).toBe("empty")
      const exit = yield* Effect.exit(Effect.provide(Recommendations, wrapped(NoEngine, "fail")))
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})

describe("Fallback types", () => {
  it("refuse an effect that can fail with a fatal error", () => {
    const fatal = Effect.fail(new Errors.MissingConfig({ key: "x" })).pipe(Effect.as(1))
    // @ts-expect-error Fatal errors are never degraded
    const a = () => fatal.pipe(Fallback.degrade({ service: "x", fallback: 0 }))
    // @ts-expect-error Fatal errors are never degraded (data-first)
    const b = () => Fallback.degrade(fatal, { service: "x", fallback: 0 })
    // @ts-expect-error Fatal errors are never degraded (with a fallback effect)
    const c = () => fatal.pipe(Fallback.degradeWith({ service: "x", orElse: () => Effect.succeed(2) }))
    // After dieOnFatal the fatal member is gone from the type, and the call compiles.
    const ok: Effect.Effect<number> = fatal.pipe(Errors.dieOnFatal, Fallback.degrade({ service: "x", fallback: 0 }))
    expect([a, b, c, ok].length).toBe(4)
  })
})
