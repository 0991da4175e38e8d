import { Cause, Context, Effect, Metric, Option, Schema } from "effect"
import * as problem from "./problem.js"
import { dual } from "effect/Function"
import * as data from "./errorData.js"
import * as errorLog from "./errorLog.js"
import * as errors from "./errors.js"
import * as PgError from "../PgError.js"

// --- rules ------------------------------------------------------------------------

/** @internal */
export type Vars = Readonly<Record<string, string>>

/** @internal */
export type Template = string | ((vars: Vars) => string)

/** @internal */
export interface Outcome {
  readonly code: string
  readonly status?: number | undefined
  readonly category?: errors.Category | undefined
  readonly developer: Template
  readonly user: Template
}

/** @internal */
export interface Input {
  /** The error the cause is about (its first failure, else its first defect). */
  readonly error: unknown
  readonly kind: "failure" | "defect"
  /** The error followed by its causes. */
  readonly chain: ReadonlyArray<unknown>
  /** Data attached on the way up with `attach`. */
  readonly attached: Readonly<Record<string, unknown>>
}

/** @internal */
export interface Resolved {
  readonly outcome: Outcome
  readonly vars?: Vars | undefined
}

/** @internal */
export interface Rule {
  readonly name: string
  readonly resolve: (input: Input) => Resolved | undefined
}

/** @internal */
export const make = (name: string, resolve: (input: Input) => Resolved | undefined): Rule => ({ name, resolve })

/** @internal */
export const when = (
  name: string,
  match: (input: Input) => Vars | boolean | undefined,
  outcome: Outcome
): Rule =>
  make(name, (input) => {
    const matched = match(input)
    if (matched === undefined || matched === false) return undefined
    return matched === true ? { outcome } : { outcome, vars: matched }
  })

/** @internal */
export const byTag = (tag: string, outcome: Outcome): Rule =>
  when(`tag:${tag}`, (input) => data.typeOf(input.error) === tag, outcome)

/** @internal */
export const byClass = (
  constructor: abstract new(...args: ReadonlyArray<any>) => unknown,
  outcome: Outcome
): Rule => when(`class:${constructor.name}`, (input) => input.error instanceof constructor, outcome)

const asList = (codes: string | ReadonlyArray<string>): ReadonlyArray<string> =>
  typeof codes === "string" ? [codes] : codes

const stringFields = (u: unknown, keys: ReadonlyArray<string>): Record<string, string> => {
  const out: Record<string, string> = {}
  if (typeof u !== "object" || u === null) return out
  for (const key of keys) {
    const value = (u as Record<string, unknown>)[key]
    if (typeof value === "string" || typeof value === "number") out[key] = String(value)
  }
  return out
}

/** @internal */
export const byErrno = (codes: string | ReadonlyArray<string>, outcome: Outcome): Rule => {
  const wanted = new Set(asList(codes))
  return when(`errno:${[...wanted].join(",")}`, (input) => {
    for (const e of input.chain) {
      const code = typeof e === "object" && e !== null ? (e as { code?: unknown }).code : undefined
      if (typeof code === "string" && wanted.has(code)) {
        return { errno: code, ...stringFields(e, ["syscall", "address", "port", "path", "hostname"]) }
      }
    }
    return undefined
  }, outcome)
}

const databaseVars = (db: data.DatabaseErrorLike): Vars => {
  const { sqlstate: _sqlstate, ...fields } = data.databaseFieldsOf(db)
  return { sqlstate: db.code, ...fields }
}

/**
 * SQLSTATE codes, or two-character classes (`"08"` matches every connection exception).
 *
 * @internal
 */
export const bySqlState = (codes: string | ReadonlyArray<string>, outcome: Outcome): Rule => {
  const list = asList(codes)
  const exact = new Set(list.filter((c) => c.length === 5))
  const classes = list.filter((c) => c.length === 2)
  return when(`sqlstate:${list.join(",")}`, (input) => {
    const db = input.chain.find(data.isDatabaseErrorLike)
    if (db === undefined) return undefined
    return exact.has(db.code) || classes.some((c) => db.code.startsWith(c)) ? databaseVars(db) : undefined
  }, outcome)
}

/**
 * A rule whose outcome is looked up from the SQLSTATE: the hook for a full SQLSTATE table.
 *
 * @internal
 */
