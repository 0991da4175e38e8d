import { HttpClient, HttpClientRequest } from "@effect/platform"
import type { HttpClientError, HttpClientResponse } from "@effect/platform"
import { Clock, Context, Duration, Effect, Layer, Option, ParseResult, Ref, Schema } from "effect"
import type { Bulkhead, BulkheadFull } from "./bulkhead.js"
import type { CircuitBreaker, CircuitOpen } from "./circuitBreaker.js"
import * as Errors from "../Errors.js"
import { requestContext } from "./errorLog.js"
import { isCategory } from "./errors.js"
import * as policy from "./policy.js"
import * as retry from "./retry.js"

// --- errors -------------------------------------------------------------------------

/** @internal */
export class UpstreamClientError extends Errors.Permanent<UpstreamClientError>()("UpstreamClientError", {
  service: Schema.String,
  method: Schema.String,
  path: Schema.String,
  upstreamStatus: Schema.Number
}, {
  code: "UPSTREAM_CLIENT_ERROR",
  status: 502,
  message: (e) => `${e.service} returned ${e.upstreamStatus} for ${e.method} ${e.path}`
}) {}

/** @internal */
export class UpstreamDecodeError extends Errors.Permanent<UpstreamDecodeError>()("UpstreamDecodeError", {
  service: Schema.String,
  method: Schema.String,
  path: Schema.String,
  at: Schema.String,
  reason: Schema.String
}, {
  code: "UPSTREAM_DECODE_ERROR",
  status: 502,
  message: (e) => `${e.service} sent an unexpected body for ${e.method} ${e.path} at ${e.at}: ${e.reason}`
}) {}

/** @internal */
export type CallError =
  | Errors.NotFound
  | Errors.RateLimited
  | Errors.ServiceUnavailable
  | Errors.ConnectFailed
  | Errors.NetworkTimeout
  | UpstreamClientError
  | UpstreamDecodeError
  | CircuitOpen
  | BulkheadFull

// --- cache --------------------------------------------------------------------------

/** @internal */
export interface ResponseCache {
  readonly get: (key: string) => Effect.Effect<Option.Option<unknown>>
  readonly set: (key: string, body: unknown) => Effect.Effect<void>
}

/** @internal */
export class Cache extends Context.Tag("effect-resilience/ResilientHttp/Cache")<Cache, ResponseCache>() {}

/** @internal */
export const makeMemoryCache = (options: { readonly capacity?: number } = {}): Effect.Effect<ResponseCache> =>
  Effect.map(Ref.make(new Map<string, unknown>()), (ref) => {
    const capacity = options.capacity ?? 10_000
    return {
      get: (key) => Effect.map(Ref.get(ref), (m) => m.has(key) ? Option.some(m.get(key)) : Option.none()),
      set: (key, body) =>
        Ref.update(ref, (m) => {
          const next = new Map(m)
          next.delete(key)
          next.set(key, body)
          // Oldest write goes first: a bounded cache cannot grow into a memory leak.
          if (next.size > capacity) next.delete(next.keys().next().value!)
          return next
        })
    }
  })

/** @internal */
export const layerMemoryCache = (options?: { readonly capacity?: number }): Layer.Layer<Cache> =>
  Layer.effect(Cache, makeMemoryCache(options))

// --- options and results -------------------------------------------------------------

/** @internal */
export type RetryOptions = Omit<retry.PolicyOptions<boolean>, "operation" | "idempotent">

