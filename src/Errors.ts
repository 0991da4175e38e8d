/**
 * The error taxonomy: every failure the toolkit produces belongs to exactly one of four
 * categories and carries a machine-readable code.
 *
 * | category    | response            | retry?   | examples                                  |
 * | ----------- | ------------------- | -------- | ----------------------------------------- |
 * | `Transient` | retry with backoff  | yes      | network timeout, 503, reset, rate limited |
 * | `Permanent` | fail immediately    | never    | 400, 401, 404, validation, bad input      |
 * | `Partial`   | degrade gracefully  | optional | cache miss, analytics or email down       |
 * | `Fatal`     | crash fast          | never    | missing config, corrupt state, disk full  |
 *
 * Errors are `Schema.TaggedError`s, so they survive JSON (dead-letter queue, HTTP) and
 * round-trip through their Schema. The category and code live on the prototype with literal
 * types, so `Effect.Effect<A, NotFound>` cannot be handed to an API that only accepts
 * transient failures.
 *
 * @since 0.1.0
 */
import type { Duration as DurationNS, Effect, Option } from "effect"
import { Duration, Schema } from "effect"
import * as internal from "./internal/errors.js"

// --- categories -------------------------------------------------------------

/**
 * A `Duration` that travels as whole milliseconds in JSON (`{ "timeout": 5000 }`), the unit
 * of HTTP headers, Postgres settings and most dashboards. Sub-millisecond parts are rounded.
 *
 * @example
 * ```ts
 * import { Duration, Schema } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * Schema.encodeSync(Errors.Millis)(Duration.seconds(5)) // 5000
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Millis: Schema.Schema<DurationNS.Duration, number> = internal.Millis

/**
 * The four categories, as a Schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * Schema.decodeUnknownSync(Errors.Category)("Transient") // "Transient"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const Category = Schema.Literal("Transient", "Permanent", "Partial", "Fatal")

/**
 * @since 0.1.0
 * @category models
 */
export type Category = internal.Category

/**
 * How bad an error is, for logs and alerting: `expected` (business outcomes: a warning),
 * `unexpected` (bugs and unknown defects: an error with a stack), `critical` (fatal: page someone).
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * const s: Errors.Severity = "critical"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const Severity = Schema.Literal("expected", "unexpected", "critical")

/**
 * @since 0.1.0
 * @category models
 */
export type Severity = internal.Severity

/**
 * The symbol under which every categorised error keeps its category, code, status and severity.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.TypeId in new Errors.CacheMiss({ key: "k" }) // true
 * ```
 *
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: typeof internal.TypeId = internal.TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = internal.TypeId

/**
 * What the taxonomy knows about a categorised error class.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * const meta: Errors.Meta | undefined = Errors.metaOf(new Errors.CacheMiss({ key: "k" }))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Meta extends internal.Meta {}

/**
 * Any error of the taxonomy, narrowed by category and code. `Categorized<"Transient">` is
 * what a transient-only API accepts.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * const retryable = (e: Errors.Categorized<"Transient">) => e.code
 * retryable(new Errors.ServiceUnavailable({ service: "payments" }))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Categorized<C extends Category = Category, Code extends string = string>
  extends internal.Categorized<C, Code>
{}

/**
 * Options of a declared error: its `code`, and optionally a message template, a default
 * HTTP status and a severity that differs from its category's.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * const options: Errors.DeclareOptions<{ reason: typeof Schema.String }, "PAYMENT_DECLINED"> = {
 *   code: "PAYMENT_DECLINED",
 *   status: 402,
 *   message: (e) => `payment declined: ${e.reason}`
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface DeclareOptions<Fields extends Schema.Struct.Fields, Code extends string>
  extends internal.DeclareOptions<Fields, Code>
{}

/**
 * The class a declaration returns: a `Schema.TaggedError` class whose instances also carry
 * `category` and `code` with literal types.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * class Boom extends Errors.Fatal<Boom>()("Boom", {}, { code: "BOOM" }) {}
 * const C: Errors.CategorizedErrorClass<Boom, "Boom", { readonly _tag: Schema.tag<"Boom"> }, "Fatal", "BOOM"> = Boom
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface CategorizedErrorClass<
  Self,
  Tag extends string,
  Fields extends Schema.Struct.Fields,
  C extends Category,
  Code extends string
> extends internal.CategorizedErrorClass<Self, Tag, Fields, C, Code> {}

// --- declaring errors -------------------------------------------------------

/**
 * Declares a transient error class in one line: retried with backoff, counted by breakers.
 *
 * **Details**
 *
 * The result is a `Schema.TaggedError` class, so instances are yieldable, JSON-safe through
 * the class's Schema, and pattern-matchable with `Effect.catchTag`. `message` is a template
 * over the fields; `status` overrides the category's default HTTP status.
 *
 * **Example**
 *
 * ```ts
 * import { Schema } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * class BrokerBusy extends Errors.Transient<BrokerBusy>()("BrokerBusy", { broker: Schema.String }, {
 *   code: "BROKER_BUSY",
 *   message: (e) => `${e.broker} is busy`
 * }) {}
 *
 * new BrokerBusy({ broker: "kafka-1" }).category // "Transient"
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const Transient: internal.Declare<"Transient"> = internal.declare("Transient")

/**
 * Any transient error.
 *
 * @since 0.1.0
 * @category models
 */
