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
import type { Duration as DurationNS } from "effect"
import { Cause, Context, Duration, Effect, LogLevel, Option, Schedule, Schema } from "effect"
import { dual } from "effect/Function"
import * as Errors from "./Errors.js"
import * as internal from "./internal/pgError.js"
import type { Condition, SqlState as SqlStateCode, SqlStateClass as SqlStateClassCode } from "./internal/sqlstate.generated.js"
import { entries } from "./internal/sqlstate.generated.js"

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
export const sqlStateInfo = (sqlstate: string): SqlStateInfo | undefined => internal.table.get(sqlstate)

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
export const sqlStates: ReadonlyArray<SqlStateInfo> = [...internal.table.values()]

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
export const sqlStateOf = (condition: ConditionName): SqlState =>
  Option.getOrThrow(internal.sqlStateOfCondition(condition))

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
export type RetryAdvice = "transaction" | "transaction-once" | "backoff" | "if-idempotent" | "never"

const text = Schema.optionalWith(Schema.String, { exact: true })

const literals = <L extends string>(values: ReadonlyArray<L>): Schema.Schema<L> =>
  Schema.Literal(...(values as unknown as [L, ...Array<L>]))

const ConditionSchema: Schema.Schema<Condition> = literals([...new Set(entries.map(([, condition]) => condition))])

/** The fields every translated error shares: what Postgres (or the client) reported. */
const reported = {
  /** Postgres's primary message, or the client's for connection errors. */
  serverMessage: Schema.String,
  detail: text,
  hint: text,
  where: text,
  schema: text,
  table: text,
  column: text,
  dataType: text,
  constraint: text
}

/** `sqlstate` is the literal union of exactly the codes that translate to `tag`. */
const fields = <S extends SqlState>(tag: internal.Tag) => ({
  sqlstate: literals(internal.codesRoutedTo(tag)) as unknown as Schema.Schema<S>,
  condition: ConditionSchema,
  ...reported
})

/** Key columns and value parsed from pg's detail ("Key (email)=(a@b) already exists."). */
const keyFields = {
  columns: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  key: text
}

const retryAfterField = { retryAfter: Schema.optionalWith(Errors.Millis, { exact: true }) }

interface Reported {
  readonly sqlstate?: string | undefined
  readonly condition?: string | undefined
  readonly serverMessage: string
  readonly detail?: string | undefined
  readonly table?: string | undefined
  readonly column?: string | undefined
  readonly constraint?: string | undefined
}

