/**
 * Structured error logging: one JSON object per line, severity from the error's category,
 * request context set once at the boundary and carried into forked fibers, stack traces only
 * for unexpected and critical errors, and an alert hook for critical ones.
 *
 * Run: npx tsx examples/structured-logging.ts          (JSON, as in production)
 *      LOG_FORMAT=pretty npx tsx examples/structured-logging.ts
 */
import { Effect, Fiber } from "effect"
import * as ErrorLog from "../src/ErrorLog.js"
import * as Errors from "../src/Errors.js"

// A pager that would call PagerDuty or Slack; here it prints.
const PagerLive = ErrorLog.layerAlerter({
  alert: (entry) => Effect.sync(() => console.log(`ALERT paged on-call: ${entry.error_code} in ${entry.operation}`))
})

const findUser = (id: string) =>
  Effect.fail(new Errors.NotFound({ resource: "user", id })).pipe(ErrorLog.logFailure("find_user"))

const parsePreferences = (raw: string) =>
  Effect.try(() => JSON.parse(raw) as unknown).pipe(ErrorLog.logFailure("parse_preferences"))

const loadConfig = Effect.fail(new Errors.MissingConfig({ key: "PAYMENTS_API_KEY" })).pipe(
  ErrorLog.logFailure("load_config")
)

// The boundary sets the request context once; everything below inherits it, forks included.
const handleRequest = Effect.gen(function*() {
  yield* Effect.log("request started")
  yield* Effect.ignore(findUser("42"))
  const background = yield* Effect.fork(Effect.ignore(parsePreferences("{not json")))
  yield* Fiber.join(background)
  yield* Effect.ignore(loadConfig)
}).pipe(ErrorLog.withRequestContext({ requestId: "req-1", userId: "user-7", operation: "GET /profile" }))

Effect.runPromise(handleRequest.pipe(Effect.provide([ErrorLog.layerConfig(), PagerLive])))
