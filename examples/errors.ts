/**
 * The error taxonomy in a few lines: declare an error in its category, fail with it, and let
 * the category decide what happens (status, severity, whether a retry may see it).
 *
 * Run: npx tsx examples/errors.ts
 */
import { Effect, Schema } from "effect"
import * as Errors from "../src/Errors.js"

// One line declares a domain error in a category, with its code and status.
class PaymentDeclined extends Errors.Permanent<PaymentDeclined>()("PaymentDeclined", {
  reason: Schema.String
}, { code: "PAYMENT_DECLINED", status: 402, message: (e) => `payment declined: ${e.reason}` }) {}

const failures: ReadonlyArray<unknown> = [
  new Errors.ServiceUnavailable({ service: "payments" }),
  new Errors.RateLimited({ service: "search" }),
  new Errors.NotFound({ resource: "user", id: "42" }),
  new PaymentDeclined({ reason: "insufficient funds" }),
  new Errors.CacheMiss({ key: "stock:sku-1" }),
  new Errors.MissingConfig({ key: "DATABASE_URL" }),
  new TypeError("undefined is not a function")
]

const describe = (error: unknown) =>
  Effect.log(
    `${Errors.codeOf(error).padEnd(20)} ${String(Errors.categoryOf(error) ?? "(unknown)").padEnd(10)} ` +
      `HTTP ${Errors.statusOf(error)}  ${Errors.severityOf(error).padEnd(10)} ` +
      `${Errors.isTransient(error) ? "retry with backoff" : "do not retry"}`
  )

const program = Effect.gen(function*() {
  yield* Effect.forEach(failures, describe, { discard: true })

  // Errors are Schema.TaggedErrors: they cross JSON boundaries (dead-letter queue, HTTP) intact.
  const json = JSON.stringify(Schema.encodeSync(Errors.ServiceError)(new Errors.NotFound({ resource: "order", id: "7" })))
  const back = Schema.decodeUnknownSync(Errors.ServiceError)(JSON.parse(json))
  yield* Effect.log(`round trip: ${json} -> ${back._tag} (${back.code})`)

  // Pattern-match by tag; the compiler knows which tags can occur.
  const answer = yield* Effect.fail(new PaymentDeclined({ reason: "card expired" })).pipe(
    Effect.catchTag("PaymentDeclined", (e) => Effect.succeed(`402: ${e.message}`))
  )
  yield* Effect.log(answer)

  // Fatal errors crash on purpose: dieOnFatal turns them into defects nothing can swallow.
  const exit = yield* Effect.fail(new Errors.MissingConfig({ key: "DATABASE_URL" })).pipe(Errors.dieOnFatal, Effect.exit)
  yield* Effect.log(`fatal error ends the program: ${exit._tag === "Failure" ? "yes" : "no"}`)
})

Effect.runPromise(program)