/** The developer message: condition, SQLSTATE, where it happened, and what Postgres said. */
const developerMessage = (e: Reported): string => {
  const head = e.sqlstate === undefined ? "database error" : `${e.condition ?? "unknown"} (${e.sqlstate})`
  const place = [
    e.table === undefined ? "" : ` table "${e.table}"`,
    e.column === undefined ? "" : ` column "${e.column}"`,
    e.constraint === undefined ? "" : ` constraint "${e.constraint}"`
  ].join("")
  return `${head}${place === "" ? "" : ` on${place}`}: ${e.serverMessage}${e.detail === undefined ? "" : ` (${e.detail})`}`
}

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
export class UniqueViolation extends Errors.Permanent<UniqueViolation>()("UniqueViolation", {
  ...fields<"23505">("UniqueViolation"),
  ...keyFields
}, { code: "DB_UNIQUE_VIOLATION", status: 409, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class ForeignKeyViolation extends Errors.Permanent<ForeignKeyViolation>()("ForeignKeyViolation", {
  ...fields<"23503">("ForeignKeyViolation"),
  ...keyFields,
  referencedTable: text
}, { code: "DB_FOREIGN_KEY_VIOLATION", status: 422, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class CheckViolation extends Errors.Permanent<CheckViolation>()("CheckViolation", {
  ...fields<"23514">("CheckViolation")
}, { code: "DB_CHECK_VIOLATION", status: 422, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class NotNullViolation extends Errors.Permanent<NotNullViolation>()("NotNullViolation", {
  ...fields<"23502">("NotNullViolation")
}, { code: "DB_NOT_NULL_VIOLATION", status: 422, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class ExclusionViolation extends Errors.Permanent<ExclusionViolation>()("ExclusionViolation", {
  ...fields<"23P01">("ExclusionViolation"),
  ...keyFields
}, { code: "DB_EXCLUSION_VIOLATION", status: 409, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class IntegrityViolation extends Errors.Permanent<IntegrityViolation>()("IntegrityViolation", {
  ...fields<SqlStateIn<"23">>("IntegrityViolation")
}, { code: "DB_INTEGRITY_VIOLATION", status: 409, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class DataException extends Errors.Permanent<DataException>()("DataException", {
  ...fields<SqlStateIn<"22">>("DataException")
}, { code: "DB_DATA_EXCEPTION", status: 422, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class SyntaxError extends Errors.Permanent<SyntaxError>()("SyntaxError", {
  ...fields<SqlStateIn<"42">>("SyntaxError")
}, { code: "DB_SYNTAX_ERROR", status: 500, severity: "unexpected", message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class UndefinedObject extends Errors.Permanent<UndefinedObject>()("UndefinedObject", {
  ...fields<SqlState>("UndefinedObject")
}, { code: "DB_UNDEFINED_OBJECT", status: 500, severity: "unexpected", message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class InsufficientPrivilege extends Errors.Permanent<InsufficientPrivilege>()("InsufficientPrivilege", {
  ...fields<"42501">("InsufficientPrivilege")
}, { code: "DB_INSUFFICIENT_PRIVILEGE", status: 500, severity: "unexpected", message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class SerializationFailure extends Errors.Transient<SerializationFailure>()("SerializationFailure", {
  ...fields<"40001">("SerializationFailure")
}, { code: "DB_SERIALIZATION_FAILURE", status: 503, message: developerMessage }) {
  get retry(): "transaction" {
    return "transaction"
  }
}

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
export class Deadlock extends Errors.Transient<Deadlock>()("Deadlock", {
  ...fields<"40P01">("Deadlock")
}, { code: "DB_DEADLOCK", status: 503, message: developerMessage }) {
  get retry(): "transaction-once" {
    return "transaction-once"
  }
}

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
export class TransactionOutcomeUnknown
  extends Errors.Transient<TransactionOutcomeUnknown>()("TransactionOutcomeUnknown", {
    ...fields<"40003" | "08007">("TransactionOutcomeUnknown")
  }, { code: "DB_OUTCOME_UNKNOWN", status: 503, message: developerMessage })
{
  get retry(): "if-idempotent" {
    return "if-idempotent"
  }
}

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
export class LockTimeout extends Errors.Transient<LockTimeout>()("LockTimeout", {
  ...fields<"55P03">("LockTimeout")
}, { code: "DB_LOCK_TIMEOUT", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

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
export class ObjectInUse extends Errors.Transient<ObjectInUse>()("ObjectInUse", {
  ...fields<SqlStateIn<"55">>("ObjectInUse")
}, { code: "DB_OBJECT_IN_USE", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

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
export class ConnectionFailure extends Errors.Transient<ConnectionFailure>()("ConnectionFailure", {
  ...fields<SqlStateIn<"08">>("ConnectionFailure"),
  origin: Schema.Literal("server", "client"),
  errno: text
}, { code: "DB_CONNECTION_FAILURE", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

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
export class TooManyConnections extends Errors.Transient<TooManyConnections>()("TooManyConnections", {
  ...fields<"53300">("TooManyConnections"),
  origin: Schema.Literal("server", "pool"),
  ...retryAfterField
}, { code: "DB_TOO_MANY_CONNECTIONS", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

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
export class OutOfMemory extends Errors.Transient<OutOfMemory>()("OutOfMemory", {
  ...fields<"53200">("OutOfMemory"),
  ...retryAfterField
}, { code: "DB_OUT_OF_MEMORY", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

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
export class InsufficientResources extends Errors.Transient<InsufficientResources>()("InsufficientResources", {
  ...fields<SqlStateIn<"53">>("InsufficientResources"),
  ...retryAfterField
}, { code: "DB_INSUFFICIENT_RESOURCES", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

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
export class AdminShutdown extends Errors.Transient<AdminShutdown>()("AdminShutdown", {
  ...fields<"57P01" | "57P02" | "57P03" | "57P05">("AdminShutdown")
}, { code: "DB_ADMIN_SHUTDOWN", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

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
export class SystemError extends Errors.Transient<SystemError>()("SystemError", {
  ...fields<"58000" | "58030">("SystemError")
}, { code: "DB_SYSTEM_ERROR", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

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
export class StatementTimeout extends Errors.Transient<StatementTimeout>()("StatementTimeout", {
  ...fields<"57014">("StatementTimeout")
}, { code: "DB_STATEMENT_TIMEOUT", status: 504, message: developerMessage }) {
  get retry(): "if-idempotent" {
    return "if-idempotent"
  }
}

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
export class DiskFull extends Errors.Fatal<DiskFull>()("DiskFull", {
  ...fields<"53100">("DiskFull")
}, { code: "DB_DISK_FULL", status: 503, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class InvalidAuthorization extends Errors.Fatal<InvalidAuthorization>()("InvalidAuthorization", {
  ...fields<SqlStateIn<"28">>("InvalidAuthorization")
}, { code: "DB_AUTHENTICATION_FAILED", status: 500, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class UnknownDatabase extends Errors.Fatal<UnknownDatabase>()("UnknownDatabase", {
  ...fields<"3D000">("UnknownDatabase")
}, { code: "DB_UNKNOWN_DATABASE", status: 500, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class ProtocolViolation extends Errors.Fatal<ProtocolViolation>()("ProtocolViolation", {
  ...fields<"08P01">("ProtocolViolation")
}, { code: "DB_PROTOCOL_VIOLATION", status: 500, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class DataCorrupted extends Errors.Fatal<DataCorrupted>()("DataCorrupted", {
  ...fields<"XX001" | "XX002">("DataCorrupted")
}, { code: "DB_DATA_CORRUPTED", status: 500, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class InternalError extends Errors.Fatal<InternalError>()("InternalError", {
  ...fields<SqlStateIn<"XX">>("InternalError")
}, { code: "DB_INTERNAL_ERROR", status: 500, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export class UnknownSqlError extends Errors.Permanent<UnknownSqlError>()("UnknownSqlError", {
  sqlstate: text,
  condition: text,
  ...reported
}, { code: "DB_UNKNOWN_ERROR", status: 500, severity: "unexpected", message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

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
export const PgError = Schema.Union(
  UniqueViolation,
  ForeignKeyViolation,
  CheckViolation,
  NotNullViolation,
  ExclusionViolation,
  IntegrityViolation,
  DataException,
  SyntaxError,
  UndefinedObject,
  InsufficientPrivilege,
  SerializationFailure,
  Deadlock,
  TransactionOutcomeUnknown,
  LockTimeout,
  ObjectInUse,
  ConnectionFailure,
  TooManyConnections,
  OutOfMemory,
  InsufficientResources,
  AdminShutdown,
  SystemError,
  StatementTimeout,
  DiskFull,
  InvalidAuthorization,
  UnknownDatabase,
  ProtocolViolation,
  DataCorrupted,
  InternalError,
  UnknownSqlError
)

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

type AnyClass = new(props: any, disableValidation?: boolean) => PgError

const classes: { readonly [K in Tag]: AnyClass } = {
  UniqueViolation,
  ForeignKeyViolation,
  CheckViolation,
  NotNullViolation,
  ExclusionViolation,
  IntegrityViolation,
  DataException,
  SyntaxError,
  UndefinedObject,
  InsufficientPrivilege,
  SerializationFailure,
  Deadlock,
  TransactionOutcomeUnknown,
  LockTimeout,
  ObjectInUse,
  ConnectionFailure,
  TooManyConnections,
  OutOfMemory,
  InsufficientResources,
  AdminShutdown,
  SystemError,
  StatementTimeout,
  DiskFull,
  InvalidAuthorization,
  UnknownDatabase,
  ProtocolViolation,
  DataCorrupted,
  InternalError,
  UnknownSqlError
}

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
export const isPgError = (u: unknown): u is PgError =>
  Errors.isCategorized(u) && Object.hasOwn(classes, u._tag) && u instanceof classes[u._tag as Tag]

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
export interface TranslateOptions {
  /** The `retryAfter` of TooManyConnections, OutOfMemory and InsufficientResources (default 1 s). */
  readonly retryAfter?: DurationNS.DurationInput | undefined
}

const defaultRetryAfter = Duration.seconds(1)

const withRetryAfter = new Set<Tag>(["TooManyConnections", "OutOfMemory", "InsufficientResources"])
const withKey = new Set<Tag>(["UniqueViolation", "ForeignKeyViolation", "ExclusionViolation"])

const build = (raw: internal.Raw, options?: TranslateOptions): PgError => {
  const tag: Tag = raw.sqlstate === undefined ? "UnknownSqlError" : internal.routeOf(raw.sqlstate)
  const props: Record<string, unknown> = { serverMessage: raw.serverMessage }
  if (raw.sqlstate !== undefined) {
    props["sqlstate"] = raw.sqlstate
    const condition = internal.table.get(raw.sqlstate)?.condition
    if (condition !== undefined) props["condition"] = condition
  }
  for (const key of ["detail", "hint", "where", "schema", "table", "column", "dataType", "constraint"] as const) {
    if (raw[key] !== undefined) props[key] = raw[key]
  }
  if (withKey.has(tag)) {
    const parsed = internal.parseKeyDetail(raw.detail)
    if (parsed !== undefined) {
      props["columns"] = parsed.columns
      props["key"] = parsed.key
      if (tag === "ForeignKeyViolation" && parsed.referencedTable !== undefined) {
        props["referencedTable"] = parsed.referencedTable
      }
    }
  }
  if (withRetryAfter.has(tag)) {
    props["retryAfter"] = options?.retryAfter === undefined ? defaultRetryAfter : Duration.decode(options.retryAfter)
  }
  if (tag === "ConnectionFailure" || tag === "TooManyConnections") props["origin"] = raw.origin
  if (tag === "ConnectionFailure" && raw.errno !== undefined) props["errno"] = raw.errno
  // Fields come from the generated table and pg's own strings: validation would only cost time.
  const error = new classes[tag](props, true)
  // The SqlError stays reachable for stack traces, but is not part of the encoded error.
  Object.defineProperty(error, "cause", { value: raw.cause, enumerable: false, configurable: true, writable: true })
  return error
}

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
export const translate = (u: unknown, options?: TranslateOptions): Option.Option<PgError> => {
  if (isPgError(u)) return Option.some(u)
  return Option.map(internal.extract(u), (raw) => build(raw, options))
}

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
export const sqlstateOf = (u: unknown): Option.Option<string> =>
  Option.flatMap(translate(u), (e) => Option.fromNullable(e.sqlstate))

const translateCause = <E>(cause: Cause.Cause<E>, options?: TranslateOptions): Cause.Cause<Exclude<E, SqlError> | PgError> =>
  Cause.match(cause, {
    onEmpty: Cause.empty as Cause.Cause<Exclude<E, SqlError> | PgError>,
    onFail: (e) => Cause.fail(internal.isSqlError(e) ? build(Option.getOrThrow(internal.extract(e)), options) : e as Exclude<E, SqlError>),
    onDie: (defect) =>
      internal.isSqlError(defect) || internal.isDatabaseError(defect)
        ? Cause.fail(build(Option.getOrThrow(internal.extract(defect)), options))
        : Cause.die(defect),
    onInterrupt: (fiberId) => Cause.interrupt(fiberId),
    onSequential: (left, right) => Cause.sequential(left, right),
    onParallel: (left, right) => Cause.parallel(left, right)
  })

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
export const mapErrors = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, SqlError> | PgError, R> =>
  Effect.mapErrorCause(self, (cause) => translateCause(cause))

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
export const mapErrorsWith = (options: TranslateOptions) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, SqlError> | PgError, R> =>
  Effect.mapErrorCause(self, (cause) => translateCause(cause, options))

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
export const defaultTransactionSchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("10 millis").pipe(
  Schedule.jittered,
  Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(1))),
  Schedule.intersect(Schedule.recurs(5))
)

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
export interface TransactionOptions extends TranslateOptions {
  /** Delays and bound for re-runs (default {@link defaultTransactionSchedule}); it sees the PgError. */
  readonly schedule?: Schedule.Schedule<unknown, PgError> | undefined
  /** How many times a deadlock re-runs the transaction (default 1, as the seed says). */
  readonly deadlockRetries?: number | undefined
}

// @effect/sql is an optional peer: the tags are looked up by their keys, so importing this module
// (for `translate`, at a boundary that never touches a database) does not need it installed.
const SqlClientTag = Context.GenericTag<SqlClient.SqlClient>("@effect/sql/SqlClient")
const TransactionConnectionTag = Context.GenericTag<SqlClient.TransactionConnection, unknown>(
  "@effect/sql/SqlClient/TransactionConnection"
)

const retryable = (e: PgError, deadlocks: number, deadlockRetries: number): boolean =>
  e._tag === "SerializationFailure" || (e._tag === "Deadlock" && deadlocks <= deadlockRetries)

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
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(self: Effect.Effect<A, E, R>, options: TransactionOptions = {}) =>
    Effect.flatMap(SqlClientTag, (sql) => {
      const once = mapErrorsWith(options)(sql.withTransaction(self))
      return Effect.flatMap(Effect.serviceOption(TransactionConnectionTag), (outer) => {
        if (Option.isSome(outer)) return once
        const deadlockRetries = options.deadlockRetries ?? 1
        // A driver rather than Effect.retry: the schedule only ever sees retryable PgErrors.
        return Effect.flatMap(Schedule.driver(options.schedule ?? defaultTransactionSchedule), (driver) => {
          let deadlocks = 0
          const attempt: Effect.Effect<A, Exclude<E, SqlError> | PgError, R> = Effect.catchAll(once, (e) => {
            if (!isPgError(e)) return Effect.fail(e)
            if (e._tag === "Deadlock") deadlocks++
            if (!retryable(e, deadlocks, deadlockRetries)) return Effect.fail(e)
            return Effect.matchEffect(driver.next(e), {
              onFailure: () => Effect.fail(e),
              onSuccess: () =>
                Effect.logWarning("re-running transaction").pipe(
                  Effect.annotateLogs(logAnnotations(e)),
                  Effect.zipRight(attempt)
                )
            })
          })
          return attempt
        })
      })
    })
)

// --- messages ------------------------------------------------------------------------

const tryLater = "Please try again later."
const internalProblem = "An internal error occurred. It has been logged; please contact support if it persists."

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
export const userMessages: { readonly [K in Tag]: string } = {
  UniqueViolation: "This record already exists.",
  ForeignKeyViolation: "This refers to a record that does not exist, or the record is still in use.",
  CheckViolation: "Some of the values are not valid.",
  NotNullViolation: "A required value is missing.",
  ExclusionViolation: "This conflicts with an existing record.",
  IntegrityViolation: "This conflicts with existing data.",
  DataException: "Some of the values are not valid.",
  SyntaxError: internalProblem,
  UndefinedObject: internalProblem,
  InsufficientPrivilege: internalProblem,
  SerializationFailure: `Another database transaction changed the same data. ${tryLater}`,
  Deadlock: `Another database transaction is in progress. ${tryLater}`,
  TransactionOutcomeUnknown:
    "The connection to the database was lost before the change was confirmed. Check whether it was saved before trying again.",
  LockTimeout: `Another database transaction is in progress. ${tryLater}`,
  ObjectInUse: `The data is in use by another operation. ${tryLater}`,
  ConnectionFailure: `The database is temporarily unavailable. ${tryLater}`,
  TooManyConnections: `The database is overloaded. ${tryLater}`,
  OutOfMemory: `The database is overloaded. ${tryLater}`,
  InsufficientResources: `The database is overloaded. ${tryLater}`,
  AdminShutdown: `The database is temporarily unavailable. ${tryLater}`,
  SystemError: `The database is temporarily unavailable. ${tryLater}`,
  StatementTimeout: `Database query took too long. This might happen if the system is overloaded. ${tryLater}`,
  DiskFull: `The database cannot store more data right now. ${tryLater}`,
  InvalidAuthorization: internalProblem,
  UnknownDatabase: internalProblem,
  ProtocolViolation: internalProblem,
  DataCorrupted: internalProblem,
  InternalError: internalProblem,
  UnknownSqlError: internalProblem
}

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
export const userMessage = (error: PgError, overrides?: Partial<Record<Tag, string>>): string =>
  overrides?.[error._tag] ?? userMessages[error._tag]

// Every translated error answers `userMessage`, which `Problem` and `Translate` prefer over the
// developer message: a 409 must say "This record already exists.", not name the constraint and
// echo the duplicate key.
for (const [tag, cls] of Object.entries(classes)) {
  Object.defineProperty(cls.prototype, "userMessage", {
    get: () => userMessages[tag as Tag],
    enumerable: false,
    configurable: true
  })
}

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
export interface Classification {
  readonly sqlstate: string
  readonly condition: ConditionName | undefined
  readonly className: string | undefined
  readonly tag: Tag
  readonly category: Errors.Category
  readonly code: string
  readonly status: number
  readonly retry: RetryAdvice
  readonly userMessage: string
}

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
export const classify = (sqlstate: string): Classification => {
  const tag = internal.routeOf(sqlstate)
  const prototype = classes[tag].prototype as PgError
  const meta = Errors.metaOf(prototype)!
  const info = internal.table.get(sqlstate)
  return {
    sqlstate,
    condition: info?.condition,
    className: info?.className,
    tag,
    category: meta.category,
    code: meta.code,
    status: Errors.statusOf(prototype),
    retry: prototype.retry,
    userMessage: userMessages[tag]
  }
}

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
export const logAnnotations = (error: PgError): Record<string, string> => {
  const out: Record<string, string> = {
    error_code: error.code,
    error_tag: error._tag,
    category: error.category
  }
  const add = (key: string, value: unknown) => {
    if (typeof value === "string" && value !== "") out[key] = value
  }
  add("sqlstate", error.sqlstate)
  add("condition", error.condition)
  for (const key of ["constraint", "table", "column", "schema", "detail", "hint", "where"] as const) {
    add(key, error[key])
  }
  if (error._tag === "ConnectionFailure") add("errno", error.errno)
  return out
}

/** Louder than the category alone: the seed logs pool exhaustion, timeouts and refusals as errors. */
const loud = new Set<Tag>(["TooManyConnections", "StatementTimeout", "ConnectionFailure"])

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
export const logLevelOf = (error: PgError): LogLevel.LogLevel => {
  const severity = Errors.severityOf(error)
  if (severity === "critical") return LogLevel.Fatal
  if (severity === "unexpected" || loud.has(error._tag)) return LogLevel.Error
  return error.category === "Transient" ? LogLevel.Warning : LogLevel.Info
}

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
export const log = (u: unknown, message = "database error"): Effect.Effect<void> =>
  Option.match(translate(u), {
    onNone: () => Effect.void,
    onSome: (error) =>
      Effect.logWithLevel(logLevelOf(error), `${message}: ${error.message}`).pipe(
        Effect.annotateLogs(logAnnotations(error))
      )
  })

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
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(self: Effect.Effect<A, E, R>, message?: string) =>
    Effect.tapErrorCause(self, (cause) => log(cause, message))
)
