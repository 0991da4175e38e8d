/**
 * Typed translation of Postgres failures (SQLSTATE) into the error taxonomy.
 *
 * Every `SqlError` of `@effect/sql` hides a pg `DatabaseError` (or a socket error) in its
 * non-enumerable `cause`; `Cause.pretty` prints only "Failed to execute statement". This module
 * turns it into one tagged error per kind of failure (`UniqueViolation`, `Deadlock`,
 * `StatementTimeout` ...), each a categorised `Errors` class carrying the SQLSTATE, its
 * condition name, the fields Postgres sent (constraint, table, column, detail ...), an HTTP
 * status and retry advice.
 *
 * | SQLSTATE | tag | category | HTTP | retry |
 * | --- | --- | --- | --- | --- |
 * | 23505 | `UniqueViolation` | Permanent | 409 | never |
 * | 40001 | `SerializationFailure` | Transient | 503 | the whole transaction, with backoff |
 * | 40P01 | `Deadlock` | Transient | 503 | the whole transaction, once |
 * | 55P03 | `LockTimeout` | Transient | 503 | backoff |
 * | 57014 | `StatementTimeout` | Transient | 504 | only if idempotent |
 * | 53300 | `TooManyConnections` | Transient | 503 + Retry-After | backoff |
 *
 * The full table is in the README; the SQLSTATE list itself is generated from Postgres's
 * `errcodes.txt` (`scripts/generate-sqlstate.ts`).
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { Effect, LogLevel, Option, Schedule } from "effect"
import * as internal from "./internal/pgError.js"
import type { Condition, SqlState as SqlStateCode, SqlStateClass as SqlStateClassCode } from "./internal/sqlstate.generated.js"

// --- the SQLSTATE table --------------------------------------------------------

/**
 * Every SQLSTATE Postgres defines (generated from its `errcodes.txt`): `"23505"` is checked by
 * the compiler, `"23506"` is not a `SqlState`.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const unique: PgError.SqlState = "23505"
 * ```
 *
 * @since 0.1.0
 * @category sqlstate
 */
export type SqlState = SqlStateCode

/**
 * Every condition name (the PL/pgSQL spelling: `unique_violation`, `deadlock_detected` ...).
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const c: PgError.ConditionName = "serialization_failure"
 * ```
 *
 * @since 0.1.0
 * @category sqlstate
 */
export type ConditionName = Condition

/**
 * The two-character SQLSTATE classes (`"23"` integrity constraint violation, `"40"` transaction
 * rollback ...).
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const integrity: PgError.SqlStateClass = "23"
 * ```
 *
 * @since 0.1.0
 * @category sqlstate
 */
export type SqlStateClass = SqlStateClassCode

/**
 * The SQLSTATEs of one class, as a literal union.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const divisionByZero: PgError.SqlStateIn<"22"> = "22012"
 * ```
 *
 * @since 0.1.0
 * @category sqlstate
 */
export type SqlStateIn<C extends SqlStateClass> = Extract<SqlState, `${C}${string}`>

/**
 * What the generated table knows about a SQLSTATE.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const info: PgError.SqlStateInfo | undefined = PgError.sqlStateInfo("40P01")
 * info?.condition // "deadlock_detected"
 * ```
 *
 * @since 0.1.0
 * @category sqlstate
 */
export interface SqlStateInfo extends internal.SqlStateInfo {}

/**
 * Looks a SQLSTATE up in the generated table; `undefined` for codes this Postgres does not define.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * PgError.sqlStateInfo("23505")
 * // { sqlstate: "23505", condition: "unique_violation", classCode: "23",
 * //   className: "Integrity Constraint Violation", kind: "error" }
 * ```
 *
 * @since 0.1.0
 * @category sqlstate
 */
export const sqlStateInfo: (sqlstate: string) => SqlStateInfo | undefined = internal.sqlStateInfo

/**
 * Every entry of the generated table, in `errcodes.txt` order.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * PgError.sqlStates.filter((s) => s.classCode === "40").map((s) => s.condition)
 * ```
 *
 * @since 0.1.0
 * @category sqlstate
 */
