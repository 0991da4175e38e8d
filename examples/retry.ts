/**
 * Retry, timeout and bulkhead against flaky local stubs: transient failures back off and
 * recover, permanent ones fail at once, a shared budget stops a retry storm, a non-idempotent
 * call is retried with one idempotency key, a hanging call is interrupted, a full bulkhead rejects.
 *
 * Run: npx tsx examples/retry.ts
 */
import { Duration, Effect, Ref } from "effect"
import * as Bulkhead from "../src/Bulkhead.js"
import * as Errors from "../src/Errors.js"
import * as Retry from "../src/Retry.js"
import * as Timeout from "../src/Timeout.js"

/** A stub dependency that fails with the given errors in turn, then answers; counts calls. */
const stub = <E>(failures: ReadonlyArray<E>) =>
  Effect.map(Ref.make(0), (calls) => ({
    calls: Ref.get(calls),
    call: Effect.flatMap(Ref.getAndUpdate(calls, (n) => n + 1), (n) =>
      n < failures.length ? Effect.fail(failures[n]!) : Effect.succeed(42))
  }))

const unavailable = new Errors.ServiceUnavailable({ service: "inventory" })

// Small delays so the example runs in well under a second; production defaults are 0.5 s / 30 s.
const fast = { base: "20 millis", maxDelay: "500 millis" } as const

const program = Effect.gen(function*() {
  // 1. Two 503s, then an answer: the log shows a line before each sleep.
  const getStock = Retry.policy({ operation: "inventory.get", idempotent: true, ...fast })
  const inventory = yield* stub([unavailable, unavailable])
  const stock = yield* inventory.call.pipe(Retry.retry(getStock))
  yield* Effect.log(`stock ${stock} after ${yield* inventory.calls} calls`)

  // 2. A 404 is permanent: one call, no sleep.
  const missing = yield* stub([new Errors.NotFound({ resource: "sku", id: "sku-404" })])
  const notFound = yield* missing.call.pipe(Retry.retry(getStock), Effect.flip)
  yield* Effect.log(`${notFound.code} not retried: ${yield* missing.calls} call`)

  // 3. 429 with Retry-After: the next attempt waits at least what the server asked.
  const search = yield* stub([new Errors.RateLimited({ service: "search", retryAfter: Duration.millis(150) })])
  const started = performance.now()
  yield* search.call.pipe(Retry.retry(Retry.policy({ operation: "search.query", idempotent: true, ...fast })))
  // Timers count whole milliseconds, so a 150 ms wait can measure a fraction under 150.
  yield* Effect.log(`rate limited, waited at least Retry-After: ${performance.now() - started >= 149 ? "yes" : "no"}`)

  // 4. A shared budget: 20 callers fail at once; only the budget's 3 tokens become retries.
  const budget = yield* Retry.makeBudget({ ratio: 0, minPerSecond: 3, capacity: 3 })
  const stormPolicy = Retry.policy({ operation: "storm", idempotent: true, maxAttempts: 2, budget, ...fast })
  const down = yield* stub(Array.from({ length: 1000 }, () => unavailable))
  yield* Effect.forEach(Array.from({ length: 20 }), () => Effect.either(Retry.retry(down.call, stormPolicy)), {
    concurrency: "unbounded"
  })
  yield* Effect.log(`retry storm contained: 20 callers made ${yield* down.calls} calls`)

  // 5. POST /charge is not idempotent: retried only with one idempotency key for every attempt.
  const charge = Retry.policy({ operation: "payments.charge", idempotent: false, ...fast })
  const keysSeen: Array<string> = []
  const key = yield* Retry.makeIdempotencyKey
  yield* Retry.retryWithKey(charge, key, (key) =>
    Effect.suspend(() => {
      keysSeen.push(key)
      return keysSeen.length < 3 ? Effect.fail(unavailable) : Effect.succeed("charged")
    }))
  yield* Effect.log(`charged after ${keysSeen.length} attempts with one key: ${new Set(keysSeen).size === 1 ? "yes" : "no"}`)

  // 6. A hanging call is interrupted at its deadline (its finalizer runs).
  const timedOut = yield* Effect.never.pipe(
    Effect.onInterrupt(() => Effect.log("hanging call interrupted, connection released")),
    Timeout.timeout({ service: "inventory", duration: "50 millis" }),
    Effect.flip
  )
  yield* Effect.log("call timed out").pipe(
    Effect.annotateLogs({ error_code: timedOut.code, error_message: timedOut.message })
  )

  // 7. A bulkhead of 2 running + 3 waiting: of 10 simultaneous callers, 5 are turned away.
  const payments = yield* Bulkhead.make({ name: "payments", maxConcurrent: 2, maxQueue: 3 })
  const outcomes = yield* Effect.forEach(
    Array.from({ length: 10 }),
    () => Effect.either(Effect.sleep("20 millis").pipe(Bulkhead.withBulkhead(payments))),
    { concurrency: "unbounded" }
  )
  const rejected = outcomes.filter((o) => o._tag === "Left")
  yield* Effect.log(`bulkhead: ${outcomes.length - rejected.length} served, ${rejected.length} rejected with BULKHEAD_FULL`)
})

Effect.runPromise(program)
