/**
 * A misbehaving HTTP dependency on loopback, for tests and demos: a real Node HTTP server on
 * `127.0.0.1` and an ephemeral port, whose answers follow a script you can change while it runs
 * (healthy, 503s, 429 with Retry-After, slow, hanging, connection resets, or a weighted mix).
 *
 * **Details**
 *
 * Delays use Effect's `Clock` and mixes use `Random` from the scope the server is started in,
 * so under `TestClock` a slow upstream is slow only when the test adjusts the clock, and a
 * seeded `Random` makes a mix reproducible. Every request is recorded (method, url, headers,
 * body) so tests can assert what reached the upstream (an `X-Request-ID`, an
 * `Idempotency-Key`, the number of retries).
 *
 * @since 0.1.0
 */
import type { ServeError } from "@effect/platform/HttpServerError"
import type { Duration, Effect, Scope } from "effect"
import * as internal from "../internal/httpUpstream.js"

/**
 * What the upstream does with a request.
 *
 * @example
 * ```ts
 * import * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * const flaky: HttpUpstream.Behavior = HttpUpstream.mix([7, HttpUpstream.ok({ stock: 3 })], [3, HttpUpstream.status(503)])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Behavior = internal.Behavior

/**
 * A behavior, or a function from the recorded request to a behavior (route by path, fail the
 * first N calls, ...).
 *
 * @example
 * ```ts
 * import * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * const script: HttpUpstream.Script = (request) =>
 *   request.url.startsWith("/stock/missing") ? HttpUpstream.status(404) : HttpUpstream.ok({ stock: 3 })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Script = internal.Script

/**
 * A request as the upstream received it.
 *
 * @example
 * ```ts
 * import type * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * const requestId = (r: HttpUpstream.RecordedRequest) => r.headers["x-request-id"]
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest extends internal.RecordedRequest {}

/**
 * What the upstream did with request `seq`: answered with a status, hung, or reset the connection.
 *
 * @example
 * ```ts
 * import type * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * const failed = (o: HttpUpstream.Outcome) => o.kind !== "status" || (o.status ?? 0) >= 500
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Outcome extends internal.Outcome {}

/**
 * A running upstream: its `url`, a way to change its script, and what it has seen.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * const goDown = (upstream: HttpUpstream.HttpUpstream) => upstream.set(HttpUpstream.status(503))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface HttpUpstream extends internal.HttpUpstream {}

/**
 * Starts an upstream in the current scope; it stops when the scope closes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const upstream = yield* HttpUpstream.make(HttpUpstream.ok({ stock: 3 }))
 *   const response = yield* Effect.promise(() => fetch(`${upstream.url}/stock/sku-1`, { signal: AbortSignal.timeout(1000) }))
 *   return response.status // 200
 * }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  initial: Script,
  options?: { readonly port?: number }
) => Effect.Effect<HttpUpstream, ServeError, Scope.Scope> = internal.make

/**
 * Answer with a status, an optional JSON body and headers.
 *
 * @example
 * ```ts
 * import * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * HttpUpstream.status(503)
 * HttpUpstream.status(400, { error: "bad sku" })
 * ```
 *
 * @since 0.1.0
 * @category behaviors
 */
export const status: (status: number, body?: unknown, headers?: Readonly<Record<string, string>>) => Behavior =
  internal.respond

/**
 * Answer 200 with a JSON body.
 *
 * @example
 * ```ts
 * import * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * HttpUpstream.ok({ sku: "sku-1", stock: 3 })
 * ```
 *
 * @since 0.1.0
 * @category behaviors
 */
export const ok = (body: unknown, headers?: Readonly<Record<string, string>>): Behavior =>
  internal.respond(200, body, headers)

/**
 * Answer 429 with a `Retry-After` header (seconds, or an HTTP date string).
 *
 * @example
 * ```ts
 * import * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * HttpUpstream.rateLimited(2) // 429, Retry-After: 2
 * ```
 *
 * @since 0.1.0
 * @category behaviors
 */
export const rateLimited = (retryAfter: number | string): Behavior =>
  internal.respond(429, { error: "rate limited" }, { "retry-after": String(retryAfter) })

/**
 * Wait (on Effect's `Clock`) and then behave as `then`.
 *
 * @example
 * ```ts
 * import * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * HttpUpstream.delay("3 seconds", HttpUpstream.ok({ stock: 1 }))
 * ```
 *
 * @since 0.1.0
 * @category behaviors
 */
export const delay: (duration: Duration.DurationInput, then: Behavior) => Behavior = internal.delay

/**
 * Never answer (until the client gives up and closes the connection).
 *
 * @example
 * ```ts
 * import * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * const blackHole: HttpUpstream.Behavior = HttpUpstream.hang
 * ```
 *
 * @since 0.1.0
 * @category behaviors
 */
export const hang: Behavior = internal.hang

/**
 * Destroy the connection without answering (the client sees a socket hang-up / reset).
 *
 * @example
 * ```ts
 * import * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * const crash: HttpUpstream.Behavior = HttpUpstream.reset
 * ```
 *
 * @since 0.1.0
 * @category behaviors
 */
export const reset: Behavior = internal.reset

/**
 * Pick one behavior per request by weight, with Effect's `Random`.
 *
 * @example
 * ```ts
 * import * as HttpUpstream from "effect-resilience/Chaos/HttpUpstream"
 *
 * HttpUpstream.mix([70, HttpUpstream.ok({})], [30, HttpUpstream.status(503)]) // 30% 503s
 * ```
 *
 * @since 0.1.0
 * @category behaviors
 */
export const mix: (...choices: ReadonlyArray<readonly [weight: number, behavior: Behavior]>) => Behavior = internal.mix
