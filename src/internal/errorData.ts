/**
 * What an error carries, read generically: its cause chain (including the non-enumerable
 * `cause` of `SqlError`), the pg `DatabaseError` in it, a Node errno code, the error's own
 * fields, and data attached to it on the way up (`Translate.attach`). Shared by `ErrorLog`
 * and `Translate`, so a log line and a translation see the same facts.
 */
import { Cause, Duration, Predicate } from "effect"

const maxDepth = 16

/**
 * The error followed by its causes, depth-first: `cause` (enumerable or not) and the
 * `errors` of an AggregateError (Node's happy-eyeballs connect failures). Cycle-safe.
 *
 * @internal
 */
export const chainOf = (u: unknown): ReadonlyArray<unknown> => {
  const out: Array<unknown> = []
  const seen = new Set<unknown>()
  const visit = (value: unknown, depth: number): void => {
    if (value === undefined || value === null || depth > maxDepth || seen.has(value)) return
    seen.add(value)
    out.push(value)
    if (typeof value !== "object") return
    const cause = (value as { readonly cause?: unknown }).cause
    if (cause !== undefined) visit(cause, depth + 1)
    const errors = (value as { readonly errors?: unknown }).errors
    if (Array.isArray(errors)) for (const e of errors) visit(e, depth + 1)
  }
  visit(u, 0)
  return out
}

const sqlStatePattern = /^[0-9A-Z]{5}$/

/**
 * A pg `DatabaseError` (or any driver error shaped like one): a five-character SQLSTATE
 * `code` plus the server's `severity` or `routine`.
 *
 * @internal
 */
export interface DatabaseErrorLike {
  readonly code: string
  readonly message?: string
  readonly severity?: string
  readonly detail?: string
  readonly hint?: string
  readonly position?: string
  readonly where?: string
  readonly schema?: string
  readonly table?: string
  readonly column?: string
  readonly dataType?: string
  readonly constraint?: string
  readonly routine?: string
}

/** @internal */
export const isDatabaseErrorLike = (u: unknown): u is DatabaseErrorLike =>
  Predicate.isObject(u) &&
  typeof (u as { code?: unknown }).code === "string" &&
  sqlStatePattern.test((u as { code: string }).code) &&
  (Predicate.hasProperty(u, "severity") || Predicate.hasProperty(u, "routine"))

/** The first pg `DatabaseError` in the cause chain. @internal */
export const databaseErrorOf = (u: unknown): DatabaseErrorLike | undefined =>
  chainOf(u).find(isDatabaseErrorLike)

/** The SQLSTATE of the first pg `DatabaseError` in the cause chain. @internal */
export const sqlStateOf = (u: unknown): string | undefined => databaseErrorOf(u)?.code

// Node errno codes (ECONNREFUSED, EAI_AGAIN), not Node API codes (ERR_INVALID_ARG_TYPE).
const errnoPattern = /^E(?!RR_)[A-Z0-9_]+$/

/** The first Node errno code (`ECONNREFUSED`, `ENOENT`, ...) in the cause chain. @internal */
export const errnoOf = (u: unknown): string | undefined => {
  for (const e of chainOf(u)) {
    const code = Predicate.isObject(e) ? (e as { code?: unknown }).code : undefined
    if (typeof code === "string" && errnoPattern.test(code)) return code
  }
  return undefined
}

/** `errno_code` when a Node errno code is somewhere in the chain. @internal */
export const errnoFieldsOf = (u: unknown): Record<string, string> => {
  const errno = errnoOf(u)
  return errno === undefined ? {} : { errno_code: errno }
}

/** The message of an error, a string failure, or `String(u)`. @internal */
export const messageOf = (u: unknown): string => {
  if (typeof u === "string") return u
  if (Predicate.isObject(u) && typeof (u as { message?: unknown }).message === "string") {
    return (u as { message: string }).message
  }
  try {
    return String(u)
  } catch {
    return "(unprintable)"
  }
}

/** `_tag`, else the constructor name, else `typeof`. @internal */
export const typeOf = (u: unknown): string => {
  if (Predicate.isObject(u)) {
    const tag = (u as { _tag?: unknown })._tag
    if (typeof tag === "string") return tag
    const name = (u as object).constructor?.name
    if (typeof name === "string" && name !== "" && name !== "Object") return name
    return "Object"
  }
  return typeof u
}

/**
 * A value made safe for a JSON log line: Durations become milliseconds, Dates ISO strings,
 * bigints strings; nested errors become their message; functions and symbols are dropped.
 *
 * @internal
 */