/** @internal */
export interface Options {
  readonly service: string
  readonly baseUrl: string
  readonly timeout: Duration.DurationInput
  readonly retry?: RetryOptions | false | undefined
  readonly breaker?: CircuitBreaker | undefined
  readonly bulkhead?: Bulkhead | undefined
  readonly cache?: ResponseCache | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** @internal */
export type Method = "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE" | "POST" | "PATCH"

/** @internal */
export interface RequestOptions<A, I> {
  readonly method?: Method | undefined
  readonly path: string
  readonly schema: Schema.Schema<A, I, never>
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly idempotencyKey?: retry.IdempotencyKey | undefined
}

/** @internal */
export interface Cached<A> {
  readonly value: A
  readonly source: "live" | "cache"
  readonly stale: boolean
}

/** @internal */
export interface ResilientHttp {
  readonly service: string
  readonly baseUrl: string
  readonly request: <A, I>(options: RequestOptions<A, I>) => Effect.Effect<A, CallError>
  readonly get: <A, I>(path: string, schema: Schema.Schema<A, I, never>) => Effect.Effect<A, CallError>
  readonly getOption: <A, I>(
    path: string,
    schema: Schema.Schema<A, I, never>
  ) => Effect.Effect<Option.Option<A>, Exclude<CallError, Errors.NotFound>>
  readonly getCached: <A, I>(path: string, schema: Schema.Schema<A, I, never>) => Effect.Effect<Cached<A>, CallError>
  readonly post: <A, I>(
    path: string,
    body: unknown,
    schema: Schema.Schema<A, I, never>,
    options?: { readonly idempotencyKey?: retry.IdempotencyKey | undefined }
  ) => Effect.Effect<A, CallError>
}

// --- classification --------------------------------------------------------------------

/** @internal */
export const parseRetryAfter = (header: string | undefined, now: number): Duration.Duration | undefined => {
  if (header === undefined) return undefined
  const trimmed = header.trim()
  if (/^\d+$/.test(trimmed)) return Duration.seconds(Number(trimmed))
  const at = Date.parse(trimmed)
  // An unparseable header is ignored rather than trusted: the retry's own backoff applies.
  if (Number.isNaN(at)) return undefined
  return Duration.millis(Math.max(0, at - now))
}

const transportReason = (error: unknown): string => {
  // fetch wraps the socket error: TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }).
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === "string") return code
    current = (current as { cause?: unknown }).cause
  }
  return error instanceof Error ? error.message : "transport error"
}

const isIdempotent = (method: Method): boolean => method !== "POST" && method !== "PATCH"

const firstIssue = (error: ParseResult.ParseError): { readonly at: string; readonly reason: string } => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (issue === undefined) return { at: "$", reason: error.message }
  return { at: ["$", ...issue.path.map(String)].join("."), reason: issue.message }
}

// --- the client -----------------------------------------------------------------------------

