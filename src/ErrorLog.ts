/**
 * Structured error logging: every error log line answers what happened (code, type, message,
 * the error's own fields, SQLSTATE and constraint of a Postgres error), where (operation),
 * when (timestamp), who (request_id, user_id) and how bad (severity from the category).
 *
 * | severity     | from                                  | level | stack | alert |
 * | ------------ | ------------------------------------- | ----- | ----- | ----- |
 * | `expected`   | transient, permanent, partial errors  | WARN  | no    | no    |
 * | `unexpected` | anything outside the taxonomy, defects| ERROR | yes   | no    |
 * | `critical`   | fatal errors                          | FATAL | yes   | yes   |
 *
 * Request context is set once at the boundary ({@link withRequestContext}) and flows
 * implicitly, forked fibers included. Stack traces only ever go to logs.
 *
 * @since 0.1.0
 */
import type { Cause, Config, ConfigError, Effect, FiberRef, Layer, Logger } from "effect"
import type * as Errors from "./Errors.js"
import * as internal from "./internal/errorLog.js"

// --- request context ------------------------------------------------------------

/**
 * Who and what a piece of work is for. Every field is optional: set what you know.
 *
 * @example
 * ```ts
 * import { ErrorLog } from "effect-resilience"
 *
 * const context: ErrorLog.RequestContext = { requestId: "req-1", userId: "u-42", operation: "get_user" }
 * ```
 *
 * @since 0.1.0
 * @category request context
 */
export interface RequestContext extends internal.RequestContext {}

/**
 * The request context of the current fiber. Forked fibers inherit it.
 *
 * @example
 * ```ts
 * import { FiberRef } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * const current = FiberRef.get(ErrorLog.currentRequestContext)
 * ```
 *
 * @since 0.1.0
 * @category request context
 */
export const currentRequestContext: FiberRef.FiberRef<RequestContext> = internal.currentRequestContext

/**
 * Reads the request context of the current fiber (to put `request_id` in a response, say).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * const requestId = Effect.map(ErrorLog.requestContext, (c) => c.requestId)
 * ```
 *
 * @since 0.1.0
 * @category request context
 */
export const requestContext: Effect.Effect<RequestContext> = internal.requestContext

/**
 * Runs an effect with a request context: set once at the boundary (HTTP handler, queue
 * consumer, CLI main), it reaches every error log line below, forked fibers included.
 *
 * **Details**
 *
 * Fields merge with the context already in force, so an inner call can add `userId` once it
 * is known. The fields also become log annotations (`request_id`, `user_id`, `operation`),
 * so ordinary `Effect.log` lines carry them too.
 *
 * **Example**
 *
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * const handler = Effect.log("handling").pipe(
 *   ErrorLog.withRequestContext({ requestId: "req-1", userId: "u-42", operation: "get_user" })
 * )
 * ```
 *
 * @since 0.1.0
 * @category request context
 */
export const withRequestContext: {
  (context: RequestContext): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, context: RequestContext): Effect.Effect<A, E, R>
} = internal.withRequestContext

/**
 * Names the operation in the request context: "Error in get_user" is searchable, "Error" is not.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * const findUser = Effect.succeed({ id: "1" }).pipe(ErrorLog.withOperation("find_user"))
 * ```
 *
 * @since 0.1.0
 * @category request context
 */
export const withOperation: {
  (operation: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, operation: string): Effect.Effect<A, E, R>
} = internal.withOperation

// --- entries ---------------------------------------------------------------------

/**
 * One error log line's fields, with the seed's stable names. Besides the named ones it holds
 * the error's own fields (`resource`, `id`, `service`, ...), a Postgres error's `sqlstate`,
 * `constraint`, `table`, `column`, `detail`, `hint`, `where`, a Node `errno_code`, and data
 * attached with `Translate.attach`. Fixed names always win over those.
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { Errors, ErrorLog } from "effect-resilience"
 *
 * const entry: ErrorLog.ErrorEntry | undefined = ErrorLog.makeEntry(
 *   Cause.fail(new Errors.NotFound({ resource: "user", id: "42" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorEntry extends internal.ErrorEntry {}

/**
 * Options of {@link makeEntry}.
 *
 * @example
 * ```ts
 * import { ErrorLog } from "effect-resilience"
 *
 * const options: ErrorLog.EntryOptions = { context: { requestId: "r-1" }, fields: { db_host: "primary" } }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface EntryOptions extends internal.EntryOptions {}

/**
 * Builds the fields of an error log line from a cause, purely. `undefined` when the cause is
 * only interruptions (an interruption is not an error).
 *
 * **Details**
 *
 * The cause's first failure (else its first defect) is the error described. A defect is
 * `unexpected` whatever it carries, unless it is a fatal error (then `critical`). The
 * `stack_trace` field (the cause rendered with its chain of causes) is present for
 * `unexpected` and `critical` only.
 *
 * **Example**
 *
 * ```ts
 * import { Cause } from "effect"
 * import { Errors, ErrorLog } from "effect-resilience"
 *
 * const entry = ErrorLog.makeEntry(Cause.fail(new Errors.NotFound({ resource: "user", id: "42" })), {
 *   context: { requestId: "r-1", operation: "get_user" }
 * })
 * // { error_code: "NOT_FOUND", error_type: "NotFound", severity: "expected", resource: "user", id: "42", ... }
 * ```
 *
 * @since 0.1.0
 * @category entries
 */