export type Transient = Categorized<"Transient">

/**
 * Declares a permanent error class: never retried, never counted as a service failure.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * class PaymentDeclined extends Errors.Permanent<PaymentDeclined>()("PaymentDeclined", { reason: Schema.String }, { code: "PAYMENT_DECLINED", status: 402 }) {}
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const Permanent: internal.Declare<"Permanent"> = internal.declare("Permanent")

/**
 * Any permanent error.
 *
 * @since 0.1.0
 * @category models
 */
export type Permanent = Categorized<"Permanent">

/**
 * Declares a partial error class: a non-critical part failed; degrade and carry on.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * class AvatarMissing extends Errors.Partial<AvatarMissing>()("AvatarMissing", { userId: Schema.String }, { code: "AVATAR_MISSING" }) {}
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const Partial: internal.Declare<"Partial"> = internal.declare("Partial")

/**
 * Any partial error.
 *
 * @since 0.1.0
 * @category models
 */
export type Partial = Categorized<"Partial">

/**
 * Declares a fatal error class: the process should stop (see {@link dieOnFatal}).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * class LedgerMismatch extends Errors.Fatal<LedgerMismatch>()("LedgerMismatch", { account: Schema.String }, { code: "LEDGER_MISMATCH" }) {}
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const Fatal: internal.Declare<"Fatal"> = internal.declare("Fatal")

/**
 * Any fatal error.
 *
 * @since 0.1.0
 * @category models
 */
export type Fatal = Categorized<"Fatal">

// --- the seed's concrete errors ---------------------------------------------

