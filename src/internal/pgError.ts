import { Cause, Chunk, Option, Predicate, Runtime } from "effect"
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