export const sqlStates: ReadonlyArray<SqlStateInfo> = internal.sqlStates

/**
 * `true` for a SQLSTATE this Postgres defines.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * PgError.isSqlState("40001") // true
 * PgError.isSqlState("99999") // false
 * ```
 *
 * @since 0.1.0
 * @category sqlstate
 */
export const isSqlState: (u: unknown) => u is SqlState = internal.isSqlState

/**
 * The SQLSTATE of a condition name (the first one: a few names exist as a warning and an error).
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * PgError.sqlStateOf("unique_violation") // "23505"
 * ```
 *
 * @since 0.1.0
 * @category sqlstate
 */
export const sqlStateOf: (condition: ConditionName) => SqlState = internal.sqlStateOf

// --- the translated errors ---------------------------------------------------------

/**
 * What a caller should do about a failure:
 *
 * - `transaction`: re-run the whole transaction with backoff (serialization failure)
 * - `transaction-once`: re-run the whole transaction once (deadlock, as the seed says)
 * - `backoff`: retry after a delay (connection lost, lock timeout, too many connections)
 * - `if-idempotent`: the outcome is unknown or the query was cut off; retry only idempotent work
 * - `never`: the same input fails the same way (constraint violations, bugs, configuration)
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const advice: PgError.RetryAdvice = "transaction-once"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type RetryAdvice = internal.RetryAdvice

/**
 * A unique constraint was violated (23505): the row already exists. Permanent, 409.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const conflict = (e: PgError.UniqueViolation) => ({ status: 409, constraint: e.constraint, columns: e.columns })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const UniqueViolation: typeof internal.UniqueViolation = internal.UniqueViolation

/**
 * @since 0.1.0
 * @category errors
 */
export type UniqueViolation = internal.UniqueViolation

/**
 * A foreign key was violated (23503): the referenced row does not exist, or is still referenced.
 * Permanent, 422.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const explain = (e: PgError.ForeignKeyViolation) => `${e.columns?.join(", ")} -> ${e.referencedTable}`
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const ForeignKeyViolation: typeof internal.ForeignKeyViolation = internal.ForeignKeyViolation

/**
 * @since 0.1.0
 * @category errors
 */
export type ForeignKeyViolation = internal.ForeignKeyViolation

/**
 * A CHECK constraint rejected the row (23514). Permanent, 422.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const field = (e: PgError.CheckViolation) => e.constraint // "users_email_check"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const CheckViolation: typeof internal.CheckViolation = internal.CheckViolation

/**
 * @since 0.1.0
 * @category errors
 */
export type CheckViolation = internal.CheckViolation

/**
 * A NOT NULL column got a null (23502); `column` names it. Permanent, 422.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const missing = (e: PgError.NotNullViolation) => `${e.column} is required`
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const NotNullViolation: typeof internal.NotNullViolation = internal.NotNullViolation

/**
 * @since 0.1.0
 * @category errors
 */
export type NotNullViolation = internal.NotNullViolation

/**
 * An exclusion constraint found an overlapping row (23P01), e.g. a double booking. Permanent, 409.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const overlap = (e: PgError.ExclusionViolation) => e.key
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const ExclusionViolation: typeof internal.ExclusionViolation = internal.ExclusionViolation

/**
 * @since 0.1.0
 * @category errors
 */
export type ExclusionViolation = internal.ExclusionViolation

/**
 * Any other integrity violation of class 23 (23000, 23001 restrict_violation). Permanent, 409.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.IntegrityViolation["sqlstate"] = "23001"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const IntegrityViolation: typeof internal.IntegrityViolation = internal.IntegrityViolation

/**
 * @since 0.1.0
 * @category errors
 */
export type IntegrityViolation = internal.IntegrityViolation

/**
 * Class 22: the data was wrong (22P02 invalid text representation, 22012 division by zero,
 * 22001 value too long ...). Permanent, 422.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const badInput = (e: PgError.DataException) => e.sqlstate === "22P02" ? "not a number" : e.condition
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const DataException: typeof internal.DataException = internal.DataException

/**
 * @since 0.1.0
 * @category errors
 */
export type DataException = internal.DataException

