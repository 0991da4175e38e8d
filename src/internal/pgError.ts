import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Cause, Chunk, Context, Duration, Effect, LogLevel, Option, Predicate, Runtime, Schedule, Schema } from "effect"
import { dual } from "effect/Function"
import * as Errors from "../Errors.js"
import type { Condition, SqlState, SqlStateClass } from "./sqlstate.generated.js"
import { classNames, entries } from "./sqlstate.generated.js"

// --- the SQLSTATE table -------------------------------------------------------

/** @internal */
export interface SqlStateInfo {
  readonly sqlstate: SqlState
  readonly condition: Condition
  readonly classCode: SqlStateClass
  readonly className: string
  readonly kind: "error" | "warning" | "success"
}

const kinds = { E: "error", W: "warning", S: "success" } as const

/** @internal */
export const table: ReadonlyMap<string, SqlStateInfo> = new Map(
  entries.map(([sqlstate, condition, kind]) => {
    const classCode = sqlstate.slice(0, 2) as SqlStateClass
    return [sqlstate, { sqlstate, condition, classCode, className: classNames[classCode], kind: kinds[kind] }]
  })
)

/** @internal */
export const isSqlState = (u: unknown): u is SqlState => typeof u === "string" && table.has(u)

/** @internal */
export const lookup = (sqlstate: string): Option.Option<SqlStateInfo> => Option.fromNullable(table.get(sqlstate))

/** @internal */
export const sqlStateOfCondition = (condition: string): Option.Option<SqlState> => {
  for (const info of table.values()) if (info.condition === condition) return Option.some(info.sqlstate)
  return Option.none()
}

/** @internal */
export const sqlStateInfo = (sqlstate: string): SqlStateInfo | undefined => table.get(sqlstate)

/** @internal */
export const sqlStates: ReadonlyArray<SqlStateInfo> = [...table.values()]

/** @internal */
export const sqlStateOf = (condition: Condition): SqlState => Option.getOrThrow(sqlStateOfCondition(condition))

/** @internal */
export type SqlStateIn<C extends SqlStateClass> = Extract<SqlState, `${C}${string}`>

// --- routing: SQLSTATE -> tag ------------------------------------------------

/** @internal The tags of the translated union. */
export type Tag =
  | "UniqueViolation"
  | "ForeignKeyViolation"
  | "CheckViolation"
  | "NotNullViolation"
  | "ExclusionViolation"
  | "IntegrityViolation"
  | "DataException"
  | "SyntaxError"
  | "UndefinedObject"
  | "InsufficientPrivilege"
  | "SerializationFailure"
  | "Deadlock"
  | "TransactionOutcomeUnknown"
  | "LockTimeout"
  | "ObjectInUse"
  | "ConnectionFailure"
  | "TooManyConnections"
  | "OutOfMemory"
  | "InsufficientResources"
  | "AdminShutdown"
  | "SystemError"
  | "StatementTimeout"
  | "DiskFull"
  | "InvalidAuthorization"
  | "UnknownDatabase"
  | "ProtocolViolation"
  | "DataCorrupted"
  | "InternalError"
  | "UnknownSqlError"

const byCode: Readonly<Record<string, Tag>> = {
  "23505": "UniqueViolation",
  "23503": "ForeignKeyViolation",
  "23514": "CheckViolation",
  "23502": "NotNullViolation",
  "23P01": "ExclusionViolation",
  "40001": "SerializationFailure",
  "40P01": "Deadlock",
  "40003": "TransactionOutcomeUnknown",
  "08007": "TransactionOutcomeUnknown",
  "08P01": "ProtocolViolation",
  "55P03": "LockTimeout",
  "53300": "TooManyConnections",
  "53100": "DiskFull",
  "53200": "OutOfMemory",
  "57014": "StatementTimeout",
  "57P01": "AdminShutdown",
  "57P02": "AdminShutdown",
  "57P03": "AdminShutdown",
  "57P05": "AdminShutdown",
  "58000": "SystemError",
  "58030": "SystemError",
  "42501": "InsufficientPrivilege",
  "42601": "SyntaxError",
  "3D000": "UnknownDatabase",
  // invalid_*_name with "does not exist" messages: schema, prepared statement, cursor
  "3F000": "UndefinedObject",
  "26000": "UndefinedObject",
  "34000": "UndefinedObject",
  "XX001": "DataCorrupted",
  "XX002": "DataCorrupted"
}

