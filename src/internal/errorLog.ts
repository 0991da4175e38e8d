import { Cause, Config, Context, Effect, FiberId, FiberRef, HashMap, Inspectable, Layer, List, Logger, LogLevel, Ref } from "effect"
import { dual } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as data from "./errorData.js"
import * as errors from "./errors.js"

// --- request context ----------------------------------------------------------

/** @internal */
export interface RequestContext {
  readonly requestId?: string | undefined
  readonly userId?: string | undefined
  readonly operation?: string | undefined
}

/** @internal */
export const currentRequestContext: FiberRef.FiberRef<RequestContext> = globalValue(
  Symbol.for("effect-resilience/ErrorLog/currentRequestContext"),
  () => FiberRef.unsafeMake<RequestContext>({})
)

/** @internal */
export const requestContext: Effect.Effect<RequestContext> = FiberRef.get(currentRequestContext)

const annotationsOf = (context: RequestContext): Record<string, string> => {
  const out: Record<string, string> = {}
  if (context.requestId !== undefined) out["request_id"] = context.requestId
  if (context.userId !== undefined) out["user_id"] = context.userId
  if (context.operation !== undefined) out["operation"] = context.operation
  return out
}

const definedOf = (context: RequestContext): RequestContext => {
  const out: { -readonly [K in keyof RequestContext]: RequestContext[K] } = {}
  if (context.requestId !== undefined) out.requestId = context.requestId
  if (context.userId !== undefined) out.userId = context.userId
  if (context.operation !== undefined) out.operation = context.operation
  return out
}

/** @internal */
export const withRequestContext: {
  (context: RequestContext): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, context: RequestContext): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, context: RequestContext): Effect.Effect<A, E, R> => {
  const defined = definedOf(context)
  return Effect.annotateLogs(
    Effect.locallyWith(self, currentRequestContext, (previous) => ({ ...previous, ...defined })),
    annotationsOf(defined)
  )
})

/** @internal */
export const withOperation: {
  (operation: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, operation: string): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, operation: string): Effect.Effect<A, E, R> =>
    withRequestContext(self, { operation })
)

// --- entries ----------------------------------------------------------------------

/** @internal */
export interface ErrorEntry {
  readonly error_type: string
  readonly error_code: string
  readonly error_message: string
  readonly error_category?: errors.Category
  readonly severity: errors.Severity
  readonly failure_kind: "failure" | "defect"
  readonly operation?: string
  readonly request_id?: string
  readonly user_id?: string
  readonly stack_trace?: string
  readonly [field: string]: unknown
}

/** @internal */
export interface EntryOptions {
  readonly context?: RequestContext | undefined
  readonly classification?: errors.Classification | undefined
  /** Overrides the severity the category gives. */
  readonly severity?: errors.Severity | undefined
  /** Overrides the error code (a translation's code for an error outside the taxonomy). */
  readonly code?: string | undefined
  /** Extra fields; they never replace the fixed ones. */
  readonly fields?: Readonly<Record<string, unknown>> | undefined
}

/**
 * A defect is a bug whatever it carries, unless it is a fatal error that `dieOnFatal` turned
 * into a defect on purpose.
 */
const severityOfPrimary = (primary: data.Primary, classification: errors.Classification): errors.Severity => {
  if (primary.kind === "failure") return errors.severityOf(primary.error, classification)
  return errors.categoryOf(primary.error) === "Fatal" ? "critical" : classification.unknownSeverity
}

/** @internal */
export const makeEntry = <E>(cause: Cause.Cause<E>, options: EntryOptions = {}): ErrorEntry | undefined => {
  const primary = data.primaryOf(cause)
  if (primary === undefined) return undefined
  const classification = options.classification ?? errors.defaultClassification
  const error = primary.error
  const severity = options.severity ?? severityOfPrimary(primary, classification)
  const category = errors.categoryOf(error)
  const fixed: Record<string, unknown> = {
    error_type: data.typeOf(error),
    error_code: options.code ?? errors.codeOf(error),
    error_message: data.messageOf(error),
    severity,
    failure_kind: primary.kind
  }
  if (category !== undefined) fixed["error_category"] = category
  Object.assign(fixed, annotationsOf(options.context ?? {}))
  if (severity !== "expected") fixed["stack_trace"] = Cause.pretty(cause, { renderErrorCause: true })
  return {
    ...data.ownFieldsOf(error),
    ...data.errnoFieldsOf(error),
    ...data.databaseFieldsOf(error),
    ...toLogFields(data.attachedOf(error)),
    ...toLogFields(options.fields ?? {}),
    ...fixed
  } as ErrorEntry
}