/**
 * Class 42 (syntax error or access rule violation): 42601 and every 42xxx not more specific.
 * The query is wrong: a bug. Permanent, 500, logged as unexpected.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.SyntaxError["sqlstate"] = "42601"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const SyntaxError: typeof internal.SyntaxError = internal.SyntaxError

/**
 * @since 0.1.0
 * @category errors
 */
export type SyntaxError = internal.SyntaxError

/**
 * The query names something that does not exist (42P01 undefined_table, 42703 undefined_column,
 * 42883 undefined_function, 3F000 invalid_schema_name ...): a bug or a missing migration.
 * Permanent, 500, logged as unexpected.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.UndefinedObject["condition"] = "undefined_table"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const UndefinedObject: typeof internal.UndefinedObject = internal.UndefinedObject

/**
 * @since 0.1.0
 * @category errors
 */
export type UndefinedObject = internal.UndefinedObject

/**
 * The role lacks a privilege (42501), or row-level security refused the row. Permanent, 500:
 * a grant is missing, not something the end user did.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.InsufficientPrivilege["sqlstate"] = "42501"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const InsufficientPrivilege: typeof internal.InsufficientPrivilege = internal.InsufficientPrivilege

/**
 * @since 0.1.0
 * @category errors
 */
export type InsufficientPrivilege = internal.InsufficientPrivilege

/**
 * Serializable isolation could not order this transaction (40001). Transient, 503 once retries
 * are spent; re-run the whole transaction with backoff ({@link transaction} does).
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const advice = (e: PgError.SerializationFailure) => e.retry // "transaction"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const SerializationFailure: typeof internal.SerializationFailure = internal.SerializationFailure

/**
 * @since 0.1.0
 * @category errors
 */
export type SerializationFailure = internal.SerializationFailure

/**
 * Postgres broke a deadlock by aborting this transaction (40P01). Transient, 503; re-run the
 * whole transaction once ({@link transaction} does).
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const advice = (e: PgError.Deadlock) => e.retry // "transaction-once"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const Deadlock: typeof internal.Deadlock = internal.Deadlock

/**
 * @since 0.1.0
 * @category errors
 */
export type Deadlock = internal.Deadlock

/**
 * The connection was lost while committing (08007) or a statement's completion is unknown
 * (40003): the change may or may not have happened. Transient, 503; retry only idempotent work.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.TransactionOutcomeUnknown["sqlstate"] = "08007"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const TransactionOutcomeUnknown: typeof internal.TransactionOutcomeUnknown = internal.TransactionOutcomeUnknown

/**
 * @since 0.1.0
 * @category errors
 */
export type TransactionOutcomeUnknown = internal.TransactionOutcomeUnknown

/**
 * `lock_timeout` expired waiting for a row or table lock (55P03): another transaction holds it.
 * Transient, 503, backoff.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const where = (e: PgError.LockTimeout) => e.where // "while updating tuple (0,1) in relation \"users\""
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const LockTimeout: typeof internal.LockTimeout = internal.LockTimeout

/**
 * @since 0.1.0
 * @category errors
 */
export type LockTimeout = internal.LockTimeout

/**
 * Class 55 besides lock timeouts (55006 object_in_use, 55000 object_not_in_prerequisite_state
 * ...): the object is busy. Transient, 503, backoff.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.ObjectInUse["sqlstate"] = "55006"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const ObjectInUse: typeof internal.ObjectInUse = internal.ObjectInUse

/**
 * @since 0.1.0
 * @category errors
 */
export type ObjectInUse = internal.ObjectInUse

/**
 * The connection could not be made or was lost: class 08 from the server, or a code-less client
 * error (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ECONNRESET, "Connection terminated unexpectedly",
 * "Connection timed out"), which gets 08001 (never connected) or 08006 (lost) and keeps the
 * `errno`. Transient, 503, backoff and reconnect.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const why = (e: PgError.ConnectionFailure) => e.errno ?? e.serverMessage // "ECONNREFUSED"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const ConnectionFailure: typeof internal.ConnectionFailure = internal.ConnectionFailure

/**
 * @since 0.1.0
 * @category errors
 */
export type ConnectionFailure = internal.ConnectionFailure

