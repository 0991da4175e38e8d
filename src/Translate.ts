/**
 * Outermost-boundary translation (seed 003): instead of collapsing every unknown error into
 * "Internal Server Error", a registry of rules turns the frequent ones (lock timeout,
 * statement timeout, connection refused, ...) into an error code plus two messages, one for
 * developers and one safe for end users. Translated errors and truly unknown ones are counted
 * in separate metrics and logged differently, so real bugs stand out.
 *
 * Rules match by tag, class, errno code, SQLSTATE, message pattern, something in the cause
 * chain, or data attached lower down with {@link attach}. The first matching rule wins; user
 * rules come before the defaults.
 *
 * @since 0.1.0
 */
import type { Cause, Effect, Layer, Metric } from "effect"
import { Layer as L } from "effect"
import type * as Errors from "./Errors.js"
import * as internal from "./internal/translate.js"

// --- rules ---------------------------------------------------------------------

/**
 * Variables a template can use: the error's own fields (`gateway`, `service`, ...),
 * `error_type`, `error_message`, `sqlstate`, `errno`, the
 * rule's own (a SQLSTATE rule adds `db_message`, `table`, `constraint`, `column`, `detail`,
 * `where`...; an errno rule `syscall`, `address`, `port`, `path`, `hostname`; a message rule
 * its named groups and `matched_message`), and the data attached with {@link attach}.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const vars: Translate.Vars = { sqlstate: "55P03", table: "users" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Vars = internal.Vars

/**
 * A message template: a string with `{name}` placeholders (missing ones render empty), or a
 * function of the variables. Keep user templates free of internal data: they reach end users.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const developer: Translate.Template = "Lock timeout on {table} (SQLSTATE {sqlstate})"
 * const user: Translate.Template = () => "Please try again later."
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Template = internal.Template

/**
 * What a rule produces: a code, an HTTP status (500 when omitted), an optional category, and
 * the developer and user message templates.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const outcome: Translate.Outcome = {
 *   code: "DB_LOCK_TIMEOUT",
 *   status: 503,
 *   developer: "Lock timeout (SQLSTATE {sqlstate})",
 *   user: "Another database transaction is in progress. Please try again later."
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Outcome extends internal.Outcome {}

/**
 * What a rule sees: the error (first failure, else first defect), its cause chain (including
 * `SqlError`'s non-enumerable `cause`), and the data attached on the way up.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const isPayments = (input: Translate.Input) => input.attached["service"] === "payments"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Input extends internal.Input {}

/**
 * A matched rule's outcome and the variables it captured.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const resolved: Translate.Resolved = { outcome: { code: "X", developer: "x", user: "x" }, vars: {} }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved extends internal.Resolved {}

/**
 * A translation rule: a name (for logs) and a function that resolves an input or declines.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const rules: ReadonlyArray<Translate.Rule> = Translate.defaultRules
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Rule extends internal.Rule {}

/**
 * A rule from any function of the input: the most general kind.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const slowDisk = Translate.make("slow-disk", (input) =>
 *   input.attached["disk"] === "slow"
 *     ? { outcome: { code: "DISK_SLOW", status: 503, developer: "disk slow", user: "Please try again later." } }
 *     : undefined)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (name: string, resolve: (input: Input) => Resolved | undefined) => Rule = internal.make

/**
 * A rule from a predicate with a fixed outcome; the predicate may return variables instead
 * of `true`.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const readOnly = Translate.when("read-only", (input) => input.kind === "defect", {
 *   code: "READ_ONLY", status: 503, developer: "{error_message}", user: "Please try again later."
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const when: (
  name: string,
  match: (input: Input) => Vars | boolean | undefined,
  outcome: Outcome
) => Rule = internal.when

/**
 * Matches the error's `_tag` (or, for untagged errors, its constructor name).
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const parse = Translate.byTag("ParseError", {
 *   code: "BAD_PAYLOAD", status: 400, developer: "{error_message}", user: "The request could not be read."
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const byTag: (tag: string, outcome: Outcome) => Rule = internal.byTag

/**
 * Matches errors that are `instanceof` a class.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const ranges = Translate.byClass(RangeError, {
 *   code: "OUT_OF_RANGE", status: 422, developer: "{error_message}", user: "A value was out of range."
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const byClass: (constructor: abstract new(...args: ReadonlyArray<any>) => unknown, outcome: Outcome) => Rule =
  internal.byClass

/**
 * Matches a Node errno code (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, `ECONNRESET`, `EACCES`,
 * `ENOENT`, ...) anywhere in the cause chain, e.g. under a `SqlError` that failed to connect.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const ftp = Translate.byErrno("EACCES", {
 *   code: "IMPORT_FILE_FORBIDDEN", status: 500,
 *   developer: "Permission denied on {path}: did the partner change the FTP user?",
 *   user: "The import file could not be read."
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const byErrno: (codes: string | ReadonlyArray<string>, outcome: Outcome) => Rule = internal.byErrno

/**
 * Matches the SQLSTATE of a Postgres error in the cause chain (a `SqlError` failure or a
 * defect carrying one): five-character codes exactly, two-character ones as a class (`"08"`).
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const duplicateEmail = Translate.bySqlState("23505", {
 *   code: "EMAIL_TAKEN", status: 409,
 *   developer: "unique violation on {constraint}: {detail}",
 *   user: "This email address is already registered."
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const bySqlState: (codes: string | ReadonlyArray<string>, outcome: Outcome) => Rule = internal.bySqlState

/**
 * A Postgres pg `DatabaseError` as the rules see it: the SQLSTATE `code` and the server's fields.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const isLock = (e: Translate.DatabaseErrorLike) => e.code === "55P03"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type DatabaseErrorLike = import("./internal/errorData.js").DatabaseErrorLike

/**
 * A rule whose outcome is looked up from the SQLSTATE: the hook for a full SQLSTATE table.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const table: Record<string, Translate.Outcome> = {
 *   "23503": { code: "DB_FOREIGN_KEY", status: 422, developer: "{constraint}: {detail}", user: "A referenced record does not exist." }
 * }
 * const fromTable = Translate.bySqlStateWith("sqlstate-table", (sqlstate) => table[sqlstate])
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const bySqlStateWith: (
  name: string,
  lookup: (sqlstate: string, error: DatabaseErrorLike) => Outcome | undefined
) => Rule = internal.bySqlStateWith

/**
 * Matches a regular expression against the message of the error or of anything in its cause
 * chain; named groups become template variables.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const closed = Translate.byMessage(/Attempted read on closed stream/, {
 *   code: "CLIENT_GONE", status: 499, developer: "{matched_message}", user: "The connection was closed."
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const byMessage: (pattern: RegExp, outcome: Outcome) => Rule = internal.byMessage

/**
 * Matches when anything in the cause chain (the error included) satisfies a predicate.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const oom = Translate.byCause("heap", (e) => e instanceof RangeError && /heap/.test(e.message), {
 *   code: "OUT_OF_MEMORY", status: 503, developer: "{error_message}", user: "Please try again later."
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const byCause: (name: string, predicate: (cause: unknown) => boolean, outcome: Outcome) => Rule =
  internal.byCause

/**
 * Matches data attached lower down with {@link attach}: a key that is present and not `false`,
 * or a predicate over all attached data.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const serviceA = Translate.byContext("callingServiceA", {
 *   code: "SERVICE_A_FAILED", status: 503, developer: "Failed to call service A: {error_message}",
 *   user: "Service A is not available right now. Please try again later."
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const byContext: (
  keyOrPredicate: string | ((attached: Readonly<Record<string, unknown>>) => boolean),
  outcome: Outcome
) => Rule = internal.byContext

/**
 * Attaches data to whatever failure or defect comes out of an effect, without changing it: the
 * seed's "wrap an exception with additional data" trick, for {@link byContext} rules and for
 * log lines. Data attached closer to the failure wins.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Translate } from "effect-resilience"
 *
 * const callServiceA = Effect.fail(new Error("socket hang up")).pipe(
 *   Translate.attach({ callingServiceA: true })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const attach: {
  (data: Readonly<Record<string, unknown>>): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, data: Readonly<Record<string, unknown>>): Effect.Effect<A, E, R>
} = internal.attach

// --- the rule set ------------------------------------------------------------------

/**
 * Seed 003's lock timeout: SQLSTATE 55P03 to `DB_LOCK_TIMEOUT`, 503, "Another database
 * transaction is in progress. Please try again later."
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const rules = [Translate.lockTimeout]
 * ```
 *
 * @since 0.1.0
 * @category rules
 */
