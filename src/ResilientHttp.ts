/**
 * One resilient HTTP client per upstream: the seed's "complete picture" of an external call
 * (timeout, status classification, retry, circuit breaker, bulkhead, request-id propagation,
 * Schema-decoded bodies and a stale-cache fallback) over @effect/platform's `HttpClient`.
 *
 * **Details**
 *
 * - Every attempt has a timeout (`Errors.NetworkTimeout`); the policies are composed by
 *   `Policy` (bulkhead → retry → breaker → per-attempt timeout), never here.
 * - 404 → `Errors.NotFound` (or `None` with `getOption`), 429 → `Errors.RateLimited` whose
 *   `retryAfter` comes from `Retry-After` (seconds or an HTTP date) and is honoured by the retry,
 *   5xx → `Errors.ServiceUnavailable`, other 4xx → {@link UpstreamClientError} (permanent),
 *   refused/reset/DNS → `Errors.ConnectFailed` (transient), a body that does not match the
 *   Schema → {@link UpstreamDecodeError} (permanent, with the path).
 * - The current request id (`ErrorLog.requestContext`) is sent as `X-Request-ID`.
 * - POST and PATCH are retried only with an idempotency key, sent as `Idempotency-Key` on every
 *   attempt; without one they are sent once.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import type { Effect, Layer } from "effect"
import * as internal from "./internal/resilientHttp.js"

/**
 * The upstream answered a 4xx other than 404 and 429: our request is wrong, so retrying cannot
 * help. Permanent, `UPSTREAM_CLIENT_ERROR`, 502; `upstreamStatus` is what the upstream said.
 *
 * @example
 * ```ts
 * import * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * new ResilientHttp.UpstreamClientError({ service: "inventory", method: "GET", path: "/stock/x", upstreamStatus: 400 }).message
 * // "inventory returned 400 for GET /stock/x"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const UpstreamClientError: typeof internal.UpstreamClientError = internal.UpstreamClientError

/**
 * @since 0.1.0
 * @category errors
 */
export type UpstreamClientError = internal.UpstreamClientError

/**
 * The upstream's body did not match the Schema (or was not JSON). Permanent,
 * `UPSTREAM_DECODE_ERROR`, 502; `at` is the path of the first problem (`$.items.0.stock`).
 *
 * @example
 * ```ts
 * import * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const where = (e: ResilientHttp.UpstreamDecodeError) => e.at // "$.stock"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const UpstreamDecodeError: typeof internal.UpstreamDecodeError = internal.UpstreamDecodeError

/**
 * @since 0.1.0
 * @category errors
 */
export type UpstreamDecodeError = internal.UpstreamDecodeError

/**
 * Every way a call can fail: the classified statuses, transport and decode failures, and the
 * policy's own errors (timeout, open circuit, full bulkhead).
 *
 * @example
 * ```ts
 * import * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const code = (e: ResilientHttp.CallError) => e.code
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export type CallError = internal.CallError

/**
 * Where the last good response per URL is kept for {@link ResilientHttp.getCached}. The body is
 * stored as received (JSON) and decoded again when served.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const cache: Effect.Effect<ResilientHttp.ResponseCache> = ResilientHttp.makeMemoryCache({ capacity: 1000 })
 * ```
 *
 * @since 0.1.0
 * @category cache
 */
export interface ResponseCache extends internal.ResponseCache {}

/**
 * A tag for a shared {@link ResponseCache}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const cache = Effect.provide(ResilientHttp.Cache, ResilientHttp.layerMemoryCache())
 * ```
 *
 * @since 0.1.0
 * @category cache
 */
export const Cache: typeof internal.Cache = internal.Cache

/**
 * @since 0.1.0
 * @category cache
 */
export type Cache = internal.Cache

/**
 * An in-memory {@link ResponseCache}, bounded (default 10,000 URLs, oldest write evicted first).
 *
 * @example
 * ```ts
 * import * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const cache = ResilientHttp.makeMemoryCache()
 * ```
 *
 * @since 0.1.0
 * @category cache
 */
export const makeMemoryCache: (options?: { readonly capacity?: number }) => Effect.Effect<ResponseCache> =
  internal.makeMemoryCache

/**
 * {@link makeMemoryCache} as a layer of {@link Cache}.
 *
 * @example
 * ```ts
 * import * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const CacheLive = ResilientHttp.layerMemoryCache({ capacity: 500 })
 * ```
 *
 * @since 0.1.0
 * @category cache
 */
export const layerMemoryCache: (options?: { readonly capacity?: number }) => Layer.Layer<Cache> =
  internal.layerMemoryCache