/**
 * No connection to be had: the server refused with 53300 (max_connections or a role or database
 * CONNECTION LIMIT, `origin: "server"`), or the client pool's acquire timeout expired
 * (`origin: "pool"`). Transient, 503 with `retryAfter` (read by `Errors.retryAfterOf`).
 *
 * @example
 * ```ts
 * import { Errors, PgError } from "effect-resilience"
 *
 * const header = (e: PgError.TooManyConnections) => Errors.retryAfterOf(e)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const TooManyConnections: typeof internal.TooManyConnections = internal.TooManyConnections

/**
 * @since 0.1.0
 * @category errors
 */
export type TooManyConnections = internal.TooManyConnections

/**
 * The server ran out of memory for this query (53200). Transient, 503 with `retryAfter`.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.OutOfMemory["sqlstate"] = "53200"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const OutOfMemory: typeof internal.OutOfMemory = internal.OutOfMemory

/**
 * @since 0.1.0
 * @category errors
 */
export type OutOfMemory = internal.OutOfMemory

/**
 * Other resource limits of class 53 (53000, 53400 configuration_limit_exceeded). Transient, 503
 * with `retryAfter`.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.InsufficientResources["sqlstate"] = "53400"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const InsufficientResources: typeof internal.InsufficientResources = internal.InsufficientResources

/**
 * @since 0.1.0
 * @category errors
 */
export type InsufficientResources = internal.InsufficientResources

/**
 * The server ended the session: 57P01 admin shutdown or `pg_terminate_backend`, 57P02 crash,
 * 57P03 cannot connect now (starting up), 57P05 idle session timeout. Transient, 503, backoff.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.AdminShutdown["condition"] = "admin_shutdown"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const AdminShutdown: typeof internal.AdminShutdown = internal.AdminShutdown

/**
 * @since 0.1.0
 * @category errors
 */
export type AdminShutdown = internal.AdminShutdown

/**
 * An operating-system error on the server (58000 system_error, 58030 io_error). Transient, 503.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.SystemError["sqlstate"] = "58030"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const SystemError: typeof internal.SystemError = internal.SystemError

/**
 * @since 0.1.0
 * @category errors
 */
export type SystemError = internal.SystemError

/**
 * The statement was cancelled (57014): `statement_timeout`, or `pg_cancel_backend`.
 * Transient (load), 504, and not retried by this module: log the slow query; retry only
 * idempotent reads.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const advice = (e: PgError.StatementTimeout) => e.retry // "if-idempotent"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const StatementTimeout: typeof internal.StatementTimeout = internal.StatementTimeout

/**
 * @since 0.1.0
 * @category errors
 */
export type StatementTimeout = internal.StatementTimeout

/**
 * The server's disk is full (53100). Fatal, 503: nothing the application does helps.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.DiskFull["sqlstate"] = "53100"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const DiskFull: typeof internal.DiskFull = internal.DiskFull

/**
 * @since 0.1.0
 * @category errors
 */
export type DiskFull = internal.DiskFull

/**
 * Class 28: the database refused the credentials (28P01 invalid_password ...). Fatal
 * (configuration), 500. Named after the class so it cannot clash with `Errors.AuthenticationFailed`,
 * which is an end user's failed login (401).
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.InvalidAuthorization["sqlstate"] = "28P01"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const InvalidAuthorization: typeof internal.InvalidAuthorization = internal.InvalidAuthorization

/**
 * @since 0.1.0
 * @category errors
 */
export type InvalidAuthorization = internal.InvalidAuthorization

/**
 * The database named in the connection does not exist (3D000). Fatal (configuration), 500.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.UnknownDatabase["condition"] = "invalid_catalog_name"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const UnknownDatabase: typeof internal.UnknownDatabase = internal.UnknownDatabase

/**
 * @since 0.1.0
 * @category errors
 */
export type UnknownDatabase = internal.UnknownDatabase

/**
 * Client and server disagree on the wire protocol (08P01). Fatal, 500.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.ProtocolViolation["sqlstate"] = "08P01"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const ProtocolViolation: typeof internal.ProtocolViolation = internal.ProtocolViolation

/**
 * @since 0.1.0
 * @category errors
 */