export const lockTimeout: Rule = internal.lockTimeout

/**
 * Seed 003's statement timeout: SQLSTATE 57014 to `DB_STATEMENT_TIMEOUT`, 503, "Database query
 * took too long. This might happen if the system is overloaded. Please try again later."
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const rules = [Translate.statementTimeout]
 * ```
 *
 * @since 0.1.0
 * @category rules
 */
export const statementTimeout: Rule = internal.statementTimeout

/**
 * The default rules, in order: lock timeout (55P03), statement timeout (57014), deadlock
 * (40P01), serialization failure (40001), out of resources (53xxx), database unavailable
 * (class 08, 57P01-57P05), lost connection (code-less "Connection terminated"), and the errno
 * codes ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ECONNRESET, EACCES, ENOENT.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * Translate.defaultRules.map((rule) => rule.name)
 * ```
 *
 * @since 0.1.0
 * @category rules
 */
export const defaultRules: ReadonlyArray<Rule> = internal.defaultRules

/**
 * The rules in force, as a `Context.Reference` ({@link defaultRules} unless provided).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Translate } from "effect-resilience"
 *
 * const names = Effect.map(Translate.Rules, (rules) => rules.map((r) => r.name))
 * ```
 *
 * @since 0.1.0
 * @category rules
 */