/**
 * A call did not answer within its timeout. Transient, `NETWORK_TIMEOUT`, 504.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * new Errors.NetworkTimeout({ service: "payments", timeout: Duration.seconds(5) }).message
 * // "payments timed out after 5s"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class NetworkTimeout extends Transient<NetworkTimeout>()("NetworkTimeout", {
  service: Schema.String,
  timeout: Millis
}, {
  code: "NETWORK_TIMEOUT",
  status: 504,
  message: (e) => `${e.service} timed out after ${Duration.format(e.timeout)}`
}) {}

/**
 * A dependency answered 5xx or could not take the call. Transient, `SERVICE_UNAVAILABLE`, 503.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * new Errors.ServiceUnavailable({ service: "payments" }).message // "payments is unavailable"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ServiceUnavailable extends Transient<ServiceUnavailable>()("ServiceUnavailable", {
  service: Schema.String,
  reason: Schema.optionalWith(Schema.String, { exact: true })
}, {
  code: "SERVICE_UNAVAILABLE",
  status: 503,
  message: (e) => `${e.service} is unavailable${e.reason === undefined ? "" : `: ${e.reason}`}`
}) {}

/**
 * A dependency could not be reached at all (refused, reset, DNS). Transient, `CONNECT_FAILED`, 503.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * new Errors.ConnectFailed({ service: "inventory", reason: "ECONNREFUSED" }).code // "CONNECT_FAILED"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectFailed extends Transient<ConnectFailed>()("ConnectFailed", {
  service: Schema.String,
  reason: Schema.String
}, {
  code: "CONNECT_FAILED",
  status: 503,
  message: (e) => `${e.service} connection failed: ${e.reason}`
}) {}

/**
 * The dependency asked us to slow down (HTTP 429). Transient, `RATE_LIMITED`, 429; retries
 * wait at least `retryAfter`.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * new Errors.RateLimited({ service: "search", retryAfter: Duration.seconds(2) })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimited extends Transient<RateLimited>()("RateLimited", {
  service: Schema.String,
  retryAfter: Schema.optionalWith(Millis, { exact: true })
}, {
  code: "RATE_LIMITED",
  status: 429,
  message: (e) =>
    `${e.service} rate limited${e.retryAfter === undefined ? "" : `, retry after ${Duration.format(e.retryAfter)}`}`
}) {}

/**
 * Input failed validation. Permanent, `VALIDATION_ERROR`, 422.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * new Errors.ValidationFailed({ field: "email", reason: "must contain @" }).message
 * // "Validation failed on email: must contain @"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ValidationFailed extends Permanent<ValidationFailed>()("ValidationFailed", {
  field: Schema.String,
  reason: Schema.String
}, {
  code: "VALIDATION_ERROR",
  status: 422,
  message: (e) => `Validation failed on ${e.field}: ${e.reason}`
}) {}

/**
 * A resource does not exist. Permanent, `NOT_FOUND`, 404.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * new Errors.NotFound({ resource: "user", id: "42" }).message // "user 42 not found"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Permanent<NotFound>()("NotFound", {
  resource: Schema.String,
  id: Schema.String
}, {
  code: "NOT_FOUND",
  status: 404,
  message: (e) => `${e.resource} ${e.id} not found`
}) {}

/**
 * Credentials were missing or wrong. Permanent, `AUTH_FAILED`, 401.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * new Errors.AuthenticationFailed().message // "Authentication failed"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationFailed extends Permanent<AuthenticationFailed>()("AuthenticationFailed", {
  reason: Schema.optionalWith(Schema.String, { exact: true })
}, {
  code: "AUTH_FAILED",
  status: 401,
  message: () => "Authentication failed"
}) {}

/**
 * The request conflicts with the current state (a duplicate, a stale version). Permanent,
 * `CONFLICT`, 409.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * new Errors.Conflict({ resource: "order", detail: "order 7 already exists" }).status
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class Conflict extends Permanent<Conflict>()("Conflict", {
  resource: Schema.String,
  detail: Schema.optionalWith(Schema.String, { exact: true })
}, {
  code: "CONFLICT",
  status: 409,
  message: (e) => e.detail ?? `${e.resource} already exists`
}) {}

/**
 * A cache had nothing for a key. Partial, `CACHE_MISS`.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * new Errors.CacheMiss({ key: "stock:sku-1" }).message // "Cache miss for stock:sku-1"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class CacheMiss extends Partial<CacheMiss>()("CacheMiss", {
  key: Schema.String
}, {
  code: "CACHE_MISS",
  message: (e) => `Cache miss for ${e.key}`
}) {}

/**
 * A non-critical dependency failed; the caller should degrade. Partial, `NON_CRITICAL_FAILURE`.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * new Errors.NonCriticalServiceFailed({ service: "analytics", reason: "timeout" })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class NonCriticalServiceFailed extends Partial<NonCriticalServiceFailed>()("NonCriticalServiceFailed", {
  service: Schema.String,
  reason: Schema.String
}, {
  code: "NON_CRITICAL_FAILURE",
  message: (e) => `Non-critical service ${e.service} failed: ${e.reason}`
}) {}

/**
 * Required configuration is missing. Fatal, `MISSING_CONFIG`, 500.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * new Errors.MissingConfig({ key: "DATABASE_URL" }).message // "Required config missing: DATABASE_URL"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingConfig extends Fatal<MissingConfig>()("MissingConfig", {
  key: Schema.String
}, {
  code: "MISSING_CONFIG",
  status: 500,
  message: (e) => `Required config missing: ${e.key}`
}) {}

/**
 * State is corrupt; continuing would make it worse. Fatal, `CORRUPT_STATE`, 500.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * new Errors.CorruptState({ detail: "ledger total != sum of entries" })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class CorruptState extends Fatal<CorruptState>()("CorruptState", {
  detail: Schema.String
}, {
  code: "CORRUPT_STATE",
  status: 500,
  message: (e) => `Corrupt state detected: ${e.detail}`
}) {}

/**
 * The seed's errors as one Schema union; decode a JSON dead letter or problem body back
 * into the right class.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * const json = Schema.encodeSync(Errors.ServiceError)(new Errors.NotFound({ resource: "user", id: "1" }))
 * Schema.decodeUnknownSync(Errors.ServiceError)(json) // NotFound { resource: "user", id: "1" }
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const ServiceError = Schema.Union(
  NetworkTimeout,
  ServiceUnavailable,
  ConnectFailed,
  RateLimited,
  ValidationFailed,
  NotFound,
  AuthenticationFailed,
  Conflict,
  CacheMiss,
  NonCriticalServiceFailed,
  MissingConfig,
  CorruptState
)

/**
 * @since 0.1.0
 * @category errors
 */