export type ProtocolViolation = internal.ProtocolViolation

/**
 * Postgres found corrupt data or a corrupt index (XX001, XX002). Fatal, 500: stop and page.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.DataCorrupted["condition"] = "index_corrupted"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const DataCorrupted: typeof internal.DataCorrupted = internal.DataCorrupted

/**
 * @since 0.1.0
 * @category errors
 */
export type DataCorrupted = internal.DataCorrupted

/**
 * An internal error of the server (XX000). Fatal, 500.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const s: PgError.InternalError["sqlstate"] = "XX000"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const InternalError: typeof internal.InternalError = internal.InternalError

/**
 * @since 0.1.0
 * @category errors
 */
export type InternalError = internal.InternalError

/**
 * Everything else: a SQLSTATE without a more specific tag (25P02 in_failed_sql_transaction,
 * P0001 raise_exception, codes newer than the generated table ...), or a SqlError without any
 * code. Keeps `sqlstate` and `condition` when there is one, and the SqlError as `cause`.
 * Permanent, 500, logged as unexpected.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const raised = (e: PgError.UnknownSqlError) => e.sqlstate === "P0001" ? e.serverMessage : undefined
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const UnknownSqlError: typeof internal.UnknownSqlError = internal.UnknownSqlError

/**
 * @since 0.1.0
 * @category errors
 */
export type UnknownSqlError = internal.UnknownSqlError

/**
 * Every translated database error, as a Schema: decode a JSON dead letter or log line back into
 * the right class.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { PgError } from "effect-resilience"
 *
 * const decode = Schema.decodeUnknownSync(PgError.PgError)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const PgError: typeof internal.PgError = internal.PgError

/**
 * The union of every translated database error.
 *
 * @since 0.1.0
 * @category errors
 */
export type PgError = typeof PgError.Type

/**
 * The tag of a translated error.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const t: PgError.Tag = "UniqueViolation"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export type Tag = PgError["_tag"]

/**
 * `true` for any translated database error.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * PgError.isPgError(new Error("x")) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isPgError: (u: unknown) => u is PgError = internal.isPgError

// --- translation ------------------------------------------------------------------

/**
 * Options of {@link translate}.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { PgError } from "effect-resilience"
 *
 * const options: PgError.TranslateOptions = { retryAfter: Duration.seconds(2) }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TranslateOptions extends internal.TranslateOptions {}

/**
 * Translates anything that carries a database failure: a `SqlError`, pg's `DatabaseError`, a
 * `Cause` (failures, then defects: COMMIT failures arrive as defects), a `FiberFailure` from
 * `Effect.runPromise`, or an `Error` whose `cause` chain holds one of them. Already translated
 * errors come back as they are; anything else is `None`.
 *
 * **Details**
 *
 * Code-less client errors (ECONNREFUSED, "Connection terminated unexpectedly" ...) count only
 * inside a SqlError: elsewhere they could come from any client. A SqlError without any code
 * becomes `UnknownSqlError`.
 *
 * **Example**
 *
 * ```ts
 * import { Effect, Option } from "effect"
 * import { PgError } from "effect-resilience"
 *
 * // at an outermost boundary, with whatever was caught
 * const describe = (caught: unknown) =>
 *   Option.match(PgError.translate(caught), {
 *     onNone: () => "unknown error",
 *     onSome: (e) => `${e.code}: ${PgError.userMessage(e)}`
 *   })
 * ```
 *
 * @since 0.1.0
 * @category translation
 */
export const translate: (u: unknown, options?: TranslateOptions) => Option.Option<PgError> = internal.translate

/**
 * The SQLSTATE behind anything {@link translate} understands.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const code = (caught: unknown) => PgError.sqlstateOf(caught) // Option<string>
 * ```
 *
 * @since 0.1.0
 * @category translation
 */
export const sqlstateOf: (u: unknown) => Option.Option<string> = internal.sqlstateOf