export const makeEntry: <E>(cause: Cause.Cause<E>, options?: EntryOptions) => ErrorEntry | undefined =
  internal.makeEntry

// --- logging ---------------------------------------------------------------------------

/**
 * Options of {@link logCause}.
 *
 * @example
 * ```ts
 * import { ErrorLog } from "effect-resilience"
 *
 * const options: ErrorLog.LogOptions = { fields: { db_host: "primary" } }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface LogOptions extends internal.LogOptions {}

/**
 * Logs a cause as one structured line at the level its severity gives (`expected` WARN,
 * `unexpected` ERROR, `critical` FATAL), with the current request context, and fires the
 * {@link Alerter} for critical ones. Interruption-only causes are not logged.
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { Errors, ErrorLog } from "effect-resilience"
 *
 * const log = ErrorLog.logCause(Cause.fail(new Errors.MissingConfig({ key: "DATABASE_URL" })))
 * // FATAL critical_error error_code=MISSING_CONFIG ... stack_trace=...; Alerter.alert(entry)
 * ```
 *
 * @since 0.1.0
 * @category logging
 */
export const logCause: <E>(cause: Cause.Cause<E>, options?: LogOptions) => Effect.Effect<void> = internal.logCause

/**
 * Logs an entry already built with {@link makeEntry} (and alerts when it is critical).
 *
 * @example
 * ```ts
 * import { Cause, Effect } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * const entry = ErrorLog.makeEntry(Cause.die(new TypeError("x is undefined")))
 * const log = entry === undefined ? Effect.void : ErrorLog.logEntry(entry)
 * ```
 *
 * @since 0.1.0
 * @category logging
 */
export const logEntry: (entry: ErrorEntry, message?: string) => Effect.Effect<void> = internal.logEntry

/**
 * Logs an effect's failure once, under an operation name, without changing it.
 *
 * **Details**
 *
 * The effect runs with `operation` in its request context. On failure (or defect) the cause is
 * logged by {@link logCause} and the effect fails exactly as before. A failure already logged by
 * an inner `logFailure` is not logged again by an outer one, so nesting does not duplicate
 * lines. Interruptions are not logged. Costs one `tapErrorCause` on success.
 *
 * **Example**
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Errors, ErrorLog } from "effect-resilience"
 *
 * const getUser = (id: string) =>
 *   Effect.fail(new Errors.NotFound({ resource: "user", id })).pipe(ErrorLog.logFailure("get_user"))
 * ```
 *
 * @since 0.1.0
 * @category logging
 */
export const logFailure: {
  (operation: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, operation: string): Effect.Effect<A, E, R>
} = internal.logFailure

/**
 * `true` when {@link logFailure} already wrote this cause's error.
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * ErrorLog.wasLogged(Cause.fail(new Error("fresh"))) // false
 * ```
 *
 * @since 0.1.0
 * @category logging
 */
export const wasLogged: <E>(cause: Cause.Cause<E>) => boolean = internal.wasLogged

// --- alerts ---------------------------------------------------------------------------

/**
 * Where critical errors page someone. Provide your own (PagerDuty, Slack, ...); the default
 * does nothing. `alert` must not fail; if it does, the failure is logged and swallowed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * const pager: ErrorLog.AlerterService = {
 *   alert: (entry) => Effect.log(`paging on-call: ${entry.error_code}`)
 * }
 * ```
 *
 * @since 0.1.0
 * @category alerts
 */
export interface AlerterService extends internal.Alerter {}

/**
 * The alert hook in force, as a `Context.Reference` (no-op unless provided).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * const program = Effect.void.pipe(
 *   Effect.provideService(ErrorLog.Alerter, { alert: (entry) => Effect.log(`page: ${entry.error_code}`) })
 * )
 * ```
 *
 * @since 0.1.0
 * @category alerts
 */
export const Alerter: typeof internal.AlerterTag = internal.AlerterTag

/**
 * A Layer providing an alert hook.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * const PagerLive = ErrorLog.layerAlerter({ alert: (entry) => Effect.log(`page: ${entry.error_code}`) })
 * ```
 *
 * @since 0.1.0
 * @category alerts
 */
export const layerAlerter: (alerter: AlerterService) => Layer.Layer<never> = internal.layerAlerter

