/**
 * A circuit breaker in front of a flaky payment service (a real HTTP stub on 127.0.0.1): it
 * opens after three 503s, rejects at once with a typed `CircuitOpen` carrying Retry-After while
 * open, backs off when the probe fails, and closes when the service is back. A 404 is not a
 * service failure and never trips it.
 *
 * Run: npx tsx examples/circuitBreaker.ts
 */
import { Console, Duration, Effect, Schedule, Stream } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as CircuitBreaker from "../src/CircuitBreaker.js"
import * as Errors from "../src/Errors.js"

// --- the flaky stub: 503 while `down`, 404 for unknown payments, else 200 ---
let down = true
const stub = Effect.acquireRelease(
  Effect.async<Http.Server>((resume) => {
    const server = Http.createServer((req, res) => {
      const status = req.url === "/charge/unknown" ? 404 : down ? 503 : 200
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ status }))
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
)

const charge = (
  base: string,
  id: string
): Effect.Effect<string, Errors.ConnectFailed | Errors.ServiceUnavailable | Errors.NotFound> =>
  Effect.tryPromise({
    try: () => fetch(`${base}/charge/${id}`, { signal: AbortSignal.timeout(2_000) }),
    catch: (e) => new Errors.ConnectFailed({ service: "payments", reason: String(e) })
  }).pipe(
    Effect.flatMap((res): Effect.Effect<string, Errors.ServiceUnavailable | Errors.NotFound> => {
      if (res.status === 404) return Effect.fail(new Errors.NotFound({ resource: "payment", id }))
      if (res.status >= 500) {
        return Effect.fail(new Errors.ServiceUnavailable({ service: "payments", reason: `HTTP ${res.status}` }))
      }
      return Effect.succeed(`charged ${id}`)
    })
  )

const program = Effect.gen(function*() {
  const server = yield* stub
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const breaker = yield* CircuitBreaker.make({
    name: "payments",
    trip: CircuitBreaker.consecutiveFailures(3),
    // 150 ms, then 300 ms if the probe fails: backoff across repeated openings.
    breakDuration: Schedule.exponential("150 millis")
  })
  yield* breaker.changes.pipe(
    Stream.runForEach((c) => Console.log(`state: ${c.from} -> ${c.to} (${c.reason})`)),
    Effect.forkScoped
  )
  yield* Effect.sleep("10 millis") // let the subscriber subscribe

  // The seed's fallback: queue the payment while the circuit is open.
  const pay = (id: string) =>
    breaker.protect(charge(base, id)).pipe(
      Effect.catchTags({
        CircuitOpen: (e) =>
          Effect.succeed(`rejected: ${e.code}, queued ${id}, retry after ${Duration.format(e.retryAfter)}`),
        NotFound: (e) => Effect.succeed(`${e.message}: a 404 does not count`),
        ServiceUnavailable: (e) => Effect.succeed(`failed: ${e.message}`)
      }),
      Effect.flatMap(Console.log)
    )

  yield* pay("unknown")
  yield* pay("unknown")
  yield* pay("unknown")
  yield* Console.log(`after three 404s the circuit is ${yield* breaker.state}`)
  for (const id of ["p-1", "p-2", "p-3", "p-4"]) yield* pay(id)
  yield* Effect.sleep("160 millis")
  yield* pay("p-5") // the probe: the service is still down, open again for longer
  yield* pay("p-6")
  down = false
  yield* Effect.sleep("310 millis")
  yield* pay("p-7") // the probe succeeds: closed
  yield* pay("p-8")
  yield* Effect.sleep("10 millis")
  yield* Console.log(`final state: ${yield* breaker.state}`)
}).pipe(Effect.scoped)

Effect.runPromise(program)