/**
 * Maps the error channel of any `@effect/sql` effect to the translated union: every `SqlError`
 * failure, and every defect carrying one (COMMIT and ROLLBACK failures, which `withTransaction`
 * turns into defects), becomes a typed `PgError` failure. Other failures pass through.
 *
 * **Example**
 *
 * ```ts
 * import { SqlClient } from "@effect/sql"
 * import { Effect } from "effect"
 * import { PgError } from "effect-resilience"
 *
 * const createUser = (email: string) =>
 *   Effect.flatMap(SqlClient.SqlClient, (sql) => sql`INSERT INTO users (email) VALUES (${email})`).pipe(
 *     PgError.mapErrors,
 *     Effect.catchTags({
 *       UniqueViolation: (e) => Effect.succeed({ status: 409, constraint: e.constraint }),
 *       CheckViolation: (e) => Effect.succeed({ status: 422, constraint: e.constraint })
 *     })
 *   )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const mapErrors: <A, E, R>(
  self: Effect.Effect<A, E, R>
) => Effect.Effect<A, Exclude<E, SqlError> | PgError, R> = internal.mapErrors

/**
 * {@link mapErrors} with options (the `retryAfter` of the 53xxx errors).
 *
 * @example
 * ```ts
 * import { SqlClient } from "@effect/sql"
 * import { Duration, Effect } from "effect"
 * import { PgError } from "effect-resilience"
 *
 * const rows = Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1`).pipe(
 *   PgError.mapErrorsWith({ retryAfter: Duration.seconds(2) })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const mapErrorsWith: (
  options: TranslateOptions
) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, Exclude<E, SqlError> | PgError, R> =
  internal.mapErrorsWith

// --- transactions ------------------------------------------------------------------

/**
 * The default backoff between re-runs of a transaction after a serialization failure:
 * exponential from 10 ms, jittered, capped at 1 s per wait, at most 5 re-runs.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import { PgError } from "effect-resilience"
 *
 * const patient = Schedule.intersect(PgError.defaultTransactionSchedule, Schedule.recurs(10))
 * ```
 *
 * @since 0.1.0
 * @category transactions
 */
export const defaultTransactionSchedule: Schedule.Schedule<unknown, unknown> = internal.defaultTransactionSchedule

/**
 * Options of {@link transaction}.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import { PgError } from "effect-resilience"
 *
 * const options: PgError.TransactionOptions = { schedule: Schedule.recurs(2), deadlockRetries: 1 }
 * ```
 *
 * @since 0.1.0
 * @category transactions
 */
export interface TransactionOptions extends internal.TransactionOptions {}

/**
 * Runs an effect in a transaction and re-runs the whole transaction (BEGIN to COMMIT, not the
 * failed statement) on `SerializationFailure`, with the backoff of `schedule`, and on `Deadlock`,
 * once. Nothing else is retried: not permanent errors, not statement timeouts, not connection
 * losses (a lost COMMIT has an unknown outcome). Errors come out translated, as with
 * {@link mapErrors}; each re-run is logged at WARN with the SQLSTATE.
 *
 * **Details**
 *
 * Inside an outer transaction this only adds a savepoint and never retries: a serialization
 * failure aborts the outer transaction, so only the outermost level can re-run it.
 * The body must be safe to run again: no side effects outside the database.
 *
 * **Example**
 *
 * ```ts
 * import { SqlClient } from "@effect/sql"
 * import { Effect } from "effect"
 * import { PgError } from "effect-resilience"
 *
 * const transfer = (from: number, to: number, amount: number) =>
 *   Effect.gen(function*() {
 *     const sql = yield* SqlClient.SqlClient
 *     yield* sql`SET TRANSACTION ISOLATION LEVEL SERIALIZABLE`
 *     yield* sql`UPDATE accounts SET balance = balance - ${amount} WHERE id = ${from}`
 *     yield* sql`UPDATE accounts SET balance = balance + ${amount} WHERE id = ${to}`
 *   }).pipe(PgError.transaction())
 * ```
 *
 * @since 0.1.0
 * @category transactions
 */
export const transaction: {
  (options?: TransactionOptions): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, Exclude<E, SqlError> | PgError, R | SqlClient.SqlClient>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options?: TransactionOptions
  ): Effect.Effect<A, Exclude<E, SqlError> | PgError, R | SqlClient.SqlClient>
} = internal.transaction