export const bySqlStateWith = (
  name: string,
  lookup: (sqlstate: string, error: data.DatabaseErrorLike) => Outcome | undefined
): Rule =>
  make(name, (input) => {
    const db = input.chain.find(data.isDatabaseErrorLike)
    if (db === undefined) return undefined
    const outcome = lookup(db.code, db)
    return outcome === undefined ? undefined : { outcome, vars: databaseVars(db) }
  })

/** @internal */
export const byMessage = (pattern: RegExp, outcome: Outcome): Rule =>
  when(`message:${pattern.source}`, (input) => {
    for (const e of input.chain) {
      const message = data.messageOf(e)
      pattern.lastIndex = 0
      const found = pattern.exec(message)
      if (found !== null) return { matched_message: message, ...found.groups }
    }
    return undefined
  }, outcome)

/** @internal */
export const byCause = (name: string, predicate: (cause: unknown) => boolean, outcome: Outcome): Rule =>
  when(`cause:${name}`, (input) => input.chain.some(predicate), outcome)

/** @internal */
export const byContext = (
  keyOrPredicate: string | ((attached: Readonly<Record<string, unknown>>) => boolean),
  outcome: Outcome
): Rule =>
  when(
    `context:${typeof keyOrPredicate === "string" ? keyOrPredicate : "predicate"}`,
    (input) =>
      typeof keyOrPredicate === "string"
        ? input.attached[keyOrPredicate] !== undefined && input.attached[keyOrPredicate] !== false
        : keyOrPredicate(input.attached),
    outcome
  )

// --- the default rule set ---------------------------------------------------------

const retryLater = "Please try again later."

/** @internal */
export const lockTimeout: Rule = bySqlState("55P03", {
  code: "DB_LOCK_TIMEOUT",
  status: 503,
  category: "Transient",
  developer: "Lock timeout (SQLSTATE {sqlstate}): {db_message} {where}",
  user: `Another database transaction is in progress. ${retryLater}`
})

/** @internal */
export const statementTimeout: Rule = bySqlState("57014", {
  code: "DB_STATEMENT_TIMEOUT",
  status: 504,
  category: "Transient",
  developer: "Statement timeout (SQLSTATE {sqlstate}): {db_message}",
  user: `Database query took too long. This might happen if the system is overloaded. ${retryLater}`
})

/**
 * Every Postgres failure `PgError` recognises (SqlErrors, pg DatabaseErrors, defects from COMMIT,
 * code-less "Connection terminated"), with PgError's code, status and user message, so one
 * SQLSTATE always gives one code across the toolkit. Bugs (syntax errors, undefined objects,
 * unknown SQLSTATEs: severity `unexpected`) are left alone so they stay unknown and stand out.
 *
 * @internal
 */
export const postgres: Rule = make("postgres", (input) => {
  const found = PgError.translate(input.error)
  if (Option.isNone(found)) return undefined
  const error = found.value
  if (errors.severityOf(error) === "unexpected") return undefined
  return {
    outcome: {
      code: error.code,
      status: errors.statusOf(error),
      category: error.category,
      developer: () => error.message,
      user: () => PgError.userMessage(error)
    },
    vars: { sqlstate: error.sqlstate ?? "", condition: error.condition ?? "" }
  }
})

/** @internal */
export const defaultRules: ReadonlyArray<Rule> = [
  lockTimeout,
  statementTimeout,
  postgres,
  // pg's code-less connection errors also arrive bare (a defect, a rejected promise), without a SqlError.
  byMessage(/Connection terminated( unexpectedly)?|Connection timed out|terminating connection due to/i, {
    code: "DB_CONNECTION_FAILURE",
    status: 503,
    category: "Transient",
    developer: "Database connection lost: {matched_message}",
    user: () => PgError.userMessages.ConnectionFailure
  }),
  byErrno("ECONNREFUSED", {
    code: "CONNECTION_REFUSED",
    status: 503,
    category: "Transient",
    developer: "Connection refused by {address}:{port} ({syscall})",
    user: `A service we depend on is not reachable right now. ${retryLater}`
  }),
  byErrno(["ENOTFOUND", "EAI_AGAIN"], {
    code: "HOST_NOT_FOUND",
    status: 503,
    category: "Transient",
    developer: "Name or service not known: {hostname} ({errno})",
    user: `A service we depend on could not be found. ${retryLater}`
  }),
  byErrno("ETIMEDOUT", {
    code: "CONNECT_TIMEOUT",
    status: 504,
    category: "Transient",
    developer: "Connect timed out: {address}:{port}",
    user: `A service we depend on did not answer in time. ${retryLater}`
  }),
  byErrno(["ECONNRESET", "EPIPE"], {
    code: "CONNECTION_RESET",
    status: 503,
    category: "Transient",
    developer: "Connection reset by peer ({errno}, {syscall})",
    user: `The connection was interrupted. ${retryLater}`
  }),
  byErrno("EACCES", {
    code: "FILE_PERMISSION_DENIED",
    status: 500,
    category: "Fatal",
    developer: "Permission denied: {path} ({syscall}). Did someone change the user or permissions?",
    user: "A file we need could not be read. Please contact support if this persists."
  }),
  byErrno("ENOENT", {
    code: "FILE_NOT_FOUND",
    status: 500,
    category: "Permanent",
    developer: "No such file or directory: {path} ({syscall})",
    user: "A file we need is missing. Please contact support if this persists."
  })
]