export type ServiceError = typeof ServiceError.Type

// --- reading the taxonomy ---------------------------------------------------

/**
 * `true` for any error declared with {@link Transient}, {@link Permanent}, {@link Partial}
 * or {@link Fatal}, including users' own.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.isCategorized(new Errors.CacheMiss({ key: "k" })) // true
 * Errors.isCategorized(new Error("boom")) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isCategorized: (u: unknown) => u is Categorized = internal.isCategorized

/**
 * The taxonomy's record for an error, or `undefined` for foreign errors and defects.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.metaOf(new Errors.NotFound({ resource: "user", id: "1" }))?.status // 404
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const metaOf: (u: unknown) => Meta | undefined = internal.metaOf

/**
 * The category of an error; `undefined` for anything outside the taxonomy.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.categoryOf(new Errors.RateLimited({ service: "s" })) // "Transient"
 * Errors.categoryOf(new TypeError("x")) // undefined
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const categoryOf: {
  <C extends Category>(error: Categorized<C>): C
  (u: unknown): Category | undefined
} = internal.categoryOf as any

/**
 * The machine-readable code of an error; `"INTERNAL_ERROR"` for anything outside the taxonomy.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.codeOf(new Errors.NotFound({ resource: "user", id: "1" })) // "NOT_FOUND"
 * Errors.codeOf("a string thrown by someone") // "INTERNAL_ERROR"
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const codeOf: (u: unknown) => string = internal.codeOf

/**
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.isTransient(new Errors.ServiceUnavailable({ service: "s" })) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isTransient: (u: unknown) => u is Transient = internal.isCategory("Transient")

/**
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.isPermanent(new Errors.NotFound({ resource: "user", id: "1" })) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isPermanent: (u: unknown) => u is Permanent = internal.isCategory("Permanent")

/**
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.isPartial(new Errors.CacheMiss({ key: "k" })) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isPartial: (u: unknown) => u is Partial = internal.isCategory("Partial")

/**
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.isFatal(new Errors.MissingConfig({ key: "DATABASE_URL" })) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isFatal: (u: unknown) => u is Fatal = internal.isCategory("Fatal")

/**
 * The server's requested wait, for any error with a `retryAfter: Duration` field
 * (`RateLimited`, `CircuitOpen`, ...).
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * Errors.retryAfterOf(new Errors.RateLimited({ service: "s", retryAfter: Duration.seconds(3) }))
 * // Option.some(Duration.seconds(3))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const retryAfterOf: (u: unknown) => Option.Option<DurationNS.Duration> = internal.retryAfterOf

// --- classification: HTTP status and severity --------------------------------

/**
 * The tables that map errors to an HTTP status and a log severity.
 *
 * **Details**
 *
 * Lookup order for a status: `statusByCode[code]`, then the status the error class declared,
 * then `statusByCategory[category]`; anything outside the taxonomy gets `unknownStatus`.
 * Severity is looked up the same way.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * const strict: Errors.Classification = Errors.mergeClassification(Errors.defaultClassification, {
 *   statusByCode: { NOT_FOUND: 410 }
 * })
 * ```
 *
 * @since 0.1.0
 * @category classification
 */