export const Rules: typeof internal.Rules = internal.Rules

/**
 * Adds project rules in front of the rules in force, for one effect.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Translate } from "effect-resilience"
 *
 * const emailTaken = Translate.bySqlState("23505", {
 *   code: "EMAIL_TAKEN", status: 409, developer: "{detail}", user: "This email address is already registered."
 * })
 * const handler = Translate.boundary(Effect.fail(new Error("x"))).pipe(Translate.withRules([emailTaken]))
 * ```
 *
 * @since 0.1.0
 * @category rules
 */
export const withRules: {
  (rules: ReadonlyArray<Rule>): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, rules: ReadonlyArray<Rule>): Effect.Effect<A, E, R>
} = internal.withRules

/**
 * A Layer that puts project rules in front of the defaults (or replaces them).
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const RulesLive = Translate.layerRules([
 *   Translate.byErrno("EACCES", { code: "IMPORT_FORBIDDEN", status: 500, developer: "{path}", user: "Import failed." })
 * ])
 * ```
 *
 * @since 0.1.0
 * @category rules
 */
export const layerRules = (
  rules: ReadonlyArray<Rule>,
  options: { readonly replaceDefaults?: boolean } = {}
): Layer.Layer<never> =>
  L.succeed(internal.Rules, options.replaceDefaults === true ? rules : [...rules, ...internal.defaultRules])

// --- translating -----------------------------------------------------------------------

/**
 * A rendered translation.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const t: Translate.Translation | undefined = Translate.translate(Translate.defaultRules, new Error("x"))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Translation extends internal.Translation {}

/**
 * Translates one error with a rule set, purely: the first matching rule, rendered, or
 * `undefined` (unknown).
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })
 * Translate.translate(Translate.defaultRules, refused)?.code // "CONNECTION_REFUSED"
 * ```
 *
 * @since 0.1.0
 * @category translating
 */
export const translate = (rules: ReadonlyArray<Rule>, error: unknown): Translation | undefined =>
  internal.translate(rules, internal.inputOf(error))

/**
 * Translates a cause (its first failure, else its first defect) with a rule set, purely.
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { Translate } from "effect-resilience"
 *
 * Translate.translateCause(Translate.defaultRules, Cause.die(new Error("Connection terminated unexpectedly")))?.code
 * // "DB_CONNECTION_FAILURE"
 * ```
 *
 * @since 0.1.0
 * @category translating
 */
export const translateCause: <E>(rules: ReadonlyArray<Rule>, cause: Cause.Cause<E>) => Translation | undefined =
  internal.translateCause

// --- the boundary ---------------------------------------------------------------------

/**
 * A known error at the boundary: either of the taxonomy (`source: "taxonomy"`, its own code,
 * status and message; the message is replaced by a generic one for 5xx) or translated by a
 * rule (`source: "rule"`). A plain data class, not an `Error`: it has no stack by
 * construction, and nothing in it comes from the database but what templates chose.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Translate } from "effect-resilience"
 *
 * const toResponse = (e: Translate.Translated) => ({ status: e.status, body: { error: e.code, message: e.message } })
 * ```
 *
 * @since 0.1.0
 * @category boundary
 */
