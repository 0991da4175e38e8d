/**
 * The seed's payment call: POST /charge with retry + circuit breaker against a flaky local stub.
 *
 * - Every attempt of a charge carries the same Idempotency-Key, so a retried POST cannot
 *   double-charge (the non-idempotent retry is only reachable through `Policy.applyWithKey`).
 * - 503s are retried with jittered backoff; a 400 is not.
 * - When the stub goes down, the breaker opens and charges fail fast with CircuitOpen; the
 *   fallback queues them ("Payment will be processed shortly"), as in the seed.
 *
 * Run: npx tsx examples/payment.ts
 */
import { Effect } from "effect"
import * as HttpUpstream from "../src/Chaos/HttpUpstream.js"
import * as CircuitBreaker from "../src/CircuitBreaker.js"
import * as Errors from "../src/Errors.js"
import * as Policy from "../src/Policy.js"
import * as Retry from "../src/Retry.js"

class PaymentRejected extends Errors.Permanent<PaymentRejected>()("PaymentRejected", {}, {
  code: "PAYMENT_REJECTED",
  status: 422,
  message: () => "the payment service rejected the charge"
}) {}

const postCharge = (base: string, paymentId: string, key: Retry.IdempotencyKey) =>
  Effect.tryPromise({
    try: (signal) =>
      fetch(`${base}/charge/${paymentId}`, { method: "POST", headers: { "idempotency-key": key }, signal }),
    catch: (e) => new Errors.ConnectFailed({ service: "payments", reason: e instanceof Error ? e.name : "fetch failed" })
  }).pipe(
    Effect.flatMap((response): Effect.Effect<string, Errors.ServiceUnavailable | PaymentRejected> =>
      response.status >= 500
        ? Effect.fail(new Errors.ServiceUnavailable({ service: "payments", reason: `HTTP ${response.status}` }))
        : response.status >= 400
        ? Effect.fail(new PaymentRejected())
        : Effect.succeed("charged")
    )
  )

const program = Effect.scoped(Effect.gen(function*() {
  // Flaky stub: two 503s, then fine; /charge/bad is rejected with 400.
  let calls = 0
  const stub = yield* HttpUpstream.make((request) =>
    request.url.endsWith("/bad") ? HttpUpstream.status(400) : ++calls <= 2 ? HttpUpstream.status(503) : HttpUpstream.ok({})
  )
  const breaker = yield* CircuitBreaker.make({
    name: "payments",
    trip: CircuitBreaker.consecutiveFailures(3),
    breakDuration: "30 seconds"
  })
  const payments = Policy.make({
    service: "payments",
    timeout: "2 seconds",
    retry: Retry.policy({ operation: "payments.charge", idempotent: false, maxAttempts: 4, base: "20 millis" }),
    breaker
  })

  const charge = (paymentId: string) =>
    Effect.flatMap(Retry.makeIdempotencyKey, (key) =>
      Policy.applyWithKey(payments, key, (k) => postCharge(stub.url, paymentId, k))).pipe(
        // The seed's fallback: when the circuit is open, queue the payment instead of failing.
        Effect.catchTag("CircuitOpen", () => Effect.succeed("queued: Payment will be processed shortly"))
      )

  const first = yield* charge("p-1")
  const keys = new Set((yield* stub.requests).map((r) => r.headers["idempotency-key"]))
  yield* Effect.log("charge p-1").pipe(Effect.annotateLogs({ result: first, attempts: calls, distinct_keys: keys.size }))

  const rejected = yield* Effect.flip(charge("bad"))
  yield* Effect.log("charge bad").pipe(Effect.annotateLogs({ error_code: rejected.code, retried: "no" }))

  // The payment service goes down: three failed attempts open the breaker, the rest fail fast.
  yield* stub.set(HttpUpstream.status(503))
  yield* stub.clear
  const outcomes = yield* Effect.forEach(["p-2", "p-3", "p-4"], (id) => Effect.either(charge(id)))
  const results = outcomes.map((o) => o._tag === "Right" ? o.right : o.left.code)
  yield* Effect.log("payments down").pipe(
    Effect.annotateLogs({ breaker: yield* breaker.state, upstream_calls: (yield* stub.requests).length, results: results.join(" | ") })
  )
}))

Effect.runPromise(program)