export interface Classification extends internal.Classification {}

/**
 * Defaults: transient 503, permanent 400, partial 503, fatal 500, unknown 500; severity
 * `expected` for transient, permanent and partial, `critical` for fatal, `unexpected` for
 * anything outside the taxonomy. Concrete errors declare their own status (404, 422, 401,
 * 409, 429, 504 ...).
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.defaultClassification.statusByCategory.Transient // 503
 * ```
 *
 * @since 0.1.0
 * @category classification
 */
export const defaultClassification: Classification = internal.defaultClassification

/**
 * The classification in force, as a `Context.Reference`: it defaults to
 * {@link defaultClassification}; provide another value to override status or severity.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * const program = Effect.gen(function*() {
 *   const classification = yield* Errors.ErrorClassification
 *   return Errors.statusOf(new Errors.NotFound({ resource: "page", id: "x" }), classification)
 * }).pipe(
 *   Effect.provideService(
 *     Errors.ErrorClassification,
 *     Errors.mergeClassification(Errors.defaultClassification, { statusByCode: { NOT_FOUND: 410 } })
 *   )
 * ) // Effect<410>
 * ```
 *
 * @since 0.1.0
 * @category classification
 */
export const ErrorClassification: typeof internal.ErrorClassification = internal.ErrorClassification

/**
 * Overrides some entries of a classification.
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.mergeClassification(Errors.defaultClassification, { severityByCategory: { Transient: "unexpected" } })
 * ```
 *
 * @since 0.1.0
 * @category classification
 */
export const mergeClassification: typeof internal.mergeClassification = internal.mergeClassification

/**
 * The HTTP status for an error under a classification (the defaults when none is given).
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.statusOf(new Errors.NotFound({ resource: "user", id: "1" })) // 404
 * Errors.statusOf(new Error("boom")) // 500
 * ```
 *
 * @since 0.1.0
 * @category classification
 */
export const statusOf: (u: unknown, classification?: Classification) => number = internal.statusOf

/**
 * The log severity for an error under a classification (the defaults when none is given).
 *
 * @example
 * ```ts
 * import { Errors } from "effect-resilience"
 *
 * Errors.severityOf(new Errors.NotFound({ resource: "user", id: "1" })) // "expected"
 * Errors.severityOf(new TypeError("undefined is not a function")) // "unexpected"
 * Errors.severityOf(new Errors.MissingConfig({ key: "K" })) // "critical"
 * ```
 *
 * @since 0.1.0
 * @category classification
 */
export const severityOf: (u: unknown, classification?: Classification) => Severity = internal.severityOf

// --- fatal errors ---------------------------------------------------------------

/**
 * Crashes on purpose when a fatal error arrives: it is logged at FATAL level and turned into
 * a defect, so it can never be caught by a `catchAll`, degraded or retried.
 *
 * **Details**
 *
 * Put it at the top of a program run by `NodeRuntime.runMain`: the defect interrupts the main
 * fiber, finalizers run, and the process exits with code 1. The error type loses its fatal
 * members, so the compiler shows that nothing downstream has to handle them.
 *
 * **Example**
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Errors } from "effect-resilience"
 *
 * const loadConfig = Effect.fail(new Errors.MissingConfig({ key: "DATABASE_URL" }))
 *
 * const main = loadConfig.pipe(Errors.dieOnFatal) // Effect<never, never>: dies with MissingConfig
 * ```
 *
 * @since 0.1.0
 * @category fatal
 */
export const dieOnFatal: <A, E, R>(
  self: Effect.Effect<A, E, R>
) => Effect.Effect<A, Exclude<E, Fatal>, R> = internal.dieOnFatal
