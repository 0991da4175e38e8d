import type { Scope } from "effect"
import { Cause, Chunk, Clock, Context, Duration, Effect, Layer, Metric, Option, Predicate } from "effect"
import * as Errors from "../Errors.js"

// --- models -----------------------------------------------------------------

/** @internal */
export type DegradationKind = "failure" | "timeout" | "defect" | "build"

/** @internal */
export interface Activation {
  readonly service: string
  readonly kind: DegradationKind
  readonly errorCode: string
  readonly errorType: string
  readonly errorMessage: string
  readonly fallback: string
  readonly at: number
}

/** @internal */
export interface AlertPolicy {
  readonly threshold: number
  readonly window: Duration.Duration
}

/** @internal */
export interface Alert {
  readonly service: string
  readonly activations: number
  readonly window: Duration.Duration
  readonly last: Activation
}

/** @internal */
export interface AlertHook {
  readonly policy: AlertPolicy
  readonly onActivation: (activation: Activation, policy: AlertPolicy) => Effect.Effect<void>
}

/** @internal */
export const defaultPolicy: AlertPolicy = { threshold: 10, window: Duration.minutes(1) }

/** @internal */
export const defaultTimeout: Duration.Duration = Duration.seconds(3)

/** @internal */
export class AlertHookTag extends Context.Reference<AlertHookTag>()("effect-resilience/Fallback/AlertHook", {
  defaultValue: (): AlertHook => ({ policy: defaultPolicy, onActivation: () => Effect.void })
}) {}

/** @internal */
export interface MemoryAlerts {
  readonly alerts: Effect.Effect<ReadonlyArray<Alert>>
}

/** @internal */
export class MemoryAlertsTag extends Context.Tag("effect-resilience/Fallback/MemoryAlerts")<
  MemoryAlertsTag,
  MemoryAlerts
>() {}

// --- alert windows ----------------------------------------------------------

/**
 * Per service, the times of the last `threshold` activations (a ring) and when the last alert
 * fired. `threshold` activations fall within `window` exactly when the oldest of the last
 * `threshold` does, so memory stays bounded by the threshold, not by traffic.
 */
interface ServiceWindow {
  readonly times: Array<number>
  next: number
  filled: number
  lastAlert: number
}

/** @internal */
export const makeAlertHook = (
  send: (alert: Alert) => Effect.Effect<void>,
  policy: AlertPolicy = defaultPolicy
): AlertHook => {
  const windows = new Map<string, ServiceWindow>()
  // Returns the count to alert with, or -1. Synchronous, so concurrent fibers cannot interleave.
  const record = (activation: Activation, p: AlertPolicy): number => {
    const threshold = Math.max(1, Math.floor(p.threshold))
    const windowMs = Duration.toMillis(p.window)
    let w = windows.get(activation.service)
    if (w === undefined || w.times.length !== threshold) {
      w = { times: new Array<number>(threshold).fill(0), next: 0, filled: 0, lastAlert: Number.NEGATIVE_INFINITY }
      windows.set(activation.service, w)
    }
    const now = activation.at
    w.times[w.next] = now
    w.next = (w.next + 1) % threshold
    w.filled = Math.min(threshold, w.filled + 1)
    if (w.filled < threshold) return -1
    const oldest = w.times[w.next]!
    if (now - oldest >= windowMs) return -1
    // One alert per window and service: a sustained outage pages once a window, not per call.
    if (now - w.lastAlert < windowMs) return -1
    w.lastAlert = now
    let count = 0
    for (const t of w.times) if (now - t < windowMs) count++
    return count
  }
  return {
    policy,
    onActivation: (activation, p) =>
      Effect.suspend(() => {
        const count = record(activation, p)
        return count < 0 ? Effect.void : send({ service: activation.service, activations: count, window: p.window, last: activation })
      })
  }
}

/** @internal */
export const layerAlertHook = (
  send: (alert: Alert) => Effect.Effect<void>,
  policy?: Partial<{ readonly threshold: number; readonly window: Duration.DurationInput }>
): Layer.Layer<never> =>
  Layer.effectContext(Effect.sync(() => Context.make(AlertHookTag, makeAlertHook(send, resolvePolicy(policy, defaultPolicy)))))