export const toLogValue = (value: unknown): unknown => {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value
    case "bigint":
      return value.toString()
    case "undefined":
    case "function":
    case "symbol":
      return undefined
  }
  if (value === null) return null
  if (Duration.isDuration(value)) return Duration.toMillis(value)
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Error) return value.message
  if (Array.isArray(value)) return value.slice(0, 50).map(toLogValue)
  if (Predicate.hasProperty(value, "toJSON") && typeof value.toJSON === "function") {
    try {
      return value.toJSON()
    } catch (error) {
      // A log line must not lose the field silently: say that it could not be serialised.
      return `[toJSON threw: ${error instanceof Error ? error.name : typeof error}]`
    }
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as object).slice(0, 50)) {
    const safe = typeof v === "object" && v !== null && !Array.isArray(v) && !Duration.isDuration(v) &&
        !(v instanceof Date)
      ? "[Object]"
      : toLogValue(v)
    if (safe !== undefined) out[k] = safe
  }
  return out
}

const skippedOwnFields = new Set(["_tag", "message", "stack", "name", "cause", "errors", "_op", "_id"])

/**
 * The error's own enumerable fields (a tagged error's payload, `errno`/`syscall`/`address` of
 * a Node system error), as log-safe values.
 *
 * @internal
 */
export const ownFieldsOf = (u: unknown): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  if (!Predicate.isObject(u) || isDatabaseErrorLike(u)) return out
  for (const key of Object.keys(u)) {
    if (skippedOwnFields.has(key)) continue
    const value = toLogValue((u as Record<string, unknown>)[key])
    if (value !== undefined) out[key] = value
  }
  return out
}

/**
 * The fields of the pg `DatabaseError` in the chain, under log-friendly names. Never the
 * query text (`internalQuery`): SQL stays out of logs and responses alike.
 *
 * @internal
 */
export const databaseFieldsOf = (u: unknown): Record<string, string> => {
  const db = databaseErrorOf(u)
  if (db === undefined) return {}
  const out: Record<string, string> = { sqlstate: db.code }
  const copy = (from: keyof DatabaseErrorLike, to: string) => {
    const value = db[from]
    if (typeof value === "string" && value !== "") out[to] = value
  }
  copy("message", "db_message")
  copy("severity", "db_severity")
  copy("schema", "schema")
  copy("table", "table")
  copy("column", "column")
  copy("dataType", "data_type")
  copy("constraint", "constraint")
  copy("detail", "detail")
  copy("hint", "hint")
  copy("where", "where")
  copy("routine", "routine")
  return out
}

// --- data attached on the way up ---------------------------------------------

const attached = new WeakMap<object, Readonly<Record<string, unknown>>>()

/**
 * Attaches data to an error object without changing it (the seed's "wrap with additional
 * data", minus the wrapping). Keys attached closer to the failure win.
 *
 * @internal
 */
export const attachTo = (error: unknown, data: Readonly<Record<string, unknown>>): void => {
  if (!Predicate.isObject(error)) return
  const previous = attached.get(error)
  attached.set(error, previous === undefined ? data : { ...data, ...previous })
}

/** Data attached to the error or anything in its cause chain (the error's own wins). @internal */
export const attachedOf = (u: unknown): Readonly<Record<string, unknown>> => {
  let out: Record<string, unknown> | undefined
  for (const e of chainOf(u)) {
    if (!Predicate.isObject(e)) continue
    const data = attached.get(e)
    if (data !== undefined) out = { ...data, ...out }
  }
  return out ?? {}
}

/** Attaches data to every failure and defect of a cause. @internal */
export const attachToCause = <E>(cause: Cause.Cause<E>, data: Readonly<Record<string, unknown>>): void => {
  for (const e of Cause.failures(cause)) attachTo(e, data)
  for (const d of Cause.defects(cause)) attachTo(d, data)
}

// --- the one error a cause is about -------------------------------------------

/**
 * The error a cause is mainly about: its first failure, else its first defect. `undefined`
 * when the cause is only interruptions (not an error to log or translate).
 *
 * @internal
 */
export type Primary =
  | { readonly kind: "failure"; readonly error: unknown }
  | { readonly kind: "defect"; readonly error: unknown }

/**
 * `Effect.try`/`tryPromise` without a `catch` wrap what was thrown in an `UnknownException`
 * whose own message says nothing; logs and rules want the thrown error itself.
 */
const unwrap = (u: unknown): unknown => Cause.isUnknownException(u) ? u.error : u

/** @internal */
export const primaryOf = <E>(cause: Cause.Cause<E>): Primary | undefined => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some") return { kind: "failure", error: unwrap(failure.value) }
  const defect = Cause.dieOption(cause)
  if (defect._tag === "Some") return { kind: "defect", error: unwrap(defect.value) }
  return undefined
}