/** @internal */
export const make = (options: Options): Effect.Effect<ResilientHttp, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (http): ResilientHttp => {
    const { service } = options
    const baseUrl = options.baseUrl.replace(/\/+$/, "")
    const shared = {
      service,
      timeout: options.timeout,
      breaker: options.breaker,
      bulkhead: options.bulkhead
    }
    const retryOptions = options.retry === undefined ? { maxAttempts: 3 } : options.retry
    const idempotent = policy.make(
      retryOptions === false ? shared : {
        ...shared,
        retry: retry.policy({ ...retryOptions, operation: `${service}.request`, idempotent: true })
      }
    )
    const withKey = retryOptions === false ? undefined : policy.make({
      ...shared,
      retry: retry.policy({ ...retryOptions, operation: `${service}.request`, idempotent: false })
    })
    const once = policy.make(shared)

    const connectFailed = (error: HttpClientError.HttpClientError | Error) =>
      new Errors.ConnectFailed({ service, reason: transportReason(error.cause ?? error) })

    const classify = (
      method: Method,
      path: string,
      response: HttpClientResponse.HttpClientResponse
    ): Effect.Effect<Option.Option<unknown>, CallError> => {
      const status = response.status
      if (status >= 200 && status < 300) {
        return Effect.flatMap(
          Effect.mapError(response.text, connectFailed),
          (text) => {
            if (text.length === 0) return Effect.succeed(Option.some<unknown>(undefined))
            return Effect.try({
              try: () => Option.some<unknown>(JSON.parse(text)),
              catch: () => new UpstreamDecodeError({ service, method, path, at: "$", reason: "body is not JSON" })
            })
          }
        )
      }
      if (status === 404) return Effect.succeed(Option.none())
      if (status === 429) {
        return Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const retryAfter = parseRetryAfter(response.headers["retry-after"], now)
          return Effect.fail(
            retryAfter === undefined
              ? new Errors.RateLimited({ service })
              : new Errors.RateLimited({ service, retryAfter })
          )
        })
      }
      if (status >= 500) {
        return Effect.fail(new Errors.ServiceUnavailable({ service, reason: `HTTP ${status}` }))
      }
      return Effect.fail(new UpstreamClientError({ service, method, path, upstreamStatus: status }))
    }

    const send = <A, I>(
      o: RequestOptions<A, I>,
      key: retry.IdempotencyKey | undefined
    ): Effect.Effect<Option.Option<unknown>, CallError> => {
      const method = o.method ?? "GET"
      return Effect.flatMap(requestContext, (context) => {
        let request = HttpClientRequest.make(method)(`${baseUrl}${o.path}`, { acceptJson: true })
        if (options.headers !== undefined) request = HttpClientRequest.setHeaders(request, options.headers)
        if (o.headers !== undefined) request = HttpClientRequest.setHeaders(request, o.headers)
        if (context.requestId !== undefined) request = HttpClientRequest.setHeader(request, "x-request-id", context.requestId)
        if (key !== undefined) request = HttpClientRequest.setHeader(request, "idempotency-key", key)
        if (o.body !== undefined) request = HttpClientRequest.bodyUnsafeJson(request, o.body)
        return Effect.flatMap(
          Effect.mapError(http.execute(request), connectFailed),
          (response) => classify(method, o.path, response)
        ).pipe(Effect.scoped)
      })
    }

    const decode = <A, I>(o: RequestOptions<A, I>, body: unknown): Effect.Effect<A, UpstreamDecodeError> =>
      Effect.mapError(Schema.decodeUnknown(o.schema)(body), (error) => {
        const { at, reason } = firstIssue(error)
        return new UpstreamDecodeError({ service, method: o.method ?? "GET", path: o.path, at, reason })
      })

    const raw = <A, I>(o: RequestOptions<A, I>): Effect.Effect<Option.Option<unknown>, CallError> => {
      const method = o.method ?? "GET"
      if (isIdempotent(method)) return policy.apply(send(o, o.idempotencyKey), idempotent)
      // A POST without a key is sent once: a retry could charge the card twice.
      if (o.idempotencyKey === undefined) return policy.apply(send(o, undefined), once)
      if (withKey === undefined) return policy.apply(send(o, o.idempotencyKey), once)
      return policy.applyWithKey(withKey, o.idempotencyKey, (k) => send(o, k))
    }

    const requestOption = <A, I>(o: RequestOptions<A, I>): Effect.Effect<Option.Option<A>, CallError> =>
      Effect.flatMap(raw(o), (body) => Option.isNone(body) ? Effect.succeedNone : Effect.asSome(decode(o, body.value)))

    const notFound = (path: string) => new Errors.NotFound({ resource: service, id: path })

    const request = <A, I>(o: RequestOptions<A, I>): Effect.Effect<A, CallError> =>
      Effect.flatMap(
        requestOption(o),
        (value) => Option.isSome(value) ? Effect.succeed(value.value) : Effect.fail(notFound(o.path))
      )

    type TransientCallError = Extract<CallError, { readonly category: "Transient" }>
    const isTransient = isCategory("Transient") as (e: CallError) => e is TransientCallError

    const getCached = <A, I>(path: string, schema: Schema.Schema<A, I, never>): Effect.Effect<Cached<A>, CallError> => {
      const cache = options.cache
      const o: RequestOptions<A, I> = { path, schema }
      if (cache === undefined) return Effect.map(request(o), (value) => ({ value, source: "live", stale: false }))
      const key = `GET ${baseUrl}${path}`
      const live = Effect.flatMap(raw(o), (body): Effect.Effect<Cached<A>, CallError> => {
        if (Option.isNone(body)) return Effect.fail(notFound(path))
        return Effect.flatMap(decode(o, body.value), (value) =>
          Effect.as(cache.set(key, body.value), { value, source: "live" as const, stale: false }))
      })
      return Effect.catchIf(live, isTransient, (error): Effect.Effect<Cached<A>, CallError> =>
        Effect.flatMap(cache.get(key), (hit): Effect.Effect<Cached<A>, CallError> => {
          if (Option.isNone(hit)) return Effect.fail(error)
          return Effect.zipRight(
            Effect.logWarning("upstream failed: serving the cached response").pipe(
              Effect.annotateLogs({ service, path, error_code: error.code })
            ),
            Effect.map(decode(o, hit.value), (value) => ({ value, source: "cache" as const, stale: true }))
          )
        }))
    }

    return {
      service,
      baseUrl,
      request,
      get: (path, schema) => request({ path, schema }),
      getOption: <A, I>(path: string, schema: Schema.Schema<A, I, never>) =>
        // A 404 becomes None before NotFound is ever built: the cast only narrows the type.
        requestOption({ path, schema }) as Effect.Effect<Option.Option<A>, Exclude<CallError, Errors.NotFound>>,
      getCached,
      post: (path, body, schema, o) => request({ method: "POST", path, body, schema, idempotencyKey: o?.idempotencyKey })
    }
  })
