/**
 * The seed's signup flow: creating the user is critical; analytics, the welcome email and
 * recommendations are not. Each non-critical call degrades (logged, counted, alerting past a
 * rate) and sits behind a kill switch that an operator can flip at runtime.
 *
 * The dependencies are real in-process services that fail on purpose: analytics answers 503,
 * the mail server refuses connections, and the recommendation engine hangs.
 *
 * Run: npx tsx examples/signup.ts
 */
import { Console, Context, Effect, Layer, Metric } from "effect"
import * as Errors from "../src/Errors.js"
import * as Fallback from "../src/Fallback.js"
import * as FeatureFlags from "../src/FeatureFlags.js"

// --- services ------------------------------------------------------------------

interface User {
  readonly id: string
  readonly email: string
}

class Users extends Context.Tag("example/Users")<Users, {
  readonly create: (email: string) => Effect.Effect<User, Errors.Conflict | Errors.ValidationFailed>
}>() {}

class Analytics extends Context.Tag("example/Analytics")<Analytics, {
  readonly trackPageView: (userId: string, page: string) => Effect.Effect<void, Errors.ServiceUnavailable>
}>() {}

class Email extends Context.Tag("example/Email")<Email, {
  readonly sendWelcome: (to: string) => Effect.Effect<boolean, Errors.ConnectFailed>
}>() {}

class Recommendations extends Context.Tag("example/Recommendations")<Recommendations, {
  readonly forUser: (userId: string) => Effect.Effect<ReadonlyArray<string>>
}>() {}

// --- in-process implementations ------------------------------------------------

const UsersLive = Layer.sync(Users, () => {
  const byEmail = new Map<string, User>()
  return {
    create: (email) =>
      Effect.suspend((): Effect.Effect<User, Errors.Conflict | Errors.ValidationFailed> => {
        if (!email.includes("@")) return Effect.fail(new Errors.ValidationFailed({ field: "email", reason: "must contain @" }))
        if (byEmail.has(email)) return Effect.fail(new Errors.Conflict({ resource: "user", detail: `${email} is taken` }))
        const user = { id: `u${byEmail.size + 1}`, email }
        byEmail.set(email, user)
        return Effect.succeed(user)
      })
  }
})

const AnalyticsDown = Layer.succeed(Analytics, {
  trackPageView: () => Effect.fail(new Errors.ServiceUnavailable({ service: "analytics", reason: "HTTP 503" }))
})

const SmtpRefusing = Layer.succeed(Email, {
  sendWelcome: () => Effect.fail(new Errors.ConnectFailed({ service: "smtp", reason: "ECONNREFUSED" }))
})

// The engine accepts the call and never answers.
const EngineHanging = Layer.succeed(Recommendations, {
  forUser: (userId) => Effect.as(Effect.never, [`picked for ${userId}`])
})
const PopularItems = Layer.succeed(Recommendations, {
  forUser: () => Effect.succeed(["bestseller-1", "bestseller-2"])
})

// A whole non-critical service: each call degrades to the fallback implementation's method.
const RecommendationsLive = Fallback.layerPerCall(Recommendations, EngineHanging, PopularItems, {
  service: "recommendations",
  timeout: "2 seconds"
})

// --- the flow ------------------------------------------------------------------

const handleSignup = (email: string) =>
  Effect.gen(function*() {
    // Critical path: never wrapped. A conflict or invalid email fails the signup.
    const user = yield* Effect.flatMap(Users, (users) => users.create(email))

    yield* Effect.flatMap(Analytics, (a) => a.trackPageView(user.id, "signup")).pipe(
      Fallback.degrade({ service: "analytics", fallback: undefined, timeout: "2 seconds" }),
      FeatureFlags.guard({ flag: "analytics_enabled", fallback: undefined })
    )

    // Returns true so the signup continues; the email would be queued for later.
    const emailSent = yield* Effect.flatMap(Email, (e) => e.sendWelcome(user.email)).pipe(
      Fallback.degrade({ service: "email", fallback: true, timeout: "3 seconds" }),
      FeatureFlags.guard({ flag: "email_enabled", fallback: true })
    )

    const recommendations = yield* Effect.flatMap(Recommendations, (r) => r.forUser(user.id)).pipe(
      FeatureFlags.guard({ flag: "recommendations_enabled", fallback: [] as ReadonlyArray<string> })
    )

    return { userId: user.id, emailSent, recommendations }
  })

const signup = (email: string) =>
  Effect.gen(function*() {
    const started = Date.now()
    const response = yield* handleSignup(email)
    yield* Console.log(
      `signup succeeded: user=${response.userId} recommendations=${JSON.stringify(response.recommendations)} ` +
        `(${Math.round((Date.now() - started) / 1000)}s)`
    )
  }).pipe(
    Effect.catchTags({
      Conflict: (e) => Console.log(`signup rejected: ${e.code} (${e.message}), critical path not degraded`),
      ValidationFailed: (e) => Console.log(`signup rejected: ${e.code} (${e.message})`)
    })
  )

const activations = (service: string, code: string) =>
  Effect.map(
    Metric.value(Metric.tagged(Metric.tagged(Fallback.activations, "service", service), "error_code", code)),
    (s) => s.count
  )

const program = Effect.gen(function*() {
  yield* Console.log("--- every dependency but the user store is broken; all kill switches on")
  yield* signup("ada@example.com")

  yield* Console.log("--- the critical path is not degraded")
  yield* signup("ada@example.com")

  yield* Console.log("--- on-call flips recommendations_enabled off: no deploy, no 2 s wait")
  yield* Effect.flatMap(FeatureFlags.Memory, (m) => m.set("recommendations_enabled", false, "oncall:alice"))
  yield* signup("linus@example.com")

  yield* Console.log(
    `activations: analytics=${yield* activations("analytics", "SERVICE_UNAVAILABLE")} ` +
      `email=${yield* activations("email", "CONNECT_FAILED")} ` +
      `recommendations=${yield* activations("recommendations", "NETWORK_TIMEOUT")}`
  )
})

const AppLive = Layer.mergeAll(UsersLive, AnalyticsDown, SmtpRefusing, RecommendationsLive).pipe(
  Layer.provideMerge(FeatureFlags.layerMemory({
    analytics_enabled: true,
    email_enabled: true,
    recommendations_enabled: true
  })),
  // Page when one service degrades twice within a minute; not on every activation.
  Layer.provideMerge(Fallback.layerAlertHook(
    (alert) =>
      Console.log(`ALERT (page on-call): ${alert.service} degraded ${alert.activations} times within 1m; last: ${alert.last.errorMessage}`),
    { threshold: 2, window: "1 minute" }
  ))
)

Effect.runPromise(program.pipe(Effect.provide(AppLive)))