/** Each class's default for the codes the table above does not name. */
const byClass: Readonly<Partial<Record<SqlStateClass, Tag>>> = {
  "08": "ConnectionFailure",
  "22": "DataException",
  "23": "IntegrityViolation",
  "28": "InvalidAuthorization",
  "42": "SyntaxError",
  "53": "InsufficientResources",
  "55": "ObjectInUse",
  "XX": "InternalError"
}

/**
 * @internal
 * The tag a SQLSTATE translates to. Codes this Postgres version does not define are unknown:
 * the typed classes only accept codes from the generated table.
 */
export const routeOf = (sqlstate: string): Tag => {
  const info = table.get(sqlstate)
  if (info === undefined) return "UnknownSqlError"
  const exact = byCode[sqlstate]
  if (exact !== undefined) return exact
  // 42P01 undefined_table, 42703 undefined_column, 42883 undefined_function, 42704 undefined_object ...
  if (info.condition.startsWith("undefined_")) return "UndefinedObject"
  return byClass[info.classCode] ?? "UnknownSqlError"
}

/** @internal Every SQLSTATE of the table that routes to `tag`. */
export const codesRoutedTo = (tag: Tag): ReadonlyArray<SqlState> =>
  entries.filter(([code]) => routeOf(code) === tag).map(([code]) => code)

// --- finding the database failure in anything --------------------------------

/** @internal What the translation needs from a pg error, a connection error or a pool timeout. */
export interface Raw {
  readonly sqlstate: string | undefined
  readonly serverMessage: string
  readonly origin: "server" | "client" | "pool"
  readonly errno?: string | undefined
  readonly detail?: string | undefined
  readonly hint?: string | undefined
  readonly where?: string | undefined
  readonly schema?: string | undefined
  readonly table?: string | undefined
  readonly column?: string | undefined
  readonly dataType?: string | undefined
  readonly constraint?: string | undefined
  /** The value the translated error keeps as its (non-serialised) `cause`. */
  readonly cause: unknown
}

const SqlErrorTypeId = Symbol.for("@effect/sql/SqlError")

/** @internal A `SqlError` of @effect/sql (by its type id, so no runtime import is needed). */
export const isSqlError = (u: unknown): u is { readonly _tag: "SqlError"; readonly cause?: unknown; readonly message: string } =>
  Predicate.hasProperty(u, SqlErrorTypeId) && (u as { _tag?: unknown })._tag === "SqlError"

const sqlstatePattern = /^[0-9A-Z]{5}$/

/** @internal pg's `DatabaseError` (from pg-protocol), recognised by shape. */
export const isDatabaseError = (u: unknown): u is Error & Record<string, unknown> & { readonly code: string } =>
  u instanceof Error &&
  typeof (u as { code?: unknown }).code === "string" &&
  sqlstatePattern.test((u as unknown as { code: string }).code) &&
  typeof (u as { severity?: unknown }).severity === "string"

const str = (u: unknown): string | undefined => typeof u === "string" && u !== "" ? u : undefined

const fromDatabaseError = (e: Error & Record<string, unknown> & { readonly code: string }, cause: unknown): Raw => ({
  sqlstate: e.code,
  serverMessage: e.message,
  origin: "server",
  detail: str(e["detail"]),
  hint: str(e["hint"]),
  where: str(e["where"]),
  schema: str(e["schema"]),
  table: str(e["table"]),
  column: str(e["column"]),
  dataType: str(e["dataType"]),
  constraint: str(e["constraint"]),
  cause
})

/** Node socket errors before a session exists: the server was never reached. */
const connectErrnos = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"])
/** Socket errors of an established session: it was lost. */
const lostErrnos = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"])
const lostMessages = /Connection terminated|Client has encountered a connection error|Client was closed|connection .*closed/i
const connectMessages = /Connection timed out|timeout expired|connection timeout/i
const poolTimeout = /timeout exceeded when trying to connect/i

