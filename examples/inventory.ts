/**
 * The seed's inventory service end to end (section 9, "the complete picture"): an HTTP API whose
 * `GET /stock/:sku` calls a flaky inventory upstream through ResilientHttp (timeout, retry,
 * circuit breaker, request id) and answers with live stock, the last good (stale) stock, or a
 * default, and with problem details when the upstream rejects the request.
 *
 * Run: npx tsx examples/inventory.ts
 */
import { FetchHttpClient, HttpRouter, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Schema } from "effect"
import * as Http from "node:http"
import * as HttpUpstream from "../src/Chaos/HttpUpstream.js"
import * as CircuitBreaker from "../src/CircuitBreaker.js"
import * as ErrorLog from "../src/ErrorLog.js"
import * as Errors from "../src/Errors.js"
import * as HttpBoundary from "../src/HttpBoundary.js"
import * as ResilientHttp from "../src/ResilientHttp.js"

const Stock = Schema.Struct({ sku: Schema.String, stock: Schema.Number })

/** The seed's get_stock_level: never fails transiently, always answers something usable. */
const getStockLevel = (inventory: ResilientHttp.ResilientHttp, sku: string) =>
  inventory.getCached(`/stock/${encodeURIComponent(sku)}`, Stock).pipe(
    Effect.map((r) => ({ ...r.value, in_stock: r.value.stock > 0, source: r.source, stale: r.stale })),
    Effect.catchTag("NotFound", () => Effect.succeed({ sku, in_stock: false, source: "live" as const, stale: false })),
    // Nothing cached and the upstream unreachable (5xx, 429, timeout, refused, open breaker):
    // the seed's optimistic default.
    Effect.catchIf(Errors.isTransient, () => Effect.succeed({ sku, in_stock: true, source: "default" as const, stale: true }))
    // Permanent errors (UpstreamClientError, UpstreamDecodeError) propagate to the boundary.
  )

const program = Effect.gen(function*() {
  const upstream = yield* HttpUpstream.make(HttpUpstream.ok({ sku: "sku-1", stock: 7 }))
  const inventory = yield* ResilientHttp.make({
    service: "inventory",
    baseUrl: upstream.url,
    timeout: "2 seconds",
    retry: { maxAttempts: 3, base: "20 millis", maxDelay: "2 seconds" },
    breaker: yield* CircuitBreaker.make({
      name: "inventory",
      trip: CircuitBreaker.consecutiveFailures(3),
      breakDuration: "30 seconds"
    }),
    cache: yield* ResilientHttp.makeMemoryCache()
  }).pipe(Effect.provide(FetchHttpClient.layer))

  const router = HttpRouter.empty.pipe(
    HttpRouter.get(
      "/stock/:sku",
      Effect.flatMap(HttpRouter.params, (params) =>
        Effect.flatMap(getStockLevel(inventory, params.sku ?? ""), (body) => HttpServerResponse.json(body)))
    )
  )
  const server = yield* NodeHttpServer.make(() => Http.createServer(), { port: 0, host: "127.0.0.1" })
  yield* server.serve(router.pipe(HttpBoundary.middleware()))
  const api = `http://127.0.0.1:${(server.address as { port: number }).port}`

  const ask = (label: string, path: string, requestId: string) =>
    Effect.flatMap(
      Effect.promise(async () => {
        const response = await fetch(`${api}${path}`, {
          headers: { "x-request-id": requestId },
          signal: AbortSignal.timeout(5_000)
        })
        return `${response.status} ${response.headers.get("content-type")} ${await response.text()}`
      }),
      (line) => Effect.sync(() => console.log(`${label.padEnd(28)} GET ${path} -> ${line}`))
    )
  const upstreamCalls = Effect.map(upstream.requests, (r) => r.length)

  yield* ask("healthy:", "/stock/sku-1", "req-1")
  const [first] = yield* upstream.requests
  console.log(`upstream saw X-Request-ID: ${first?.headers["x-request-id"]}`)

  yield* upstream.set((r) => r.seq < 3 ? HttpUpstream.status(503) : HttpUpstream.ok({ sku: "sku-1", stock: 6 }))
  yield* ask("503 twice, then ok:", "/stock/sku-1", "req-2")

  yield* upstream.set(HttpUpstream.status(404))
  yield* ask("unknown sku:", "/stock/sku-0", "req-3")

  yield* upstream.set(HttpUpstream.status(400, { error: "bad sku" }))
  yield* ask("upstream rejects (4xx):", "/stock/bad", "req-4")

  yield* upstream.set(HttpUpstream.status(503))
  yield* ask("upstream down:", "/stock/sku-1", "req-5")
  yield* ask("down, nothing cached:", "/stock/sku-2", "req-6")
  const before = yield* upstreamCalls
  yield* ask("breaker open:", "/stock/sku-1", "req-7")
  console.log(`upstream calls while the breaker is open: ${(yield* upstreamCalls) - before}`)
}).pipe(Effect.scoped, ErrorLog.withRequestContext({ operation: "inventory-example" }))

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