export const Translated: typeof internal.Translated = internal.Translated

/**
 * @since 0.1.0
 * @category boundary
 */
export type Translated = internal.Translated

/**
 * An error no rule knew: code `INTERNAL_ERROR`, status 500, "An internal error occurred".
 * Likely a bug: its stack is in the log line `unknown_error` (find it by `requestId`).
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const body = (e: Translate.Unknown) => ({ error: e.code, message: e.message, request_id: e.requestId })
 * ```
 *
 * @since 0.1.0
 * @category boundary
 */
export const Unknown: typeof internal.Unknown = internal.Unknown

/**
 * @since 0.1.0
 * @category boundary
 */
export type Unknown = internal.Unknown

/**
 * What the boundary fails with.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const status = (e: Translate.BoundaryError) => e.status
 * ```
 *
 * @since 0.1.0
 * @category boundary
 */
export type BoundaryError = internal.BoundaryError

/**
 * The message users see for an unknown error.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * Translate.unknownMessage // "An internal error occurred"
 * ```
 *
 * @since 0.1.0
 * @category boundary
 */
export const unknownMessage: string = internal.unknownMessage

/**
 * Turns a cause into the boundary's result, logging and counting it: taxonomy errors are
 * logged at their severity and counted in {@link knownErrors}; translated ones are logged as
 * `translated_error` (WARN, with the code, no stack) and counted per code in
 * {@link translatedErrors}; unknown ones are logged as `unknown_error` (ERROR, with stack) and
 * counted in {@link unknownErrors}.
 *
 * @example
 * ```ts
 * import { Cause, Effect } from "effect"
 * import { Translate } from "effect-resilience"
 *
 * const result = Translate.handle(Cause.die(new TypeError("x is undefined"))) // Effect<Unknown>
 * ```
 *
 * @since 0.1.0
 * @category boundary
 */
export const handle: <E>(cause: Cause.Cause<E>) => Effect.Effect<BoundaryError> = internal.handle

/**
 * Applies translation at the edge of a program (HTTP handler, queue consumer, CLI main):
 * every failure and defect becomes a typed, safe `Translated | Unknown`, logged and counted
 * as in {@link handle}. Interruptions stay interruptions.
 *
 * **Details**
 *
 * Rules come from {@link Rules} (see {@link withRules}, {@link layerRules}); the request id in
 * the result comes from `ErrorLog.withRequestContext`. Defects are translated too: errors
 * raised at COMMIT arrive as defects carrying a `SqlError`.
 *
 * **Example**
 *
 * ```ts
 * import { Effect } from "effect"
 * import { ErrorLog, Translate } from "effect-resilience"
 *
 * const handler = (work: Effect.Effect<string, Error>) =>
 *   Translate.boundary(work).pipe(
 *     Effect.match({
 *       onFailure: (e) => ({ status: e.status, body: { error: e.code, message: e.message, request_id: e.requestId } }),
 *       onSuccess: (body) => ({ status: 200, body })
 *     }),
 *     ErrorLog.withRequestContext({ requestId: "req-1", operation: "POST /users" })
 *   )
 * ```
 *
 * @since 0.1.0
 * @category boundary
 */
export const boundary: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, BoundaryError, R> =
  internal.boundary

// --- metrics --------------------------------------------------------------------------------

/**
 * Errors translated by a rule at the boundary, tagged with `code`.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Translate } from "effect-resilience"
 *
 * const lockTimeouts = Metric.value(Metric.tagged(Translate.translatedErrors, "code", "DB_LOCK_TIMEOUT"))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const translatedErrors: Metric.Metric.Counter<number> = internal.translatedErrors

/**
 * Taxonomy errors that reached the boundary, tagged with `code`.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Translate } from "effect-resilience"
 *
 * const notFound = Metric.value(Metric.tagged(Translate.knownErrors, "code", "NOT_FOUND"))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const knownErrors: Metric.Metric.Counter<number> = internal.knownErrors

/**
 * Errors no rule knew: the number to watch, since these are the bugs.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Translate } from "effect-resilience"
 *
 * const bugs = Metric.value(Translate.unknownErrors)
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const unknownErrors: Metric.Metric.Counter<number> = internal.unknownErrors

/**
 * Re-exported for templates that set a category.
 *
 * @example
 * ```ts
 * import { Translate } from "effect-resilience"
 *
 * const c: Translate.Category = "Transient"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Category = Errors.Category
