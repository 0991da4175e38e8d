/**
 * A kill switch flipped at runtime: the recommendation engine starts hanging, every signup
 * waits out its 2-3 s degradation timeout, and on-call turns `recommendations_enabled` off.
 * From the next call on the engine is not even tried and the feature answers its fallback
 * at once; when the engine is fixed the switch goes back on, without a deploy either way.
 *
 * The flags live in memory here (`FeatureFlags.layerMemory`) so the example runs anywhere. In
 * production provide `effect-resilience/FeatureFlags/Postgres` instead; the code below does
 * not change, and the flip becomes an UPDATE that reaches every instance within a second:
 *
 *   UPDATE effect_resilience_feature_flags SET enabled = false WHERE flag = 'recommendations_enabled';
 *
 * Run: npx tsx examples/kill-switch.ts
 */
import { Clock, Console, Effect, Metric } from "effect"
import * as Fallback from "../src/Fallback.js"
import * as FeatureFlags from "../src/FeatureFlags.js"

// --- the engine: healthy, then hanging, then fixed; counts the calls it receives ---
let engine: "healthy" | "hanging" = "healthy"
let engineCalls = 0
const engineRecommendations = (userId: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.suspend(() => {
    engineCalls++
    return engine === "healthy" ? Effect.succeed([`picked-for-${userId}`]) : Effect.never
  })

// The seed's pattern: off means "do not even try"; on means "try, and degrade if it fails or
// takes too long". 300 ms keeps the example quick; production would use 2-3 s.
const recommendations = (userId: string) =>
  engineRecommendations(userId).pipe(
    Fallback.degrade({ service: "recommendations", fallback: [], timeout: "300 millis" }),
    FeatureFlags.guard({ flag: "recommendations_enabled", fallback: [] })
  )

const signup = (userId: string) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const picks = yield* recommendations(userId)
    const elapsed = (yield* Clock.currentTimeMillis) - start
    // Halfway: a timer may fire a millisecond early by the wall clock, and a skip takes ~0 ms.
    const speed = elapsed >= 150 ? "after the 300ms timeout" : "at once"
    yield* Console.log(`signup ${userId}: recommendations=${JSON.stringify(picks)} ${speed} (engine calls so far: ${engineCalls})`)
  })

const program = Effect.gen(function*() {
  const flags = yield* FeatureFlags.Memory // the setter; in production an UPDATE in Postgres

  yield* signup("u1")

  engine = "hanging"
  yield* signup("u2")
  yield* signup("u3")

  yield* Console.log("on-call flips the kill switch off")
  yield* flags.set("recommendations_enabled", false, "oncall:alice")
  const callsWhenOff = engineCalls
  yield* signup("u4")
  yield* signup("u5")
  yield* signup("u6")
  yield* Console.log(`while off the engine received ${engineCalls - callsWhenOff} calls`)
  const skipped = yield* Metric.value(FeatureFlags.skips.pipe(Metric.tagged("flag", "recommendations_enabled")))
  const degraded = yield* Metric.value(
    Fallback.activations.pipe(Metric.tagged("service", "recommendations"), Metric.tagged("error_code", "NETWORK_TIMEOUT"))
  )
  yield* Console.log(`skips counted: ${skipped.count}, timeouts degraded: ${degraded.count}`)

  engine = "healthy"
  yield* Console.log("the engine is fixed; the switch goes back on")
  yield* flags.set("recommendations_enabled", true, "oncall:alice")
  yield* signup("u7")
}).pipe(Effect.provide(FeatureFlags.layerMemory({ recommendations_enabled: true })))

Effect.runPromise(program)