const toLogFields = (record: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(record)) {
    const safe = data.toLogValue(v)
    if (safe !== undefined) out[k] = safe
  }
  return out
}

// --- alerts -------------------------------------------------------------------------

/** @internal */
export interface Alerter {
  readonly alert: (entry: ErrorEntry) => Effect.Effect<void>
}

/** @internal */
export const noopAlerter: Alerter = { alert: () => Effect.void }

/** @internal */
export class AlerterTag extends Context.Reference<AlerterTag>()("effect-resilience/ErrorLog/Alerter", {
  defaultValue: (): Alerter => noopAlerter
}) {}

/** @internal */
export class MemoryAlerts extends Context.Tag("effect-resilience/ErrorLog/MemoryAlerts")<
  MemoryAlerts,
  { readonly entries: Effect.Effect<ReadonlyArray<ErrorEntry>> }
>() {}

/** @internal */
export const layerAlerter = (alerter: Alerter): Layer.Layer<never> => Layer.succeed(AlerterTag, alerter)

/** @internal */
export const layerAlerterMemory: Layer.Layer<MemoryAlerts> = Layer.effectContext(
  Effect.map(Ref.make<ReadonlyArray<ErrorEntry>>([]), (ref) =>
    Context.make(MemoryAlerts, { entries: Ref.get(ref) }).pipe(
      Context.add(AlerterTag, { alert: (entry) => Ref.update(ref, (all) => [...all, entry]) })
    ))
)

// --- logging -------------------------------------------------------------------------

const levelOf = (severity: errors.Severity): LogLevel.LogLevel =>
  severity === "expected" ? LogLevel.Warning : severity === "unexpected" ? LogLevel.Error : LogLevel.Fatal

const messageOfSeverity = (severity: errors.Severity): string => `${severity}_error`

/** @internal */
export interface LogOptions {
  /** The log message; `expected_error`, `unexpected_error` or `critical_error` by default. */
  readonly message?: string | undefined
  readonly severity?: errors.Severity | undefined
  readonly code?: string | undefined
  readonly fields?: Readonly<Record<string, unknown>> | undefined
}

/** Writes an entry at the level its severity gives, and alerts when it is critical. @internal */
export const logEntry = (entry: ErrorEntry, message?: string): Effect.Effect<void> => {
  const log = Effect.annotateLogs(
    Effect.logWithLevel(levelOf(entry.severity), message ?? messageOfSeverity(entry.severity)),
    entry as Record<string, unknown>
  )
  if (entry.severity !== "critical") return log
  return Effect.zipRight(
    log,
    Effect.flatMap(AlerterTag, (alerter) =>
      Effect.catchAllCause(
        Effect.suspend(() => alerter.alert(entry)),
        (cause) => Effect.logWarning("alert hook failed", cause)
      ))
  )
}

/** @internal */
export const logCause = <E>(cause: Cause.Cause<E>, options: LogOptions = {}): Effect.Effect<void> =>
  Effect.flatMap(
    Effect.zip(FiberRef.get(currentRequestContext), errors.ErrorClassification),
    ([context, classification]) => {
      const entry = makeEntry(cause, {
        context,
        classification,
        severity: options.severity,
        code: options.code,
        fields: options.fields
      })
      return entry === undefined ? Effect.void : logEntry(entry, options.message)
    }
  )

const logged = new WeakSet<object>()

const loggedKey = <E>(cause: Cause.Cause<E>): object => {
  const primary = data.primaryOf(cause)
  return primary !== undefined && typeof primary.error === "object" && primary.error !== null
    ? primary.error
    : cause
}

/** `true` once `logFailure` has written this failure, so outer layers do not write it again. @internal */
export const wasLogged = <E>(cause: Cause.Cause<E>): boolean => logged.has(loggedKey(cause))

