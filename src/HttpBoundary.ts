/**
 * The outermost boundary of an `@effect/platform` HTTP server: request ids, RFC 9457 problem
 * responses for every failure, one structured log line per failure, and error Schemas with
 * HTTP statuses for `HttpApi`.
 *
 * **Details**
 *
 * {@link middleware} wraps an `HttpApp` / `HttpRouter` (apply it to the app, e.g.
 * `router.pipe(HttpBoundary.middleware())`; the `middleware` argument of `HttpServer.serve`
 * runs after the platform has already answered a failure with an empty 500):
 *
 * 1. takes a valid incoming `X-Request-ID` (1-128 of `A-Z a-z 0-9 . _ : -`) or generates a UUID,
 *    puts it in the request context of `ErrorLog` (every log line of the request carries
 *    `request_id`) and in the `X-Request-ID` header of every response;
 * 2. turns any failure or defect into `application/problem+json` through `Translate.handle`:
 *    the status from the taxonomy (404, 409, 422, 429, 503, 504 ...), the safe user message
 *    of the translation registry, `Retry-After` for rate limits, open circuits and transient
 *    503s; the failure is logged once, here, with its severity, and counted;
 * 3. never leaks internals: a 5xx body holds a generic message, the code and the request id,
 *    never a stack trace, SQL, constraint internals, a file path or a defect's message.
 *
 * Interruptions (the client went away) are not turned into responses.
 *
 * @since 0.1.0
 */
import type { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { Duration, Effect, Schema } from "effect"
import * as internal from "./internal/httpBoundary.js"
import type * as Problem from "./Problem.js"
import type * as Translate from "./Translate.js"

/**
 * The header that carries the request id in both directions.
 *
 * @example
 * ```ts
 * import * as HttpBoundary from "effect-resilience/HttpBoundary"
 *
 * HttpBoundary.requestIdHeader // "x-request-id"
 * ```
 *
 * @since 0.1.0
 * @category request id
 */
export const requestIdHeader: string = internal.requestIdHeader

/**
 * Whether a client-supplied request id may be used as it is: 1 to 128 characters of
 * `A-Z a-z 0-9 . _ : -`. Anything else is replaced by a generated id, so a header can never
 * inject text into logs or responses.
 *
 * @example
 * ```ts
 * import * as HttpBoundary from "effect-resilience/HttpBoundary"
 *
 * HttpBoundary.isValidRequestId("req-123") // true
 * HttpBoundary.isValidRequestId("a\nforged: log line") // false
 * ```
 *
 * @since 0.1.0
 * @category request id
 */
export const isValidRequestId: (value: unknown) => value is string = internal.isValidRequestId

/**
 * Options of {@link middleware}.
 *
 * @example
 * ```ts
 * import type * as HttpBoundary from "effect-resilience/HttpBoundary"
 *
 * const options: HttpBoundary.Options = {
 *   typeUri: (code) => `https://docs.example.com/problems/${code.toLowerCase()}`,
 *   transientRetryAfter: "2 seconds"
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The problem `type` URI for a code (default `urn:problem-type:<code>`). */
  readonly typeUri?: ((code: string) => string) | undefined
  /** `Retry-After` for transient 503/429 answers that carry none of their own (default 1 s). */
  readonly transientRetryAfter?: Duration.DurationInput | undefined
  /** How to make a request id when the client sent none (default: a random UUID). */
  readonly makeRequestId?: Effect.Effect<string> | undefined
}

