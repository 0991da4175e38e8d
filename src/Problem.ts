/**
 * RFC 9457 problem details from any error: `application/problem+json` bodies with `type`,
 * `title`, `status`, `detail`, `instance`, plus `code` and `request_id`, and the headers that go
 * with them (`Retry-After`, `X-Request-ID`).
 *
 * **Details**
 *
 * - Errors of the taxonomy keep their code and status (`Errors.statusOf`). Below 500 the detail
 *   is the error's own message (or its `userMessage` when it has one); from 500 up it is a
 *   generic sentence per status unless the error offers a `userMessage` written to be safe.
 * - Anything else (defects, foreign errors) is 500 `INTERNAL_ERROR` with a generic detail,
 *   unless a `translate` hook (the boundary translation registry) recognises it and supplies a
 *   code, status and safe user message.
 * - A 5xx body never carries a stack trace, SQL, a path or a defect's message: nothing from the
 *   error itself reaches it except a code that matches `^[A-Z][A-Z0-9_]*$`.
 * - `Retry-After` (whole seconds, at least 1) comes from the error's `retryAfter`
 *   (`RateLimited`, `CircuitOpen`, pool exhaustion, ...) or, for transient 503/429 errors
 *   without one, from `transientRetryAfter` (1 second by default).
 *
 * @since 0.1.0
 */
import * as internal from "./internal/problem.js"

/**
 * The JSON body, as a Schema (decode a problem a peer sent you, or document it in OpenAPI).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Problem } from "effect-resilience"
 *
 * const body = Schema.decodeUnknownSync(Problem.ProblemDocument)({
 *   type: "urn:problem-type:not-found", title: "Not Found", status: 404,
 *   detail: "user 42 not found", code: "NOT_FOUND", request_id: "req-1"
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const ProblemDocument = internal.ProblemDocument

/**
 * @since 0.1.0
 * @category models
 */
export type ProblemDocument = internal.ProblemDocument

/**
 * What a translation hook returns for an error it recognises: a code, a status and a message
 * that is safe to show an end user.
 *
 * @example
 * ```ts
 * import type { Problem } from "effect-resilience"
 *
 * const lockTimeout: Problem.SafeTranslation = {
 *   code: "DB_LOCK_TIMEOUT",
 *   status: 503,
 *   userMessage: "Another database transaction is in progress. Please try again later."
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SafeTranslation extends internal.SafeTranslation {}

/**
 * Options of {@link fromError}.
 *
 * @example
 * ```ts
 * import { Option } from "effect"
 * import type { Problem } from "effect-resilience"
 *
 * const options: Problem.Options = {
 *   requestId: "req-1",
 *   instance: "/orders/7",
 *   translate: () => Option.none(),
 *   typeUri: (code) => `https://docs.example.com/problems/${code}`,
 *   transientRetryAfter: "2 seconds"
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends internal.Options {}

/**
 * A problem ready to send: status, headers and body.
 *
 * @example
 * ```ts
 * import { Problem, Errors } from "effect-resilience"
 *
 * const p: Problem.Problem = Problem.fromError(new Errors.NotFound({ resource: "user", id: "42" }), { requestId: "r1" })
 * p.status // 404
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Problem extends internal.Problem {}

/**
 * Turns any error into a problem: status, headers and an RFC 9457 body.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Errors, Problem } from "effect-resilience"
 *
 * Problem.fromError(new Errors.RateLimited({ service: "search", retryAfter: Duration.seconds(3) }), { requestId: "r1" })
 * // { status: 429, headers: { "retry-after": "3", "x-request-id": "r1", ... },
 * //   body: { type: "urn:problem-type:rate-limited", title: "Too Many Requests", status: 429, code: "RATE_LIMITED", ... } }
 *
 * Problem.fromError(new Error("relation \"users\" does not exist at /srv/app/db.ts:42"), { requestId: "r2" }).body.detail
 * // "An internal error occurred."
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromError: (error: unknown, options: Options) => Problem = internal.fromError

/**
 * The reason phrases used as `title`, by status.
 *
 * @example
 * ```ts
 * import { Problem } from "effect-resilience"
 *
 * Problem.titles[503] // "Service Unavailable"
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const titles: Readonly<Record<number, string>> = internal.titles

/**
 * The generic, safe details used for 5xx problems nobody wrote a user message for.
 *
 * @example
 * ```ts
 * import { Problem } from "effect-resilience"
 *
 * Problem.genericDetails[500] // "An internal error occurred."
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const genericDetails: Readonly<Record<number, string>> = internal.genericDetails

/**
 * A problem from values that are already safe to show, such as the result of the boundary
 * translation: only the code (`^[A-Z][A-Z0-9_]*$`) and status (400-599) are checked.
 *
 * @example
 * ```ts
 * import { Problem } from "effect-resilience"
 *
 * Problem.fromSafe(
 *   { code: "DB_LOCK_TIMEOUT", status: 503, userMessage: "Another database transaction is in progress. Please try again later." },
 *   { requestId: "req-1", instance: "/withdraw" }
 * ).body.detail
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSafe: (
  safe: SafeTranslation,
  options: { readonly requestId: string; readonly instance?: string | undefined; readonly typeUri?: ((code: string) => string) | undefined }
) => Problem = internal.fromSafe