/** @internal */
export const logFailure: {
  (operation: string): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, operation: string): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, operation: string): Effect.Effect<A, E, R> =>
  withOperation(
    Effect.tapErrorCause(self, (cause) => {
      if (Cause.isInterruptedOnly(cause)) return Effect.void
      const key = loggedKey(cause)
      if (logged.has(key)) return Effect.void
      logged.add(key)
      return logCause(cause)
    }),
    operation
  ))

// --- loggers ---------------------------------------------------------------------------

const reserved = new Set(["timestamp", "level", "message", "fiber_id"])

const messageText = (message: unknown): string => {
  const parts = Array.isArray(message) ? message : [message]
  return parts.map((part) => typeof part === "string" ? part : Inspectable.stringifyCircular(data.toLogValue(part)))
    .join(" ")
}

const firstKeys = ["error_code", "error_type", "error_message", "severity", "operation", "request_id", "user_id"]

/** Annotations in a stable order: the seed's fields first, the rest by name, the stack last. */
const orderedAnnotations = (annotations: HashMap.HashMap<string, unknown>): Array<[string, unknown]> => {
  const all = new Map(HashMap.toEntries(annotations))
  const rest = [...all.keys()].filter((k) => !firstKeys.includes(k) && k !== "stack_trace").sort()
  return [...firstKeys, ...rest, "stack_trace"].filter((k) => all.has(k)).map((k) => [k, all.get(k)])
}

/** @internal */
export const jsonLogger: Logger.Logger<unknown, string> = Logger.make((options) => {
  const line: Record<string, unknown> = {
    timestamp: options.date.toISOString(),
    level: options.logLevel.label,
    message: messageText(options.message)
  }
  for (const [key, value] of orderedAnnotations(options.annotations)) {
    if (!reserved.has(key)) line[key] = data.toLogValue(value)
  }
  line["fiber_id"] = FiberId.threadName(options.fiberId)
  const now = options.date.getTime()
  if (List.isCons(options.spans)) {
    const spans: Record<string, number> = {}
    for (const span of options.spans) spans[span.label] = now - span.startTime
    line["spans"] = spans
  }
  if (!Cause.isEmpty(options.cause) && line["stack_trace"] === undefined) {
    line["stack_trace"] = Cause.pretty(options.cause, { renderErrorCause: true })
  }
  return Inspectable.stringifyCircular(line)
})

const renderValue = (value: unknown): string => {
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value
  return Inspectable.stringifyCircular(data.toLogValue(value))
}

/** @internal */
export const prettyLogger: Logger.Logger<unknown, string> = Logger.make((options) => {
  const annotations = orderedAnnotations(options.annotations)
  const stack = annotations.find(([k]) => k === "stack_trace")?.[1]
  const head = `${options.date.toISOString()} ${options.logLevel.label.padEnd(5)} ${messageText(options.message)}`
  const fields = annotations.filter(([k]) => k !== "stack_trace").map(([k, v]) => `${k}=${renderValue(v)}`).join(" ")
  const body = fields === "" ? head : `${head}  ${fields}`
  const trace = typeof stack === "string"
    ? stack
    : Cause.isEmpty(options.cause)
    ? undefined
    : Cause.pretty(options.cause, { renderErrorCause: true })
  return trace === undefined ? body : `${body}\n${trace.replace(/^/gm, "    ")}`
})

/** @internal */
export const layerJson: Layer.Layer<never> = Logger.replace(Logger.defaultLogger, Logger.withConsoleLog(jsonLogger))

/** @internal */
export const layerPretty: Layer.Layer<never> = Logger.replace(
  Logger.defaultLogger,
  Logger.withConsoleLog(prettyLogger)
)

/** @internal */
export type Format = "json" | "pretty"

/** @internal */
export const layer = (format: Format): Layer.Layer<never> => format === "json" ? layerJson : layerPretty

/** @internal */
export const layerConfig = (
  config: Config.Config<Format> = Config.literal("json", "pretty")("LOG_FORMAT").pipe(Config.withDefault("json"))
): Layer.Layer<never, import("effect/ConfigError").ConfigError> => Layer.unwrapEffect(Effect.map(config, layer))