/** @internal */
export const layerAlertHookMemory = (
  policy?: Partial<{ readonly threshold: number; readonly window: Duration.DurationInput }>
): Layer.Layer<MemoryAlertsTag> =>
  Layer.effectContext(Effect.sync(() => {
    const alerts: Array<Alert> = []
    const hook = makeAlertHook((alert) => Effect.sync(() => void alerts.push(alert)), resolvePolicy(policy, defaultPolicy))
    return Context.make(AlertHookTag, hook).pipe(
      Context.add(MemoryAlertsTag, { alerts: Effect.sync(() => alerts.slice()) })
    )
  })) as Layer.Layer<MemoryAlertsTag>

const resolvePolicy = (
  policy: Partial<{ readonly threshold: number; readonly window: Duration.DurationInput }> | undefined,
  base: AlertPolicy
): AlertPolicy => ({
  threshold: policy?.threshold ?? base.threshold,
  window: policy?.window === undefined ? base.window : Duration.decode(policy.window)
})

// --- metrics ----------------------------------------------------------------

/** @internal */
export const activations: Metric.Metric.Counter<number> = Metric.counter("effect_resilience_fallback_activations_total", {
  description: "Graceful-degradation activations, by service and error code",
  incremental: true
})

/** @internal */
export const refusals: Metric.Metric.Counter<number> = Metric.counter("effect_resilience_fallback_refused_total", {
  description: "Failures a fallback refused to degrade because they were fatal, by service",
  incremental: true
})

// --- per call -----------------------------------------------------------------

/** @internal */
export interface DegradeOptions {
  readonly service: string
  readonly timeout?: Duration.DurationInput | undefined
  readonly alert?: boolean | Partial<{ readonly threshold: number; readonly window: Duration.DurationInput }> | undefined
  readonly defects?: "degrade" | "propagate" | undefined
  readonly label?: string | undefined
}

/** @internal */
export type RefuseFatal<E> = [Extract<E, Errors.Fatal>] extends [never] ? unknown
  : { readonly "Fatal errors are never degraded: handle them first (e.g. Errors.dieOnFatal)": Extract<E, Errors.Fatal> }

type Decision =
  | { readonly _tag: "Propagate"; readonly fatal: unknown }
  | { readonly _tag: "Degrade"; readonly kind: DegradationKind; readonly error: unknown }

const isFatal = (u: unknown): boolean => Errors.isFatal(u)

const decide = <E>(cause: Cause.Cause<E>, defects: "degrade" | "propagate", timeout: unknown): Decision => {
  // Interruption is the caller's decision (a timeout above us, a shutdown): never swallow it.
  if (Cause.isInterruptedOnly(cause)) return { _tag: "Propagate", fatal: undefined }
  const failures = Cause.failures(cause)
  const dies = Cause.defects(cause)
  const fatal = Chunk.findFirst(failures, isFatal).pipe(Option.orElse(() => Chunk.findFirst(dies, isFatal)))
  if (Option.isSome(fatal)) return { _tag: "Propagate", fatal: fatal.value }
  const failure = Chunk.head(failures)
  if (Option.isSome(failure)) {
    return { _tag: "Degrade", kind: failure.value === timeout ? "timeout" : "failure", error: failure.value }
  }
  const defect = Chunk.head(dies)
  if (Option.isSome(defect) && defects === "degrade") return { _tag: "Degrade", kind: "defect", error: defect.value }
  return { _tag: "Propagate", fatal: undefined }
}

/** @internal */
export const errorTypeOf = (u: unknown): string => {
  if (Predicate.hasProperty(u, "_tag") && typeof u._tag === "string") return u._tag
  if (u instanceof Error) return u.name === "Error" ? u.constructor.name : u.name
  return typeof u
}

/** @internal */
export const errorMessageOf = (u: unknown): string => {
  if (u instanceof Error || (Predicate.hasProperty(u, "message") && typeof u.message === "string")) {
    return String((u as { message: string }).message)
  }
  return String(u)
}