/**
 * Retry options: `Retry.PolicyOptions` without `operation` and `idempotent`, which the client
 * fills in per method. Default `{ maxAttempts: 3 }` (the seed's `stop_after_attempt(3)`).
 *
 * @example
 * ```ts
 * import * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const retry: ResilientHttp.RetryOptions = { maxAttempts: 3, base: "500 millis", maxDelay: "15 seconds" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type RetryOptions = internal.RetryOptions

/**
 * Options of {@link make}:
 *
 * - `service` (required): names errors, logs and metrics.
 * - `baseUrl` (required): paths are appended to it.
 * - `timeout` (required): per attempt, connect and body included.
 * - `retry`: {@link RetryOptions}, or `false` for none.
 * - `breaker`, `bulkhead`: from `CircuitBreaker.make` / `Bulkhead.make`, one per upstream.
 * - `cache`: a {@link ResponseCache} for {@link ResilientHttp.getCached}.
 * - `headers`: sent with every request.
 *
 * @example
 * ```ts
 * import * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const options: ResilientHttp.Options = { service: "inventory", baseUrl: "http://inventory.internal", timeout: "5 seconds" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends internal.Options {}

/**
 * An HTTP method.
 *
 * @example
 * ```ts
 * import type * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const m: ResilientHttp.Method = "PUT"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Method = internal.Method

/**
 * One request: method (default GET), path, the Schema of the response body, and optionally a
 * JSON body, headers and an idempotency key.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import type * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const put: ResilientHttp.RequestOptions<void, void> = { method: "PUT", path: "/stock/sku-1", body: { stock: 3 }, schema: Schema.Void }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions<A, I> extends internal.RequestOptions<A, I> {}

/**
 * A value and where it came from: `live` from the upstream, or `cache` (then `stale: true`)
 * because the upstream failed transiently.
 *
 * @example
 * ```ts
 * import type * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const label = (r: ResilientHttp.Cached<{ stock: number }>) => r.stale ? `${r.value.stock} (cached)` : `${r.value.stock}`
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Cached<A> extends internal.Cached<A> {}

/**
 * The client for one upstream.
 *
 * - `request(options)`: any method; fails with `NotFound` on 404.
 * - `get(path, schema)`, `post(path, body, schema, { idempotencyKey })`.
 * - `getOption(path, schema)`: a 404 is `None` instead of an error.
 * - `getCached(path, schema)`: on success stores the body; on a transient failure (timeout,
 *   5xx, 429, refused, open circuit, full bulkhead) serves the last good body, `stale: true`;
 *   with no cached body, or on a permanent error, fails as `get` does.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import type * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * declare const inventory: ResilientHttp.ResilientHttp
 * const stock = inventory.get("/stock/sku-1", Schema.Struct({ stock: Schema.Number }))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ResilientHttp extends internal.ResilientHttp {}

/**
 * Builds the client for one upstream over the `HttpClient` in context (`FetchHttpClient.layer`,
 * `NodeHttpClient.layerUndici`, ...). Build it once and share it: the breaker and bulkhead
 * must see every call to the upstream.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Schema } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 * import * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * const program = Effect.gen(function*() {
 *   const inventory = yield* ResilientHttp.make({
 *     service: "inventory",
 *     baseUrl: "http://inventory.internal",
 *     timeout: "5 seconds",
 *     retry: { maxAttempts: 3, base: "500 millis", maxDelay: "15 seconds" },
 *     breaker: yield* CircuitBreaker.make({ name: "inventory", trip: CircuitBreaker.consecutiveFailures(5), breakDuration: "30 seconds" }),
 *     cache: yield* ResilientHttp.makeMemoryCache()
 *   })
 *   return yield* inventory.getCached("/stock/sku-1", Schema.Struct({ stock: Schema.Number }))
 * }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: Options) => Effect.Effect<ResilientHttp, never, HttpClient.HttpClient> = internal.make

/**
 * Parses a `Retry-After` header (delay-seconds or an HTTP date, relative to `now` in epoch
 * millis); `undefined` when absent or unparseable.
 *
 * @example
 * ```ts
 * import * as ResilientHttp from "effect-resilience/ResilientHttp"
 *
 * ResilientHttp.parseRetryAfter("120", 0) // 2 minutes
 * ResilientHttp.parseRetryAfter("Thu, 01 Jan 1970 00:00:05 GMT", 1000) // 4 seconds
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRetryAfter: typeof internal.parseRetryAfter = internal.parseRetryAfter