/** A code-less failure of pg or pg-pool, as the SQLSTATE a JDBC driver would report for it. */
const fromClientError = (e: Error, cause: unknown): Raw | undefined => {
  const errno = str((e as { code?: unknown }).code)
  const base = { serverMessage: e.message, errno, cause }
  if (poolTimeout.test(e.message)) return { ...base, sqlstate: "53300", origin: "pool" }
  if (errno !== undefined && connectErrnos.has(errno)) return { ...base, sqlstate: "08001", origin: "client" }
  if (errno !== undefined && lostErrnos.has(errno)) return { ...base, sqlstate: "08006", origin: "client" }
  if (connectMessages.test(e.message)) return { ...base, sqlstate: "08001", origin: "client" }
  if (lostMessages.test(e.message)) return { ...base, sqlstate: "08006", origin: "client" }
  return undefined
}

const maxDepth = 8

const causeOf = (u: unknown): unknown => Predicate.hasProperty(u, "cause") ? (u as { cause: unknown }).cause : undefined

/** Inside a SqlError: a pg error, a connection error, or whatever wraps one of them. */
const fromSqlErrorCause = (cause: unknown, sqlError: { readonly message: string }, depth: number): Raw => {
  let current = cause
  for (let i = depth; i < maxDepth && current !== undefined; i++) {
    if (isDatabaseError(current)) return fromDatabaseError(current, sqlError)
    if (current instanceof Error) {
      const client = fromClientError(current, sqlError)
      if (client !== undefined) return client
    }
    current = causeOf(current)
  }
  return {
    sqlstate: undefined,
    serverMessage: cause instanceof Error ? cause.message : sqlError.message,
    origin: "client",
    cause: sqlError
  }
}

/**
 * @internal
 * Finds the database failure in a SqlError, a pg DatabaseError, a Cause (failures first, then
 * defects: COMMIT failures are defects), a FiberFailure, or an Error's `cause` chain.
 * Code-less connection errors count only inside a SqlError: elsewhere an ECONNREFUSED could
 * come from any client.
 */
export const extract = (u: unknown, depth = 0): Option.Option<Raw> => {
  if (depth >= maxDepth || u === null || typeof u !== "object") return Option.none()
  if (isSqlError(u)) return Option.some(fromSqlErrorCause(u.cause, u, depth + 1))
  if (isDatabaseError(u)) return Option.some(fromDatabaseError(u, u))
  if (Cause.isCause(u)) {
    for (const candidate of Chunk.appendAll(Cause.failures(u), Cause.defects(u))) {
      const found = extract(candidate, depth + 1)
      if (Option.isSome(found)) return found
    }
    return Option.none()
  }
  if (Runtime.isFiberFailure(u)) return extract(u[Runtime.FiberFailureCauseId], depth + 1)
  return extract(causeOf(u), depth + 1)
}

// --- detail parsing ------------------------------------------------------------

/** @internal The key columns and value pg puts in `detail` for unique, FK and exclusion errors. */
export interface KeyDetail {
  readonly columns: ReadonlyArray<string>
  readonly key: string
  readonly referencedTable?: string | undefined
}