/** @internal */
export class Rules extends Context.Reference<Rules>()("effect-resilience/Translate/Rules", {
  defaultValue: (): ReadonlyArray<Rule> => defaultRules
}) {}

/** @internal */
export const withRules: {
  (rules: ReadonlyArray<Rule>): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, rules: ReadonlyArray<Rule>): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, rules: ReadonlyArray<Rule>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Rules, (current) => Effect.provideService(self, Rules, [...rules, ...current]))
)

// --- applying rules -------------------------------------------------------------------

/** @internal */
export interface Translation {
  readonly code: string
  readonly status: number
  readonly category: errors.Category | undefined
  readonly developerMessage: string
  readonly userMessage: string
  readonly rule: string
}

const render = (template: Template, vars: Vars): string =>
  typeof template === "function"
    ? template(vars)
    : template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, key: string) => vars[key] ?? "").replace(/\s+/g, " ").trim()

const baseVars = (input: Input): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(data.ownFieldsOf(input.error))) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v)
  }
  Object.assign(out, {
    error_type: data.typeOf(input.error),
    error_message: data.messageOf(input.error)
  })
  const errno = data.errnoOf(input.error)
  if (errno !== undefined) out["errno"] = errno
  const sqlstate = data.sqlStateOf(input.error)
  if (sqlstate !== undefined) out["sqlstate"] = sqlstate
  for (const [k, v] of Object.entries(input.attached)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v)
  }
  return out
}

/** @internal */
export const inputOf = (error: unknown, kind: "failure" | "defect" = "failure"): Input => ({
  error,
  kind,
  chain: data.chainOf(error),
  attached: data.attachedOf(error)
})

/** The first rule that matches, rendered; `undefined` when none does. @internal */
export const translate = (rules: ReadonlyArray<Rule>, input: Input): Translation | undefined => {
  for (const rule of rules) {
    const resolved = rule.resolve(input)
    if (resolved === undefined) continue
    const vars = { ...baseVars(input), ...resolved.vars }
    const { outcome } = resolved
    return {
      code: outcome.code,
      status: outcome.status ?? 500,
      category: outcome.category,
      developerMessage: render(outcome.developer, vars),
      userMessage: render(outcome.user, vars),
      rule: rule.name
    }
  }
  return undefined
}

/** @internal */
export const translateCause = <E>(rules: ReadonlyArray<Rule>, cause: Cause.Cause<E>): Translation | undefined => {
  const primary = data.primaryOf(cause)
  return primary === undefined ? undefined : translate(rules, inputOf(primary.error, primary.kind))
}

/** @internal */
export const attach: {
  (data: Readonly<Record<string, unknown>>): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, data: Readonly<Record<string, unknown>>): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, attached: Readonly<Record<string, unknown>>): Effect.Effect<A, E, R> =>
    Effect.tapErrorCause(self, (cause) => Effect.sync(() => data.attachToCause(cause, attached)))
)

// --- boundary results -------------------------------------------------------------------

/** @internal */
export class Translated extends Schema.TaggedClass<Translated>("effect-resilience/Translate/Translated")(
  "Translated",
  {
    code: Schema.String,
    status: Schema.Number,
    message: Schema.String,
    developerMessage: Schema.String,
    source: Schema.Literal("taxonomy", "rule"),
    rule: Schema.optionalWith(Schema.String, { exact: true }),
    errorType: Schema.String,
    category: Schema.optionalWith(Schema.Literal("Transient", "Permanent", "Partial", "Fatal"), { exact: true }),
    requestId: Schema.optionalWith(Schema.String, { exact: true }),
    retryAfter: Schema.optionalWith(errors.Millis, { exact: true })
  }
) {}

