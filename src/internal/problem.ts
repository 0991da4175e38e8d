import { Duration, Option, Predicate, Schema } from "effect"
import * as Errors from "./errors.js"

/** @internal */
export const ProblemDocument = Schema.Struct({
  type: Schema.String,
  title: Schema.String,
  status: Schema.Int.pipe(Schema.between(400, 599)),
  detail: Schema.String,
  instance: Schema.optionalWith(Schema.String, { exact: true }),
  code: Schema.String,
  request_id: Schema.String
}).annotations({ identifier: "ProblemDocument" })

/** @internal */
export type ProblemDocument = typeof ProblemDocument.Type

/** @internal */
export interface SafeTranslation {
  readonly code: string
  readonly status: number
  readonly userMessage: string
  readonly retryAfter?: Duration.Duration | undefined
}

/** @internal */
export interface Options {
  /** The request id, echoed in the body and the `X-Request-ID` header. */
  readonly requestId: string
  /** The problem occurrence, usually the request path. */
  readonly instance?: string | undefined
  /** Status and severity tables; `Errors.defaultClassification` when absent. */
  readonly classification?: Errors.Classification | undefined
  /** Recognises errors outside the taxonomy (the boundary translation registry). */
  readonly translate?: ((error: unknown) => Option.Option<SafeTranslation>) | undefined
  /** The `type` URI for a code; `urn:problem-type:<code>` by default, `about:blank` for INTERNAL_ERROR. */
  readonly typeUri?: ((code: string) => string) | undefined
  /** `Retry-After` for transient 503/429 errors that carry no `retryAfter` of their own. */
  readonly transientRetryAfter?: Duration.DurationInput | undefined
}

/** @internal */
export interface Problem {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: ProblemDocument
}

/** @internal */
export const titles: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  423: "Locked",
  428: "Precondition Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  507: "Insufficient Storage"
}

/** @internal */
export const genericDetails: Readonly<Record<number, string>> = {
  500: "An internal error occurred",
  502: "An upstream service answered with something we could not use. Please try again later.",
  503: "Service temporarily unavailable. Please try again later.",
  504: "The request took too long. Please try again later."
}

const userMessageOf = (error: unknown): string | undefined =>
  Predicate.hasProperty(error, "userMessage") && typeof error.userMessage === "string" ? error.userMessage : undefined

/**
 * What an end user may read about an error of the taxonomy with this status: its `userMessage`
 * when it wrote one, its message below 500, otherwise a generic sentence for the status.
 *
 * @internal
 */
export const safeDetail = (status: number, error: { readonly message: string }): string =>
  userMessageOf(error) ?? (status < 500 ? error.message : (genericDetails[status] ?? genericDetails[500]!))

const titleOf = (status: number) =>
  titles[status] ?? (status >= 500 ? "Server Error" : "Client Error")

const clampStatus = (status: number) =>
  Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500

/** @internal */
export const defaultTypeUri = (code: string): string =>
  code === "INTERNAL_ERROR" ? "about:blank" : `urn:problem-type:${code.toLowerCase().replace(/_/g, "-")}`

const codePattern = /^[A-Z][A-Z0-9_]{0,63}$/

/** @internal */
export interface SafeOptions {
  readonly requestId: string
  readonly instance?: string | undefined
  readonly typeUri?: ((code: string) => string) | undefined
}

/**
 * A problem from values that are already safe to show (a boundary translation): only the code
 * and status are checked, the message is used as it is.
 *
 * @internal
 */
export const fromSafe = (safe: SafeTranslation, options: SafeOptions): Problem => {
  const status = clampStatus(safe.status)
  const code = codePattern.test(safe.code) ? safe.code : "INTERNAL_ERROR"
  const headers: Record<string, string> = {
    "content-type": "application/problem+json",
    "x-request-id": options.requestId
  }
  if (safe.retryAfter !== undefined) {
    headers["retry-after"] = String(Math.max(1, Math.ceil(Duration.toSeconds(safe.retryAfter))))
  }
  return {
    status,
    headers,
    body: {
      type: (options.typeUri ?? defaultTypeUri)(code),
      title: titleOf(status),
      status,
      detail: safe.userMessage,
      ...(options.instance === undefined ? {} : { instance: options.instance }),
      code,
      request_id: options.requestId
    }
  }
}

/** @internal */
export const fromError = (error: unknown, options: Options): Problem => {
  const classification = options.classification ?? Errors.defaultClassification
  const categorized = Errors.isCategorized(error)
  const translated = categorized ? Option.none() : (options.translate?.(error) ?? Option.none())
  const status = clampStatus(
    categorized
      ? Errors.statusOf(error, classification)
      : Option.isSome(translated)
      ? translated.value.status
      : classification.unknownStatus
  )
  const rawCode = categorized ? error.code : Option.isSome(translated) ? translated.value.code : "INTERNAL_ERROR"
  // A code is echoed to clients, so it must look like one; anything else is collapsed.
  const code = codePattern.test(rawCode) ? rawCode : "INTERNAL_ERROR"
  const detail = Option.isSome(translated)
    ? translated.value.userMessage
    : categorized
    ? safeDetail(status, error)
    : (genericDetails[status] ?? genericDetails[500]!)
  const retryAfter = Option.isSome(translated) && translated.value.retryAfter !== undefined
    ? Option.some(translated.value.retryAfter)
    : Errors.retryAfterOf(error).pipe(
      Option.orElse(() =>
        (status === 503 || status === 429) && (Errors.isCategory("Transient")(error) || Option.isSome(translated))
          ? Option.some(Duration.decode(options.transientRetryAfter ?? Duration.seconds(1)))
          : Option.none()
      )
    )
  return fromSafe({ code, status, userMessage: detail, retryAfter: Option.getOrUndefined(retryAfter) }, options)
}
