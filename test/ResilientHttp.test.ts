import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Option, Schema, TestClock } from "effect"
import type { Scope } from "effect"
import * as HttpUpstream from "../src/Chaos/HttpUpstream.js"
import * as CircuitBreaker from "../src/CircuitBreaker.js"
import * as Errors from "../src/Errors.js"
import * as ErrorLog from "../src/ErrorLog.js"
import * as ResilientHttp from "../src/ResilientHttp.js"
import { freePort } from "./support/PostgresServer.js"
import * as Retry from "../src/Retry.js"

const Stock = Schema.Struct({ sku: Schema.String, stock: Schema.Number })

const realSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * The requests of the client under test still on the wire, by an id header the upstream records;
 * `current` is the upstream of the running test.
 */
const inFlight = new Set<string>()
let sent = 0
let current: HttpUpstream.HttpUpstream | undefined

/** Fetch, with each request's id in `inFlight` until its whole response (body too) has arrived or it was abandoned. */
const TrackedHttpClient = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (http) =>
    http.pipe(
      HttpClient.transform((response, request) => {
        const id = request.headers["x-drive-id"] ?? ""
        inFlight.add(id)
        return response.pipe(
          Effect.tap((r) => Effect.ignore(r.text)), // cached: the client reads the same text
          Effect.ensuring(Effect.sync(() => inFlight.delete(id)))
        )
      }),
      HttpClient.mapRequest((request) => HttpClientRequest.setHeader(request, "x-drive-id", String(++sent)))
    ))
).pipe(Layer.provide(FetchHttpClient.layer))

/**
 * Whether moving the TestClock can only do what the test means: every request on the wire has
 * reached the upstream and is held there (delayed on the TestClock, or hanging). Otherwise real
 * I/O is under way, and on a slow machine a step could fire a timeout that the I/O would have beaten.
 */
const settled = Effect.suspend(() => {
  if (inFlight.size === 0) return Effect.succeed(true)
  if (current === undefined) return Effect.succeed(false)
  return Effect.map(Effect.all([current.requests, current.outcomes]), ([requests, outcomes]) =>
    [...inFlight].every((id) => {
      const request = requests.find((r) => r.headers["x-drive-id"] === id)
      if (request === undefined) return false
      const outcome = outcomes.find((o) => o.seq === request.seq)
      return outcome === undefined || outcome.kind === "hang"
    }))
})

/**
 * Runs a call that does real I/O while moving the TestClock in small steps, so sleeps (backoff,
 * Retry-After, timeouts, upstream delays) pass in test time; the clock stands still while real I/O
 * is under way (see `settled`). Bounded to about 10 s of real time.
 */
const drive = <A, E>(effect: Effect.Effect<A, E>, step: Duration.DurationInput = "50 millis") =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (let i = 0; i < 2000; i++) {
      const exit = fiber.unsafePoll()
      if (exit !== null) return exit
      yield* realSleep(5)
      if (yield* settled) yield* TestClock.adjust(step)
    }
    return yield* Effect.dieMessage("call did not finish within 10 s of real time")
  })

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error(`expected a failure, got ${String(exit)}`)
  return exit.cause.error
}

const client = (
  upstream: HttpUpstream.HttpUpstream,
  options: Partial<ResilientHttp.Options> = {}
): Effect.Effect<ResilientHttp.ResilientHttp> =>
  ResilientHttp.make({
    service: "inventory",
    baseUrl: upstream.url,
    timeout: "5 seconds",
    retry: { maxAttempts: 3, base: "10 millis", maxDelay: "30 seconds" },
    ...options
  }).pipe(Effect.provide(TrackedHttpClient))

const start = (script: HttpUpstream.Script): Effect.Effect<HttpUpstream.HttpUpstream, never, Scope.Scope> =>
  Effect.tap(Effect.orDie(HttpUpstream.make(script)), (upstream) => {
    current = upstream
  })

