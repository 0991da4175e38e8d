import { HttpApiSchema, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { Cause, Duration, Effect, Schema } from "effect"
import * as errorLog from "./errorLog.js"
import * as errors from "./errors.js"
import * as problem from "./problem.js"
import * as translate from "./translate.js"

/** @internal */
export const requestIdHeader = "x-request-id"

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

/** @internal */
export const isValidRequestId = (value: unknown): value is string =>
  typeof value === "string" && requestIdPattern.test(value)

/** @internal */
export const makeRequestId: Effect.Effect<string> = Effect.sync(() => crypto.randomUUID())

/** @internal */
export interface Options {
  readonly typeUri?: ((code: string) => string) | undefined
  readonly transientRetryAfter?: Duration.DurationInput | undefined
  readonly makeRequestId?: Effect.Effect<string> | undefined
}

/**
 * Errors of the HTTP layer itself that reach the boundary as unknown values: an unmatched
 * route is a 404, an unreadable body a 400, a body that fails its Schema a 422.
 *
 * @internal
 */
export const httpRules: ReadonlyArray<translate.Rule> = [
  translate.byTag("RouteNotFound", {
    code: "NOT_FOUND",
    status: 404,
    category: "Permanent",
    developer: "No route for {error_message}",
    user: "The requested resource does not exist."
  }),
  translate.when("request-decode", (input) => {
    const e = input.error as { _tag?: unknown; reason?: unknown }
    return e?._tag === "RequestError" && e.reason === "Decode" ? {} : undefined
  }, {
    code: "BAD_REQUEST",
    status: 400,
    category: "Permanent",
    developer: "Request body could not be read: {error_message}",
    user: "The request body could not be read."
  }),
  translate.byTag("ParseError", {
    code: "VALIDATION_ERROR",
    status: 422,
    category: "Permanent",
    developer: "Request did not match its schema: {error_message}",
    user: "The request does not match the expected format."
  })
]

const pathOf = (url: string) => {
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

/** @internal */
export const fromBoundaryError = (
  result: translate.BoundaryError,
  options: {
    readonly requestId: string
    readonly instance?: string | undefined
    readonly typeUri?: ((code: string) => string) | undefined
    readonly transientRetryAfter?: Duration.DurationInput | undefined
  }
): problem.Problem => {
  const category = result._tag === "Translated" ? result.category : undefined
  const retryAfter = result._tag === "Translated" && result.retryAfter !== undefined
    ? result.retryAfter
    : (result.status === 503 || result.status === 429) && category !== "Permanent" && category !== "Fatal"
    ? Duration.decode(options.transientRetryAfter ?? Duration.seconds(1))
    : undefined
  return problem.fromSafe({
    code: result.code,
    status: result.status,
    userMessage: result.message,
    retryAfter
  }, options)
}

/** @internal */
export const toResponse = (p: problem.Problem): HttpServerResponse.HttpServerResponse => {
  const { "content-type": contentType, ...headers } = p.headers
  return HttpServerResponse.setHeaders(
    HttpServerResponse.unsafeJson(p.body, { status: p.status, ...(contentType === undefined ? {} : { contentType }) }),
    headers
  )
}

/** @internal */
export const middleware = (
  options: Options = {}
): <E, R>(app: HttpApp.Default<E, R>) => HttpApp.Default<never, R | HttpServerRequest.HttpServerRequest> =>
<E, R>(app: HttpApp.Default<E, R>) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const incoming = request.headers[requestIdHeader]
      return Effect.flatMap(
        isValidRequestId(incoming) ? Effect.succeed(incoming) : (options.makeRequestId ?? makeRequestId),
        (requestId) =>
          app.pipe(
            Effect.catchAllCause((cause) =>
              Cause.isInterruptedOnly(cause)
                ? Effect.failCause(cause)
                : Effect.map(
                  translate.handle(cause).pipe(translate.withRules(httpRules)),
                  (result) =>
                    toResponse(fromBoundaryError(result, {
                      requestId,
                      instance: pathOf(request.url),
                      typeUri: options.typeUri,
                      transientRetryAfter: options.transientRetryAfter
                    }))
                )
            ),
            Effect.map((response) => HttpServerResponse.setHeader(response, requestIdHeader, requestId)),
            errorLog.withRequestContext({ requestId, operation: `${request.method} ${pathOf(request.url)}` })
          )
      )
    }) as Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | HttpServerRequest.HttpServerRequest>

/** @internal */
export const apiError = <S extends Schema.Schema.Any>(schema: S): Schema.SchemaClass<
  Schema.Schema.Type<S>,
  Schema.Schema.Encoded<S>,
  Schema.Schema.Context<S>
> => {
  const prototype = (schema as unknown as { prototype?: unknown }).prototype
  const status = errors.isCategorized(prototype) ? errors.statusOf(prototype) : 500
  return Schema.asSchema(schema).annotations(HttpApiSchema.annotations({ status })) as any
}