/**
 * The alert hook that does nothing (the default).
 *
 * @example
 * ```ts
 * import { ErrorLog } from "effect-resilience"
 *
 * const quiet = ErrorLog.layerAlerterNoop
 * ```
 *
 * @since 0.1.0
 * @category alerts
 */
export const layerAlerterNoop: Layer.Layer<never> = internal.layerAlerter(internal.noopAlerter)

/**
 * The alerts a memory alerter recorded, for tests.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * const alerts = Effect.flatMap(ErrorLog.MemoryAlerts, (m) => m.entries)
 * ```
 *
 * @since 0.1.0
 * @category alerts
 */
export const MemoryAlerts: typeof internal.MemoryAlerts = internal.MemoryAlerts

/**
 * An alert hook that records every alert in memory, plus {@link MemoryAlerts} to read them.
 *
 * @example
 * ```ts
 * import { Cause, Effect } from "effect"
 * import { Errors, ErrorLog } from "effect-resilience"
 *
 * const alerts = ErrorLog.logCause(Cause.fail(new Errors.MissingConfig({ key: "K" }))).pipe(
 *   Effect.zipRight(Effect.flatMap(ErrorLog.MemoryAlerts, (m) => m.entries)),
 *   Effect.provide(ErrorLog.layerAlerterMemory)
 * ) // one entry with error_code "MISSING_CONFIG"
 * ```
 *
 * @since 0.1.0
 * @category alerts
 */
export const layerAlerterMemory: Layer.Layer<internal.MemoryAlerts> = internal.layerAlerterMemory

// --- loggers -------------------------------------------------------------------------------

/**
 * Formats a log line as one JSON object with stable names: `timestamp`, `level`, `message`,
 * `fiber_id`, every annotation flattened (`error_type`, `error_code`, `error_message`,
 * `severity`, `operation`, `request_id`, `user_id`, `stack_trace`, ...), and `spans`.
 *
 * @example
 * ```ts
 * import { Effect, Logger } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * const toStderr = Logger.map(ErrorLog.jsonLogger, (line) => process.stderr.write(line + "\n"))
 * const program = Effect.log("hi").pipe(Effect.provide(Logger.replace(Logger.defaultLogger, toStderr)))
 * ```
 *
 * @since 0.1.0
 * @category loggers
 */
export const jsonLogger: Logger.Logger<unknown, string> = internal.jsonLogger

/**
 * Formats a log line for humans: timestamp, level, message, the error fields first, and the
 * stack trace indented on the lines below.
 *
 * @example
 * ```ts
 * import { Logger } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * const dev = Logger.replace(Logger.defaultLogger, Logger.withConsoleLog(ErrorLog.prettyLogger))
 * ```
 *
 * @since 0.1.0
 * @category loggers
 */
export const prettyLogger: Logger.Logger<unknown, string> = internal.prettyLogger

/**
 * Production logging: replaces the default logger with {@link jsonLogger}, one JSON object per
 * line on the console.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * Effect.log("ready").pipe(Effect.provide(ErrorLog.layerJson))
 * ```
 *
 * @since 0.1.0
 * @category loggers
 */
export const layerJson: Layer.Layer<never> = internal.layerJson

/**
 * Development logging: replaces the default logger with {@link prettyLogger}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * Effect.log("ready").pipe(Effect.provide(ErrorLog.layerPretty))
 * ```
 *
 * @since 0.1.0
 * @category loggers
 */
export const layerPretty: Layer.Layer<never> = internal.layerPretty

/**
 * The two output formats.
 *
 * @example
 * ```ts
 * import { ErrorLog } from "effect-resilience"
 *
 * const format: ErrorLog.Format = "json"
 * ```
 *
 * @since 0.1.0
 * @category loggers
 */
export type Format = internal.Format

/**
 * The logger Layer for a format.
 *
 * @example
 * ```ts
 * import { ErrorLog } from "effect-resilience"
 *
 * const LoggerLive = ErrorLog.layer(process.env["NODE_ENV"] === "production" ? "json" : "pretty")
 * ```
 *
 * @since 0.1.0
 * @category loggers
 */
export const layer: (format: Format) => Layer.Layer<never> = internal.layer

/**
 * The logger Layer chosen by configuration: `LOG_FORMAT=json|pretty`, `json` when unset.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorLog } from "effect-resilience"
 *
 * Effect.log("ready").pipe(Effect.provide(ErrorLog.layerConfig()))
 * ```
 *
 * @since 0.1.0
 * @category loggers
 */
export const layerConfig: (config?: Config.Config<Format>) => Layer.Layer<never, ConfigError.ConfigError> =
  internal.layerConfig

/**
 * Re-exported for convenience: how bad an error is.
 *
 * @example
 * ```ts
 * import { ErrorLog } from "effect-resilience"
 *
 * const s: ErrorLog.Severity = "unexpected"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Severity = Errors.Severity