// --- messages ------------------------------------------------------------------------

/**
 * Safe messages for end users, one per tag: no table names, no key values, no SQL. Seed 003's
 * templates for lock and statement timeouts.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * PgError.userMessages.LockTimeout // "Another database transaction is in progress. Please try again later."
 * ```
 *
 * @since 0.1.0
 * @category messages
 */
export const userMessages: { readonly [K in Tag]: string } = internal.userMessages

/**
 * The safe end-user message of a translated error, from {@link userMessages} or your overrides.
 * The developer message is the error's own `message` (condition, SQLSTATE, table, constraint,
 * Postgres's text and detail).
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const body = (e: PgError.PgError) =>
 *   PgError.userMessage(e, { UniqueViolation: "That e-mail address is already registered." })
 * ```
 *
 * @since 0.1.0
 * @category messages
 */
export const userMessage: (error: PgError, overrides?: Partial<Record<Tag, string>>) => string = internal.userMessage

// --- classification without an error ------------------------------------------------

/**
 * What translation would make of a SQLSTATE, without an error at hand: for rule tables keyed by
 * SQLSTATE (the boundary translation registry) and for documentation.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const c: PgError.Classification = PgError.classify("55P03")
 * c.code // "DB_LOCK_TIMEOUT"
 * ```
 *
 * @since 0.1.0
 * @category classification
 */
export interface Classification extends internal.Classification {}

/**
 * Classifies a SQLSTATE: tag, category, error code, HTTP status, retry advice and user message.
 * Unknown codes classify as `UnknownSqlError`.
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * PgError.classify("40P01")
 * // { tag: "Deadlock", category: "Transient", code: "DB_DEADLOCK", status: 503, retry: "transaction-once", ... }
 * ```
 *
 * @since 0.1.0
 * @category classification
 */
export const classify: (sqlstate: string) => Classification = internal.classify

// --- logging -----------------------------------------------------------------------------

/**
 * The structured fields of a translated error for a log line: `error_code`, `error_tag`,
 * `category`, `sqlstate`, `condition`, `constraint`, `table`, `column`, `schema`, `detail`,
 * `hint`, `where`, and `errno` for client-side connection errors. `Cause.pretty` of a SqlError
 * shows none of them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PgError } from "effect-resilience"
 *
 * const log = (e: PgError.PgError) => Effect.logError("db failure").pipe(Effect.annotateLogs(PgError.logAnnotations(e)))
 * ```
 *
 * @since 0.1.0
 * @category logging
 */
export const logAnnotations: (error: PgError) => Record<string, string> = internal.logAnnotations

/**
 * The log level for a translated error: FATAL for fatal errors, ERROR for bugs and for pool
 * exhaustion, statement timeouts and lost connections, WARN for other transient errors, INFO for
 * permanent ones (a duplicate key is a business outcome).
 *
 * @example
 * ```ts
 * import { PgError } from "effect-resilience"
 *
 * const level = (e: PgError.PgError) => PgError.logLevelOf(e).label
 * ```
 *
 * @since 0.1.0
 * @category logging
 */
export const logLevelOf: (error: PgError) => LogLevel.LogLevel = internal.logLevelOf

/**
 * Logs a database failure with its SQLSTATE, condition, constraint and table as annotations.
 * Accepts anything {@link translate} understands; logs nothing for other values.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PgError } from "effect-resilience"
 *
 * const handle = (caught: unknown) => PgError.log(caught, "creating user failed")
 * ```
 *
 * @since 0.1.0
 * @category logging
 */
export const log: (u: unknown, message?: string) => Effect.Effect<void> = internal.log

/**
 * Logs every database failure of an effect (failures and defects) with its fields, and
 * passes the failure on unchanged.
 *
 * @example
 * ```ts
 * import { SqlClient } from "@effect/sql"
 * import { Effect } from "effect"
 * import { PgError } from "effect-resilience"
 *
 * const program = Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1`).pipe(PgError.tapLog("select one"))
 * ```
 *
 * @since 0.1.0
 * @category logging
 */
export const tapLog: {
  (message?: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, message?: string): Effect.Effect<A, E, R>
} = internal.tapLog
