import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Random, TestClock } from "effect"
import * as HttpUpstream from "../../src/Chaos/HttpUpstream.js"

/** A real HTTP call over loopback; `fetch` runs outside Effect's clock, bounded by a real abort timeout. */
const get = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) })
      return { status: response.status, headers: response.headers, body: await response.text() }
    } catch (error) {
      return { status: -1, headers: new Headers(), body: String((error as Error).cause ?? error) }
    }
  })

/** Polls a condition in real time (for real I/O under TestClock), failing after 5 s. */
const waitUntil = (condition: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      if (yield* condition) return
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
    }
    return yield* Effect.dieMessage("condition not reached within 5 s")
  })

describe("HttpUpstream", () => {
  it.scoped("serves its script on loopback and records every request", () =>
    Effect.gen(function*() {
      const upstream = yield* HttpUpstream.make(HttpUpstream.ok({ stock: 3 }))
      expect(upstream.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const response = yield* get(`${upstream.url}/stock/sku-1`, { "x-request-id": "req-1" })
      expect(response.status).toBe(200)
      expect(JSON.parse(response.body)).toEqual({ stock: 3 })
      const [request] = yield* upstream.requests
      expect(request?.url).toBe("/stock/sku-1")
      expect(request?.headers["x-request-id"]).toBe("req-1")
    }))

  it.scoped("changes behaviour while running: 503, 429 with Retry-After, routes", () =>
    Effect.gen(function*() {
      const upstream = yield* HttpUpstream.make(HttpUpstream.status(503))
      expect((yield* get(upstream.url)).status).toBe(503)
      yield* upstream.set(HttpUpstream.rateLimited(2))
      const limited = yield* get(upstream.url)
      expect(limited.status).toBe(429)
      expect(limited.headers.get("retry-after")).toBe("2")
      yield* upstream.set((r) => r.url.includes("missing") ? HttpUpstream.status(404) : HttpUpstream.ok({}))
      expect((yield* get(`${upstream.url}/missing`)).status).toBe(404)
      expect((yield* get(`${upstream.url}/there`)).status).toBe(200)
      expect((yield* upstream.outcomes).map((o) => o.status)).toEqual([503, 429, 404, 200])
    }))

  it.scoped("resets the connection without an answer", () =>
    Effect.gen(function*() {
      const upstream = yield* HttpUpstream.make(HttpUpstream.reset)
      const response = yield* get(upstream.url)
      expect(response.status).toBe(-1)
      expect((yield* upstream.outcomes)[0]?.kind).toBe("reset")
    }))

  it.live("resets and hangs leave nothing running once the upstream's scope closes", () =>
    Effect.gen(function*() {
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length
      const before = timers()
      yield* Effect.scoped(Effect.gen(function*() {
        const upstream = yield* HttpUpstream.make(HttpUpstream.reset)
        for (let i = 0; i < 3; i++) expect((yield* get(upstream.url)).status).toBe(-1)
        yield* upstream.set(HttpUpstream.hang)
        // One hang the client gives up on, one still hanging when the scope closes.
        const gaveUp = yield* Effect.promise(() =>
          fetch(upstream.url, { signal: AbortSignal.timeout(100) }).then(() => "answered", () => "aborted")
        )
        expect(gaveUp).toBe("aborted")
        yield* Effect.fork(get(upstream.url))
        yield* waitUntil(Effect.map(upstream.requests, (r) => r.length === 5))
      }))
      // A handler parked forever holds a timer for good; closed sockets may take a moment to
      // report (longer on a loaded machine), so wait up to 2 s for the count to come down.
      for (let i = 0; i < 40 && timers() > before; i++) {
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))
      }
      expect(timers()).toBeLessThanOrEqual(before)
    }))

  it.scoped("delays on the TestClock: no answer until the clock moves", () =>
    Effect.gen(function*() {
      const upstream = yield* HttpUpstream.make(HttpUpstream.delay("3 seconds", HttpUpstream.ok({ late: true })))
      const fiber = yield* Effect.fork(get(upstream.url))
      // Real I/O: wait (bounded) until the request has reached the server before moving the clock.
      yield* waitUntil(Effect.map(upstream.requests, (r) => r.length === 1))
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.seconds(3))
      const response = yield* Fiber.join(fiber)
      expect(response.status).toBe(200)
    }))

  it.scoped("mixes behaviours by weight with a seeded Random", () =>
    Effect.gen(function*() {
      const upstream = yield* HttpUpstream.make(HttpUpstream.mix([7, HttpUpstream.ok({})], [3, HttpUpstream.status(503)]))
      const statuses = yield* Effect.forEach(Array.from({ length: 200 }), () => Effect.map(get(upstream.url), (r) => r.status), {
        concurrency: 10
      })
      const failures = statuses.filter((s) => s === 503).length
      expect(failures).toBeGreaterThan(30)
      expect(failures).toBeLessThan(90)
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true)
    }).pipe(Effect.withRandom(Random.make("mix"))))

  it("rejects a mix with no usable weight", () => {
    expect(() => HttpUpstream.mix()).toThrow(RangeError)
    expect(() => HttpUpstream.mix([0, HttpUpstream.hang])).toThrow(RangeError)
    expect(() => HttpUpstream.mix([-1, HttpUpstream.hang])).toThrow(RangeError)
  })
})