/** @internal */
export const unknownMessage: string = problem.genericDetails[500]!

/** @internal */
export class Unknown extends Schema.TaggedClass<Unknown>("effect-resilience/Translate/Unknown")("Unknown", {
  code: Schema.String,
  status: Schema.Number,
  message: Schema.String,
  requestId: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/** @internal */
export type BoundaryError = Translated | Unknown

// --- metrics ------------------------------------------------------------------------------

/** @internal */
export const translatedErrors = Metric.counter("effect_resilience_translated_errors_total", {
  description: "Errors that reached the outermost boundary and were translated by a rule, per code",
  incremental: true
})

/** @internal */
export const knownErrors = Metric.counter("effect_resilience_known_errors_total", {
  description: "Errors of the taxonomy that reached the outermost boundary, per code",
  incremental: true
})

/** @internal */
export const unknownErrors = Metric.counter("effect_resilience_unknown_errors_total", {
  description: "Errors that reached the outermost boundary and no rule knew: likely bugs",
  incremental: true
})

const bump = (counter: Metric.Metric.Counter<number>, code?: string): Effect.Effect<void> =>
  Metric.increment(code === undefined ? counter : Metric.tagged(counter, "code", code))

// --- the boundary ----------------------------------------------------------------------------

const withoutUndefined = <T extends Record<string, unknown>>(
  record: T
): { [K in keyof T]: Exclude<T[K], undefined> } => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = v
  return out as { [K in keyof T]: Exclude<T[K], undefined> }
}

/** What users see for a taxonomy error of 5xx: never the internal message. @internal */
export const safeMessageForStatus: (status: number, error: { readonly message: string }) => string = problem.safeDetail

/** A failure `ErrorLog.logFailure` already wrote deeper in the program is counted, not logged again. */
const logOnce = <E>(cause: Cause.Cause<E>, options?: errorLog.LogOptions): Effect.Effect<void> =>
  errorLog.wasLogged(cause) ? Effect.void : errorLog.logCause(cause, options)

/** @internal */
export const handle = <E>(cause: Cause.Cause<E>): Effect.Effect<BoundaryError> =>
  Effect.flatMap(
    Effect.all([errorLog.requestContext, errors.ErrorClassification, Rules]),
    ([context, classification, rules]): Effect.Effect<BoundaryError> => {
      const primary = data.primaryOf(cause)
      const requestId = context.requestId
      if (primary !== undefined && errors.isCategorized(primary.error)) {
        const error = primary.error
        const status = errors.statusOf(error, classification)
        const retryAfter = errors.retryAfterOf(error)
        const result = new Translated(withoutUndefined({
          code: error.code,
          status,
          message: safeMessageForStatus(status, error),
          developerMessage: error.message,
          source: "taxonomy" as const,
          errorType: error._tag,
          category: error.category,
          requestId,
          retryAfter: Option.getOrUndefined(retryAfter)
        }))
        return Effect.as(
          Effect.zipRight(logOnce(cause), bump(knownErrors, error.code)),
          result
        )
      }
      const translation = translateCause(rules, cause)
      if (translation !== undefined && primary !== undefined) {
        const result = new Translated(withoutUndefined({
          code: translation.code,
          status: translation.status,
          message: translation.userMessage,
          developerMessage: translation.developerMessage,
          source: "rule" as const,
          rule: translation.rule,
          errorType: data.typeOf(primary.error),
          category: translation.category,
          requestId
        }))
        return Effect.as(
          Effect.zipRight(
            logOnce(cause, {
              message: "translated_error",
              severity: "expected",
              code: translation.code,
              fields: {
                translation_rule: translation.rule,
                developer_message: translation.developerMessage,
                status: translation.status
              }
            }),
            bump(translatedErrors, translation.code)
          ),
          result
        )
      }
      const result = new Unknown(withoutUndefined({
        code: "INTERNAL_ERROR",
        status: classification.unknownStatus,
        message: unknownMessage,
        requestId
      }))
      return Effect.as(
        Effect.zipRight(
          logOnce(cause, { message: "unknown_error", severity: "unexpected" }),
          bump(unknownErrors)
        ),
        result
      )
    }
  )

/** @internal */
export const boundary = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, BoundaryError, R> =>
  Effect.catchAllCause(self, (cause) =>
    Cause.isInterruptedOnly(cause)
      ? Effect.failCause(cause as Cause.Cause<never>)
      : Effect.flatMap(handle(cause), Effect.fail))