describe("ResilientHttp", () => {
  it.scoped("decodes a 200 and sends the current request id as X-Request-ID", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.ok({ sku: "sku-1", stock: 3 }))
      const inventory = yield* client(upstream)
      const exit = yield* drive(
        inventory.get("/stock/sku-1", Stock).pipe(ErrorLog.withRequestContext({ requestId: "req-42" }))
      )
      expect(exit).toEqual(Exit.succeed({ sku: "sku-1", stock: 3 }))
      const [request] = yield* upstream.requests
      expect(request?.url).toBe("/stock/sku-1")
      expect(request?.headers["x-request-id"]).toBe("req-42")
    }))

  it.scoped("404 is NotFound from get and None from getOption, and is not retried", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.status(404))
      const inventory = yield* client(upstream)
      const error = failure(yield* drive(inventory.get("/stock/missing", Stock)))
      expect(error._tag).toBe("NotFound")
      expect(yield* drive(inventory.getOption("/stock/missing", Stock))).toEqual(Exit.succeed(Option.none()))
      expect((yield* upstream.requests).length).toBe(2)
    }))

  it.scoped("other 4xx is a permanent UpstreamClientError carrying the status, sent once", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.status(400, { error: "bad sku" }))
      const inventory = yield* client(upstream)
      const error = failure(yield* drive(inventory.get("/stock/%20", Stock)))
      expect(error).toBeInstanceOf(ResilientHttp.UpstreamClientError)
      expect(error).toMatchObject({ upstreamStatus: 400, code: "UPSTREAM_CLIENT_ERROR", category: "Permanent" })
      expect((yield* upstream.requests).length).toBe(1)
    }))

  it.scoped("503 is retried with backoff until the upstream recovers", () =>
    Effect.gen(function*() {
      const upstream = yield* start((r) => r.seq < 2 ? HttpUpstream.status(503) : HttpUpstream.ok({ sku: "a", stock: 1 }))
      const inventory = yield* client(upstream)
      expect(yield* drive(inventory.get("/stock/a", Stock))).toEqual(Exit.succeed({ sku: "a", stock: 1 }))
      expect((yield* upstream.outcomes).map((o) => o.status)).toEqual([503, 503, 200])
    }))

  it.scoped("503 that never recovers ends as ServiceUnavailable after maxAttempts", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.status(503))
      const inventory = yield* client(upstream)
      expect(failure(yield* drive(inventory.get("/stock/a", Stock)))._tag).toBe("ServiceUnavailable")
      expect((yield* upstream.requests).length).toBe(3)
    }))

  it.scoped("429 with Retry-After in seconds: the retry waits at least that long", () =>
    Effect.gen(function*() {
      const upstream = yield* start((r) => r.seq === 0 ? HttpUpstream.rateLimited(2) : HttpUpstream.ok({ sku: "a", stock: 1 }))
      const inventory = yield* client(upstream)
      expect(Exit.isSuccess(yield* drive(inventory.get("/stock/a", Stock)))).toBe(true)
      const [first, second] = yield* upstream.requests
      expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(2000)
    }))

  it.scoped("429 with Retry-After as an HTTP date: the retry waits until then", () =>
    Effect.gen(function*() {
      const upstream = yield* start((r) =>
        r.seq === 0
          ? HttpUpstream.rateLimited(new Date(r.receivedAt + 4000).toUTCString())
          : HttpUpstream.ok({ sku: "a", stock: 1 })
      )
      const inventory = yield* client(upstream)
      expect(Exit.isSuccess(yield* drive(inventory.get("/stock/a", Stock)))).toBe(true)
      const [first, second] = yield* upstream.requests
      // The date has whole seconds, so up to 1 s of the 4 s may be lost to truncation.
      expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(3000)
    }))

  it.scoped("429 without retries fails RateLimited with the parsed retryAfter", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.rateLimited(7))
      const inventory = yield* client(upstream, { retry: false })
      const error = failure(yield* drive(inventory.get("/stock/a", Stock)))
      expect(error._tag).toBe("RateLimited")
      expect(error._tag === "RateLimited" && error.retryAfter).toEqual(Duration.seconds(7))
    }))

  it.scoped("a hanging upstream fails with NetworkTimeout after the timeout", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.hang)
      const inventory = yield* client(upstream, { timeout: "1 second", retry: false })
      const error = failure(yield* drive(inventory.get("/stock/a", Stock)))
      expect(error._tag).toBe("NetworkTimeout")
      expect(error.code).toBe("NETWORK_TIMEOUT")
    }))

  it.scoped("a slow upstream times out per attempt and every attempt is retried", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.delay("3 seconds", HttpUpstream.ok({ sku: "a", stock: 1 })))
      const inventory = yield* client(upstream, { timeout: "1 second" })
      expect(failure(yield* drive(inventory.get("/stock/a", Stock)))._tag).toBe("NetworkTimeout")
      expect((yield* upstream.requests).length).toBe(3)
    }))

  it.scoped("a reset connection is ConnectFailed", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.reset)
      const inventory = yield* client(upstream, { retry: false })
      const error = failure(yield* drive(inventory.get("/stock/a", Stock)))
      expect(error._tag).toBe("ConnectFailed")
      expect(error.category).toBe("Transient")
    }))

  it.scoped("a refused connection is ConnectFailed with ECONNREFUSED", () =>
    Effect.gen(function*() {
      // A port that was just free: listen, read the port, close.
      const port = yield* Effect.promise(freePort)
      const inventory = yield* ResilientHttp.make({
        service: "inventory",
        baseUrl: `http://127.0.0.1:${port}`,
        timeout: "5 seconds",
        retry: false
      }).pipe(Effect.provide(TrackedHttpClient))
      const error = failure(yield* drive(inventory.get("/stock/a", Stock)))
      expect(error).toMatchObject({ _tag: "ConnectFailed", reason: "ECONNREFUSED" })
    }))

  it.scoped("the breaker opens after consecutive failures and then fails fast without calling", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.status(503))
      const breaker = yield* CircuitBreaker.make({
        name: "inventory",
        trip: CircuitBreaker.consecutiveFailures(3),
        breakDuration: "30 seconds"
      })
      const inventory = yield* client(upstream, { retry: false, breaker })
      for (let i = 0; i < 3; i++) {
        expect(failure(yield* drive(inventory.get("/stock/a", Stock)))._tag).toBe("ServiceUnavailable")
      }
      expect(failure(yield* drive(inventory.get("/stock/a", Stock)))._tag).toBe("CircuitOpen")
      expect((yield* upstream.requests).length).toBe(3)
    }))

  it.scoped("getCached serves the last good response, marked stale, when the upstream fails", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.ok({ sku: "a", stock: 5 }))
      const cache = yield* ResilientHttp.makeMemoryCache()
      const inventory = yield* client(upstream, { retry: false, cache })
      expect(yield* drive(inventory.getCached("/stock/a", Stock))).toEqual(
        Exit.succeed({ value: { sku: "a", stock: 5 }, source: "live", stale: false })
      )
      yield* upstream.set(HttpUpstream.status(503))
      expect(yield* drive(inventory.getCached("/stock/a", Stock))).toEqual(
        Exit.succeed({ value: { sku: "a", stock: 5 }, source: "cache", stale: true })
      )
      // Nothing cached for another URL: the transient error comes through.
      expect(failure(yield* drive(inventory.getCached("/stock/b", Stock)))._tag).toBe("ServiceUnavailable")
      // A permanent error is never hidden behind the cache.
      yield* upstream.set(HttpUpstream.status(400))
      expect(failure(yield* drive(inventory.getCached("/stock/a", Stock)))._tag).toBe("UpstreamClientError")
    }))

  it.scoped("getCached falls back when the breaker is open", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.ok({ sku: "a", stock: 5 }))
      const breaker = yield* CircuitBreaker.make({ name: "inv", trip: CircuitBreaker.consecutiveFailures(1), breakDuration: "1 minute" })
      const inventory = yield* client(upstream, { retry: false, breaker, cache: yield* ResilientHttp.makeMemoryCache() })
      yield* drive(inventory.getCached("/stock/a", Stock))
      yield* upstream.set(HttpUpstream.status(503))
      yield* drive(inventory.getCached("/stock/b", Stock))
      const before = (yield* upstream.requests).length
      expect(yield* drive(inventory.getCached("/stock/a", Stock))).toEqual(
        Exit.succeed({ value: { sku: "a", stock: 5 }, source: "cache", stale: true })
      )
      expect((yield* upstream.requests).length).toBe(before)
    }))

  it.scoped("POST with an idempotency key is retried with the same Idempotency-Key", () =>
    Effect.gen(function*() {
      const upstream = yield* start((r) => r.seq === 0 ? HttpUpstream.status(503) : HttpUpstream.ok({ sku: "a", stock: 4 }))
      const inventory = yield* client(upstream)
      const key = Retry.IdempotencyKey("reserve-7")
      const exit = yield* drive(inventory.post("/reserve", { sku: "a", qty: 1 }, Stock, { idempotencyKey: key }))
      expect(exit).toEqual(Exit.succeed({ sku: "a", stock: 4 }))
      const requests = yield* upstream.requests
      expect(requests.map((r) => [r.method, r.headers["idempotency-key"], JSON.parse(r.body)])).toEqual([
        ["POST", "reserve-7", { sku: "a", qty: 1 }],
        ["POST", "reserve-7", { sku: "a", qty: 1 }]
      ])
    }))

  it.scoped("POST without a key is sent once", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.status(503))
      const inventory = yield* client(upstream)
      expect(failure(yield* drive(inventory.post("/reserve", { sku: "a" }, Stock)))._tag).toBe("ServiceUnavailable")
      const requests = yield* upstream.requests
      expect(requests.length).toBe(1)
      expect(requests[0]?.headers["idempotency-key"]).toBeUndefined()
    }))

  it.scoped("a body that does not match the Schema is a permanent decode error with the path", () =>
    Effect.gen(function*() {
      const upstream = yield* start(HttpUpstream.ok({ sku: "a", stock: "three" }))
      const inventory = yield* client(upstream)
      const error = failure(yield* drive(inventory.get("/stock/a", Stock)))
      expect(error).toBeInstanceOf(ResilientHttp.UpstreamDecodeError)
      expect(error).toMatchObject({ at: "$.stock" })
      expect([error.code, error.category, Errors.statusOf(error)]).toEqual(["UPSTREAM_DECODE_ERROR", "Permanent", 502])
      expect((yield* upstream.requests).length).toBe(1)
    }))

  it("parses Retry-After as seconds or an HTTP date, and ignores garbage", () => {
    expect(ResilientHttp.parseRetryAfter("120", 0)).toEqual(Duration.seconds(120))
    expect(ResilientHttp.parseRetryAfter("Thu, 01 Jan 1970 00:00:05 GMT", 1000)).toEqual(Duration.millis(4000))
    expect(ResilientHttp.parseRetryAfter("Thu, 01 Jan 1970 00:00:05 GMT", 9000)).toEqual(Duration.zero)
    expect(ResilientHttp.parseRetryAfter("soon", 0)).toBeUndefined()
    expect(ResilientHttp.parseRetryAfter(undefined, 0)).toBeUndefined()
  })
})