/**
 * The boundary middleware: wrap any `HttpApp` or `HttpRouter` with it. The wrapped app cannot
 * fail any more: every failure has become a problem response.
 *
 * @example
 * ```ts
 * import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 * import { Errors } from "effect-resilience"
 * import * as HttpBoundary from "effect-resilience/HttpBoundary"
 *
 * const router = HttpRouter.empty.pipe(
 *   HttpRouter.get("/users/:id", Effect.fail(new Errors.NotFound({ resource: "user", id: "42" }))),
 *   HttpRouter.get("/health", HttpServerResponse.text("ok"))
 * )
 *
 * // GET /users/42 -> 404 application/problem+json
 * //   { "type": "urn:problem-type:not-found", "title": "Not Found", "status": 404,
 * //     "detail": "user 42 not found", "instance": "/users/42", "code": "NOT_FOUND", "request_id": "..." }
 * const app = HttpServer.serve(router.pipe(HttpBoundary.middleware()))
 * ```
 *
 * @since 0.1.0
 * @category middleware
 */
export const middleware: (
  options?: Options
) => <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<never, R | HttpServerRequest.HttpServerRequest> =
  internal.middleware

/**
 * The translation rules the middleware adds for errors of the HTTP layer itself: an unmatched
 * route (`RouteNotFound`) is 404, an unreadable body 400, a `ParseError` 422.
 *
 * @example
 * ```ts
 * import * as HttpBoundary from "effect-resilience/HttpBoundary"
 *
 * HttpBoundary.httpRules.map((rule) => rule.name)
 * ```
 *
 * @since 0.1.0
 * @category translation
 */
export const httpRules: ReadonlyArray<Translate.Rule> = internal.httpRules

/**
 * The problem for a boundary result (`Translate.Translated | Translate.Unknown`).
 *
 * @example
 * ```ts
 * import { Cause, Effect } from "effect"
 * import { Errors, Translate } from "effect-resilience"
 * import * as HttpBoundary from "effect-resilience/HttpBoundary"
 *
 * const problem = Translate.handle(Cause.fail(new Errors.NotFound({ resource: "user", id: "1" }))).pipe(
 *   Effect.map((result) => HttpBoundary.fromBoundaryError(result, { requestId: "req-1", instance: "/users/1" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category problems
 */
export const fromBoundaryError: (
  result: Translate.BoundaryError,
  options: {
    readonly requestId: string
    readonly instance?: string | undefined
    readonly typeUri?: ((code: string) => string) | undefined
    readonly transientRetryAfter?: Duration.DurationInput | undefined
  }
) => Problem.Problem = internal.fromBoundaryError

/**
 * An `HttpServerResponse` for a problem: its status, headers and `application/problem+json` body.
 *
 * @example
 * ```ts
 * import { Errors, Problem } from "effect-resilience"
 * import * as HttpBoundary from "effect-resilience/HttpBoundary"
 *
 * const response = HttpBoundary.toResponse(Problem.fromError(new Errors.NotFound({ resource: "user", id: "1" }), { requestId: "r1" }))
 * ```
 *
 * @since 0.1.0
 * @category problems
 */
export const toResponse: (problem: Problem.Problem) => HttpServerResponse.HttpServerResponse = internal.toResponse

/**
 * An error Schema annotated with the HTTP status of its class, for `HttpApiEndpoint.addError`,
 * so the endpoint answers with that status and the OpenAPI document lists it.
 *
 * @example
 * ```ts
 * import { HttpApiEndpoint, HttpApiGroup } from "@effect/platform"
 * import { Schema } from "effect"
 * import { Errors } from "effect-resilience"
 * import * as HttpBoundary from "effect-resilience/HttpBoundary"
 *
 * const users = HttpApiGroup.make("users").add(
 *   HttpApiEndpoint.get("get", "/users/:id")
 *     .setPath(Schema.Struct({ id: Schema.String }))
 *     .addSuccess(Schema.Struct({ id: Schema.String }))
 *     .addError(HttpBoundary.apiError(Errors.NotFound)) // 404
 *     .addError(HttpBoundary.apiError(Errors.RateLimited)) // 429
 * )
 * ```
 *
 * @since 0.1.0
 * @category HttpApi
 */
export const apiError: <S extends Schema.Schema.Any>(
  schema: S
) => Schema.SchemaClass<Schema.Schema.Type<S>, Schema.Schema.Encoded<S>, Schema.Schema.Context<S>> = internal.apiError