// "Key (email)=(a@example.com) already exists."
// "Key (user_id)=(42) is not present in table \"users\"."
// "Key (id)=(1) is still referenced from table \"orders\"."
// "Key (during)=([1,5)) conflicts with existing key (during)=([3,8))."
const keyDetail = /^Key \((.+?)\)=\((.*)\) (?:already exists|is not present in table "([^"]+)"|is still referenced from table "([^"]+)"|conflicts with existing key)/s

/** @internal */
export const parseKeyDetail = (detail: string | undefined): KeyDetail | undefined => {
  if (detail === undefined) return undefined
  const match = keyDetail.exec(detail)
  if (match === null) return undefined
  return {
    columns: splitColumns(match[1]!),
    key: match[2]!,
    referencedTable: match[3] ?? match[4]
  }
}

/** Splits "a, lower(b), c" at top-level commas only. */
const splitColumns = (list: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  let depth = 0
  let start = 0
  for (let i = 0; i < list.length; i++) {
    const ch = list[i]
    if (ch === "(") depth++
    else if (ch === ")") depth--
    else if (ch === "," && depth === 0) {
      out.push(list.slice(start, i).trim())
      start = i + 1
    }
  }
  out.push(list.slice(start).trim())
  return out
}

// --- the translated errors ---------------------------------------------------------

/** @internal */
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
const fields = <S extends SqlState>(tag: Tag) => ({
  sqlstate: literals(codesRoutedTo(tag)) as unknown as Schema.Schema<S>,
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

/** @internal */
export class UniqueViolation extends Errors.Permanent<UniqueViolation>()("UniqueViolation", {
  ...fields<"23505">("UniqueViolation"),
  ...keyFields
}, { code: "DB_UNIQUE_VIOLATION", status: 409, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class ForeignKeyViolation extends Errors.Permanent<ForeignKeyViolation>()("ForeignKeyViolation", {
  ...fields<"23503">("ForeignKeyViolation"),
  ...keyFields,
  referencedTable: text
}, { code: "DB_FOREIGN_KEY_VIOLATION", status: 422, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class CheckViolation extends Errors.Permanent<CheckViolation>()("CheckViolation", {
  ...fields<"23514">("CheckViolation")
}, { code: "DB_CHECK_VIOLATION", status: 422, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class NotNullViolation extends Errors.Permanent<NotNullViolation>()("NotNullViolation", {
  ...fields<"23502">("NotNullViolation")
}, { code: "DB_NOT_NULL_VIOLATION", status: 422, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class ExclusionViolation extends Errors.Permanent<ExclusionViolation>()("ExclusionViolation", {
  ...fields<"23P01">("ExclusionViolation"),
  ...keyFields
}, { code: "DB_EXCLUSION_VIOLATION", status: 409, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class IntegrityViolation extends Errors.Permanent<IntegrityViolation>()("IntegrityViolation", {
  ...fields<SqlStateIn<"23">>("IntegrityViolation")
}, { code: "DB_INTEGRITY_VIOLATION", status: 409, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class DataException extends Errors.Permanent<DataException>()("DataException", {
  ...fields<SqlStateIn<"22">>("DataException")
}, { code: "DB_DATA_EXCEPTION", status: 422, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class SyntaxError extends Errors.Permanent<SyntaxError>()("SyntaxError", {
  ...fields<SqlStateIn<"42">>("SyntaxError")
}, { code: "DB_SYNTAX_ERROR", status: 500, severity: "unexpected", message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class UndefinedObject extends Errors.Permanent<UndefinedObject>()("UndefinedObject", {
  ...fields<SqlState>("UndefinedObject")
}, { code: "DB_UNDEFINED_OBJECT", status: 500, severity: "unexpected", message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class InsufficientPrivilege extends Errors.Permanent<InsufficientPrivilege>()("InsufficientPrivilege", {
  ...fields<"42501">("InsufficientPrivilege")
}, { code: "DB_INSUFFICIENT_PRIVILEGE", status: 500, severity: "unexpected", message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class SerializationFailure extends Errors.Transient<SerializationFailure>()("SerializationFailure", {
  ...fields<"40001">("SerializationFailure")
}, { code: "DB_SERIALIZATION_FAILURE", status: 503, message: developerMessage }) {
  get retry(): "transaction" {
    return "transaction"
  }
}

/** @internal */
export class Deadlock extends Errors.Transient<Deadlock>()("Deadlock", {
  ...fields<"40P01">("Deadlock")
}, { code: "DB_DEADLOCK", status: 503, message: developerMessage }) {
  get retry(): "transaction-once" {
    return "transaction-once"
  }
}

/** @internal */
export class TransactionOutcomeUnknown
  extends Errors.Transient<TransactionOutcomeUnknown>()("TransactionOutcomeUnknown", {
    ...fields<"40003" | "08007">("TransactionOutcomeUnknown")
  }, { code: "DB_OUTCOME_UNKNOWN", status: 503, message: developerMessage })
{
  get retry(): "if-idempotent" {
    return "if-idempotent"
  }
}

/** @internal */
export class LockTimeout extends Errors.Transient<LockTimeout>()("LockTimeout", {
  ...fields<"55P03">("LockTimeout")
}, { code: "DB_LOCK_TIMEOUT", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

/** @internal */
export class ObjectInUse extends Errors.Transient<ObjectInUse>()("ObjectInUse", {
  ...fields<SqlStateIn<"55">>("ObjectInUse")
}, { code: "DB_OBJECT_IN_USE", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

/** @internal */
export class ConnectionFailure extends Errors.Transient<ConnectionFailure>()("ConnectionFailure", {
  ...fields<SqlStateIn<"08">>("ConnectionFailure"),
  origin: Schema.Literal("server", "client"),
  errno: text
}, { code: "DB_CONNECTION_FAILURE", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

/** @internal */
export class TooManyConnections extends Errors.Transient<TooManyConnections>()("TooManyConnections", {
  ...fields<"53300">("TooManyConnections"),
  origin: Schema.Literal("server", "pool"),
  ...retryAfterField
}, { code: "DB_TOO_MANY_CONNECTIONS", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

/** @internal */
export class OutOfMemory extends Errors.Transient<OutOfMemory>()("OutOfMemory", {
  ...fields<"53200">("OutOfMemory"),
  ...retryAfterField
}, { code: "DB_OUT_OF_MEMORY", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

/** @internal */
export class InsufficientResources extends Errors.Transient<InsufficientResources>()("InsufficientResources", {
  ...fields<SqlStateIn<"53">>("InsufficientResources"),
  ...retryAfterField
}, { code: "DB_INSUFFICIENT_RESOURCES", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

/** @internal */
export class AdminShutdown extends Errors.Transient<AdminShutdown>()("AdminShutdown", {
  ...fields<"57P01" | "57P02" | "57P03" | "57P05">("AdminShutdown")
}, { code: "DB_ADMIN_SHUTDOWN", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

/** @internal */
export class SystemError extends Errors.Transient<SystemError>()("SystemError", {
  ...fields<"58000" | "58030">("SystemError")
}, { code: "DB_SYSTEM_ERROR", status: 503, message: developerMessage }) {
  get retry(): "backoff" {
    return "backoff"
  }
}

/** @internal */
export class StatementTimeout extends Errors.Transient<StatementTimeout>()("StatementTimeout", {
  ...fields<"57014">("StatementTimeout")
}, { code: "DB_STATEMENT_TIMEOUT", status: 504, message: developerMessage }) {
  get retry(): "if-idempotent" {
    return "if-idempotent"
  }
}

/** @internal */
export class DiskFull extends Errors.Fatal<DiskFull>()("DiskFull", {
  ...fields<"53100">("DiskFull")
}, { code: "DB_DISK_FULL", status: 503, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class InvalidAuthorization extends Errors.Fatal<InvalidAuthorization>()("InvalidAuthorization", {
  ...fields<SqlStateIn<"28">>("InvalidAuthorization")
}, { code: "DB_AUTHENTICATION_FAILED", status: 500, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class UnknownDatabase extends Errors.Fatal<UnknownDatabase>()("UnknownDatabase", {
  ...fields<"3D000">("UnknownDatabase")
}, { code: "DB_UNKNOWN_DATABASE", status: 500, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class ProtocolViolation extends Errors.Fatal<ProtocolViolation>()("ProtocolViolation", {
  ...fields<"08P01">("ProtocolViolation")
}, { code: "DB_PROTOCOL_VIOLATION", status: 500, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class DataCorrupted extends Errors.Fatal<DataCorrupted>()("DataCorrupted", {
  ...fields<"XX001" | "XX002">("DataCorrupted")
}, { code: "DB_DATA_CORRUPTED", status: 500, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class InternalError extends Errors.Fatal<InternalError>()("InternalError", {
  ...fields<SqlStateIn<"XX">>("InternalError")
}, { code: "DB_INTERNAL_ERROR", status: 500, message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
export class UnknownSqlError extends Errors.Permanent<UnknownSqlError>()("UnknownSqlError", {
  sqlstate: text,
  condition: text,
  ...reported
}, { code: "DB_UNKNOWN_ERROR", status: 500, severity: "unexpected", message: developerMessage }) {
  get retry(): "never" {
    return "never"
  }
}

/** @internal */
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

/** @internal */
export type PgError = typeof PgError.Type

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

/** @internal */
export const isPgError = (u: unknown): u is PgError =>
  Errors.isCategorized(u) && Object.hasOwn(classes, u._tag) && u instanceof classes[u._tag as Tag]

// --- translation ------------------------------------------------------------------

/** @internal */
export interface TranslateOptions {
  /** The `retryAfter` of TooManyConnections, OutOfMemory and InsufficientResources (default 1 s). */
  readonly retryAfter?: Duration.DurationInput | undefined
}

const defaultRetryAfter = Duration.seconds(1)

const withRetryAfter = new Set<Tag>(["TooManyConnections", "OutOfMemory", "InsufficientResources"])
const withKey = new Set<Tag>(["UniqueViolation", "ForeignKeyViolation", "ExclusionViolation"])

const build = (raw: Raw, options?: TranslateOptions): PgError => {
  const tag: Tag = raw.sqlstate === undefined ? "UnknownSqlError" : routeOf(raw.sqlstate)
  const props: Record<string, unknown> = { serverMessage: raw.serverMessage }
  if (raw.sqlstate !== undefined) {
    props["sqlstate"] = raw.sqlstate
    const condition = table.get(raw.sqlstate)?.condition
    if (condition !== undefined) props["condition"] = condition
  }
  for (const key of ["detail", "hint", "where", "schema", "table", "column", "dataType", "constraint"] as const) {
    if (raw[key] !== undefined) props[key] = raw[key]
  }
  if (withKey.has(tag)) {
    const parsed = parseKeyDetail(raw.detail)
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

/** @internal */
export const translate = (u: unknown, options?: TranslateOptions): Option.Option<PgError> => {
  if (isPgError(u)) return Option.some(u)
  return Option.map(extract(u), (raw) => build(raw, options))
}

/** @internal */
export const sqlstateOf = (u: unknown): Option.Option<string> =>
  Option.flatMap(translate(u), (e) => Option.fromNullable(e.sqlstate))

const translateCause = <E>(cause: Cause.Cause<E>, options?: TranslateOptions): Cause.Cause<Exclude<E, SqlError> | PgError> =>
  Cause.match(cause, {
    onEmpty: Cause.empty as Cause.Cause<Exclude<E, SqlError> | PgError>,
    onFail: (e) => Cause.fail(isSqlError(e) ? build(Option.getOrThrow(extract(e)), options) : e as Exclude<E, SqlError>),
    onDie: (defect) =>
      isSqlError(defect) || isDatabaseError(defect)
        ? Cause.fail(build(Option.getOrThrow(extract(defect)), options))
        : Cause.die(defect),
    onInterrupt: (fiberId) => Cause.interrupt(fiberId),
    onSequential: (left, right) => Cause.sequential(left, right),
    onParallel: (left, right) => Cause.parallel(left, right)
  })

/** @internal */
export const mapErrors = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, SqlError> | PgError, R> =>
  Effect.mapErrorCause(self, (cause) => translateCause(cause))

/** @internal */
export const mapErrorsWith = (options: TranslateOptions) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, SqlError> | PgError, R> =>
  Effect.mapErrorCause(self, (cause) => translateCause(cause, options))

// --- transactions ------------------------------------------------------------------

/** @internal */
export const defaultTransactionSchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("10 millis").pipe(
  Schedule.jittered,
  Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(1))),
  Schedule.intersect(Schedule.recurs(5))
)

/** @internal */
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

/** @internal */
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

/** @internal */
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

/** @internal */
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

/** @internal */
export interface Classification {
  readonly sqlstate: string
  readonly condition: Condition | undefined
  readonly className: string | undefined
  readonly tag: Tag
  readonly category: Errors.Category
  readonly code: string
  readonly status: number
  readonly retry: RetryAdvice
  readonly userMessage: string
}

/** @internal */
export const classify = (sqlstate: string): Classification => {
  const tag = routeOf(sqlstate)
  const prototype = classes[tag].prototype as PgError
  const meta = Errors.metaOf(prototype)!
  const info = table.get(sqlstate)
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

/** @internal */
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

/** @internal */
export const logLevelOf = (error: PgError): LogLevel.LogLevel => {
  const severity = Errors.severityOf(error)
  if (severity === "critical") return LogLevel.Fatal
  if (severity === "unexpected" || loud.has(error._tag)) return LogLevel.Error
  return error.category === "Transient" ? LogLevel.Warning : LogLevel.Info
}

/** @internal */
export const log = (u: unknown, message = "database error"): Effect.Effect<void> =>
  Option.match(translate(u), {
    onNone: () => Effect.void,
    onSome: (error) =>
      Effect.logWithLevel(logLevelOf(error), `${message}: ${error.message}`).pipe(
        Effect.annotateLogs(logAnnotations(error))
      )
  })

/** @internal */
export const tapLog: {
  (message?: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, message?: string): Effect.Effect<A, E, R>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(self: Effect.Effect<A, E, R>, message?: string) =>
    Effect.tapErrorCause(self, (cause) => log(cause, message))
)