/** @internal */
export const describeValue = (value: unknown): string => {
  let text: string
  try {
    text = typeof value === "string" ? JSON.stringify(value) : value === undefined ? "undefined" : JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

const policyOf = (
  alert: DegradeOptions["alert"],
  hook: AlertHook
): AlertPolicy | undefined =>
  alert === false ? undefined : alert === true || alert === undefined ? hook.policy : resolvePolicy(alert, hook.policy)

/** @internal */
export const activate = (
  service: string,
  kind: DegradationKind,
  error: unknown,
  fallback: string,
  alert: DegradeOptions["alert"],
  cause: Cause.Cause<unknown> | undefined
): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (at) => {
    const activation: Activation = {
      service,
      kind,
      errorCode: kind === "defect" ? "INTERNAL_ERROR" : Errors.codeOf(error),
      errorType: kind === "defect" ? `Defect(${errorTypeOf(error)})` : errorTypeOf(error),
      errorMessage: errorMessageOf(error),
      fallback,
      at
    }
    const annotations: Record<string, unknown> = {
      event: "graceful_degradation_activated",
      service,
      degradation: kind,
      error_code: activation.errorCode,
      error_type: activation.errorType,
      error_message: activation.errorMessage,
      fallback
    }
    // A defect in a non-critical call is still a bug: it degrades, but logs as unexpected with its stack.
    const log = kind === "defect"
      ? Effect.logError("graceful degradation activated by a defect", cause ?? Cause.empty)
      : Effect.logWarning("graceful degradation activated")
    return log.pipe(
      Effect.annotateLogs(annotations),
      Effect.zipRight(
        Metric.increment(
          Metric.tagged(Metric.tagged(activations, "service", service), "error_code", activation.errorCode)
        )
      ),
      Effect.zipRight(Effect.flatMap(AlertHookTag, (hook) => {
        const policy = policyOf(alert, hook)
        // An alert hook that breaks must not break the call it reports on.
        return policy === undefined ? Effect.void : Effect.catchAllCause(
          hook.onActivation(activation, policy),
          (c) => Effect.logError("fallback alert hook failed", c).pipe(Effect.annotateLogs({ service }))
        )
      }))
    )
  })

const refuse = (service: string, fatal: unknown): Effect.Effect<void> =>
  Effect.logFatal("refusing to degrade a fatal error: it propagates").pipe(
    Effect.annotateLogs({
      event: "graceful_degradation_refused",
      service,
      error_code: Errors.codeOf(fatal),
      error_type: errorTypeOf(fatal),
      error_message: errorMessageOf(fatal)
    }),
    Effect.zipRight(Metric.increment(Metric.tagged(refusals, "service", service)))
  )

/** @internal */
export const degradeWith = <A, E, R, A2, E2, R2>(
  self: Effect.Effect<A, E, R>,
  options: DegradeOptions & {
    readonly orElse: (cause: Cause.Cause<E | Errors.NetworkTimeout>) => Effect.Effect<A2, E2, R2>
  }
): Effect.Effect<A | A2, E | E2, R | R2> => {
  const timeout = options.timeout === undefined ? defaultTimeout : Duration.decode(options.timeout)
  const timeoutError = new Errors.NetworkTimeout({ service: options.service, timeout })
  const timed: Effect.Effect<A, E | Errors.NetworkTimeout, R> = Duration.isFinite(timeout)
    ? Effect.timeoutFail(self, { duration: timeout, onTimeout: () => timeoutError })
    : self
  const defects = options.defects ?? "degrade"
  const label = options.label ?? "effect"
  return Effect.catchAllCause(timed, (cause) => {
    const decision = decide(cause, defects, timeoutError)
    if (decision._tag === "Propagate") {
      const failed = Effect.failCause(cause as Cause.Cause<E>)
      return decision.fatal === undefined ? failed : Effect.zipRight(refuse(options.service, decision.fatal), failed)
    }
    return Effect.zipRight<void, never, never, A | A2, E | E2, R2>(
      activate(options.service, decision.kind, decision.error, label, options.alert, cause),
      options.orElse(cause)
    )
  })
}

/** @internal */
export const degrade = <A, E, R, A2>(
  self: Effect.Effect<A, E, R>,
  options: DegradeOptions & { readonly fallback: A2 }
): Effect.Effect<A | A2, E, R> => {
  const fallback = Effect.succeed(options.fallback)
  return degradeWith(self, {
    ...options,
    label: options.label ?? describeValue(options.fallback),
    orElse: () => fallback
  })
}

// --- layers -------------------------------------------------------------------

/** @internal */
export interface LayerOptions {
  readonly service: string
  readonly alert?: DegradeOptions["alert"]
}

/** @internal */
export const layerOnBuildFailure = <ROut, E1, R1, E2, R2>(
  live: Layer.Layer<ROut, E1, R1>,
  fallback: Layer.Layer<ROut, E2, R2>,
  options: LayerOptions
): Layer.Layer<ROut, E1 | E2, R1 | R2> =>
  Layer.catchAllCause(live, (cause): Layer.Layer<ROut, E1 | E2, R2> => {
    const decision = decide(cause, "degrade", undefined)
    if (decision._tag === "Propagate") {
      const failed = Layer.failCause(cause)
      return decision.fatal === undefined
        ? failed
        : Layer.flatMap(Layer.effectDiscard(refuse(options.service, decision.fatal)), () => failed)
    }
    return Layer.flatMap(
      Layer.effectDiscard(activate(options.service, "build", decision.error, "fallback layer", options.alert, cause)),
      () => fallback
    )
  })

/** @internal */
export interface WrapOptions extends LayerOptions {
  readonly timeout?: Duration.DurationInput | undefined
  readonly defects?: "degrade" | "propagate" | undefined
  readonly onBuildFailure?: "fallback" | "fail" | undefined
}

/** @internal */
export const wrapService = <S extends object>(live: S, fallback: S, options: WrapOptions): S => {
  const cache = new Map<PropertyKey, unknown>()
  const degradeMember = (name: string, eff: Effect.Effect<unknown, unknown, unknown>, alt: () => unknown) =>
    degradeWith(eff, {
      service: options.service,
      timeout: options.timeout,
      alert: options.alert,
      defects: options.defects,
      label: `fallback.${name}`,
      orElse: () => {
        const other = alt()
        return Effect.isEffect(other) ? other : Effect.succeed(other)
      }
    })
  return new Proxy(live, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (typeof key === "symbol") return value
      if (cache.has(key)) return cache.get(key)
      let wrapped: unknown = value
      if (typeof value === "function") {
        wrapped = (...args: Array<unknown>) => {
          const result = (value as (...a: Array<unknown>) => unknown).apply(target, args)
          if (!Effect.isEffect(result)) return result
          return degradeMember(key, result, () => (fallback as any)[key](...args))
        }
      } else if (Effect.isEffect(value)) {
        wrapped = degradeMember(key, value, () => (fallback as any)[key])
      }
      cache.set(key, wrapped)
      return wrapped
    }
  })
}

/** @internal */
export const layerPerCall = <I, S extends object, E1, R1, E2, R2>(
  tag: Context.Tag<I, S>,
  live: Layer.Layer<I, E1, R1>,
  fallback: Layer.Layer<I, E2, R2>,
  options: WrapOptions
): Layer.Layer<I, E1 | E2, R1 | R2> => {
  const build = <E, R>(layer: Layer.Layer<I, E, R>): Effect.Effect<S, E, R | Scope.Scope> =>
    Effect.map(Layer.build(layer), Context.get(tag))
  return Layer.scoped(
    tag,
    Effect.flatMap(build(fallback), (fb) => {
      const wrapLive = Effect.map(build(live), (l) => wrapService(l, fb, options))
      if (options.onBuildFailure === "fail") return wrapLive
      return Effect.catchAllCause(wrapLive, (cause) => {
        const decision = decide(cause, "degrade", undefined)
        if (decision._tag === "Propagate") {
          return decision.fatal === undefined
            ? Effect.failCause(cause)
            : Effect.zipRight(refuse(options.service, decision.fatal), Effect.failCause(cause))
        }
        return Effect.as(activate(options.service, "build", decision.error, "fallback layer", options.alert, cause), fb)
      })
    })
  )
}
