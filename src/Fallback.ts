/**
 * Graceful degradation: a non-critical call that fails, times out or dies returns a fallback
 * instead of failing the request, and every activation is logged, counted and can page.
 *
 * **The critical path is never wrapped.** User creation, payments, data writes must fail
 * loudly: wrap only calls whose failure the request can live without (analytics, email,
 * recommendations). Fatal errors are never degraded: the types refuse an effect that can fail
 * with an `Errors.Fatal`, and at runtime a fatal failure or defect propagates with a FATAL log.
 *
 * | piece                   | what it does                                                     |
 * | ----------------------- | ---------------------------------------------------------------- |
 * | `degrade`, `degradeWith`| per call: timeout (3 s default), fallback value or effect        |
 * | `AlertHook`             | fires when one service degrades `threshold` times in `window`    |
 * | `layerOnBuildFailure`   | the fallback implementation when the live layer cannot be built  |
 * | `layerPerCall`          | each method of the live service degrades to the fallback's       |
 *
 * @since 0.1.0
 */
import type { Cause, Context, Duration, Effect, Layer, Metric } from "effect"
import { dual } from "effect/Function"
import type * as Errors from "./Errors.js"
import * as internal from "./internal/fallback.js"

// --- models -------------------------------------------------------------------

/**
 * Why a fallback was used: the call failed, timed out, died (a defect), or, for layers, the
 * live implementation could not be built.
 *
 * @example
 * ```ts
 * import { Fallback } from "effect-resilience"
 *
 * const kind: Fallback.DegradationKind = "timeout"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type DegradationKind = internal.DegradationKind

/**
 * One activation of a fallback, as logged and as seen by an {@link AlertHook}.
 *
 * @example
 * ```ts
 * import { Fallback } from "effect-resilience"
 *
 * const describe = (a: Fallback.Activation) => `${a.service} degraded (${a.errorCode}) -> ${a.fallback}`
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Activation extends internal.Activation {}

/**
 * When to alert: `threshold` activations of one service within `window` (a sliding window on
 * the `Clock`). Default: 10 within 1 minute.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Fallback } from "effect-resilience"
 *
 * const policy: Fallback.AlertPolicy = { threshold: 5, window: Duration.seconds(30) }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface AlertPolicy extends internal.AlertPolicy {}

/**
 * What an alert hook receives: the service, how many activations fell in the window, and the
 * last activation.
 *
 * @example
 * ```ts
 * import { Fallback } from "effect-resilience"
 *
 * const text = (a: Fallback.Alert) => `${a.service} degraded ${a.activations} times: ${a.last.errorMessage}`
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Alert extends internal.Alert {}

/**
 * Options of {@link degrade} and {@link degradeWith}.
 *
 * - `service`: the dependency's name, in logs, metrics and alerts.
 * - `timeout`: default 3 seconds (the seed: 2-3 s for non-critical calls); a slow call fails
 *   with `Errors.NetworkTimeout`, is interrupted, and degrades. `Duration.infinity` disables it.
 * - `alert`: default `true` (the {@link AlertHook}'s policy); `false` opts out; an object
 *   overrides `threshold` / `window` for this call.
 * - `defects`: `"degrade"` (default) or `"propagate"`. See {@link degrade}.
 * - `label`: how the fallback appears in the log line (default: the value, or `"effect"`).
 *
 * @example
 * ```ts
 * import { Fallback } from "effect-resilience"
 *
 * const options: Fallback.DegradeOptions = { service: "recommendations", timeout: "2 seconds", alert: { threshold: 5 } }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface DegradeOptions extends internal.DegradeOptions {}

/**
 * `unknown` when `E` holds no fatal error; otherwise a type no effect satisfies, whose
 * property name is the compiler's error message.
 *
 * @example
 * ```ts
 * import { Errors, Fallback } from "effect-resilience"
 *
 * type Ok = Fallback.RefuseFatal<Errors.ServiceUnavailable> // unknown
 * type Refused = Fallback.RefuseFatal<Errors.MissingConfig> // { "Fatal errors are never degraded: ...": MissingConfig }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type RefuseFatal<E> = internal.RefuseFatal<E>

// --- per call -------------------------------------------------------------------

/**
 * Degrades a non-critical effect to a fallback value: on failure, timeout or defect it logs a
 * structured warning (`service`, `error_code`, `error_type`, `error_message`, `fallback`),
 * increments `effect_resilience_fallback_activations_total{service, error_code}`, lets the
 * {@link AlertHook} count it, and returns `fallback`.
 *
 * **Details**
 *
 * - Fatal errors never degrade. An effect whose error type contains an `Errors.Fatal` does not
 *   compile; a fatal failure or fatal defect that slips through at runtime propagates unchanged,
 *   logged at FATAL level and counted in `effect_resilience_fallback_refused_total`.
 * - Defects degrade by default and are logged at ERROR level with their stack as
 *   `Defect(<type>)`, code `INTERNAL_ERROR`: a bug in the analytics client must not fail the
 *   signup, and it must not hide among expected warnings either. `defects: "propagate"` lets
 *   them through instead.
 * - Interruption always propagates.
 * - The timeout wraps the call (default 3 s) and fails it with `Errors.NetworkTimeout`.
 *
 * **Example**
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Errors, Fallback } from "effect-resilience"
 *
 * const recommendations = (userId: string) =>
 *   Effect.fail(new Errors.ServiceUnavailable({ service: "recommendations" })).pipe(
 *     Effect.as([`for ${userId}`]),
 *     Fallback.degrade({ service: "recommendations", fallback: [] as Array<string>, timeout: "2 seconds" })
 *   ) // Effect<Array<string>>: [] while the engine is down
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const degrade: {
  <A2>(
    options: DegradeOptions & { readonly fallback: A2 }
  ): <A, E, R>(self: Effect.Effect<A, E, R> & RefuseFatal<E>) => Effect.Effect<A | A2, never, R>
  <A, E, R, A2>(
    self: Effect.Effect<A, E, R> & RefuseFatal<E>,
    options: DegradeOptions & { readonly fallback: A2 }
  ): Effect.Effect<A | A2, never, R>
} = dual(2, internal.degrade) as any

/**
 * Like {@link degrade}, with a fallback effect that sees the cause (e.g. read a cache, queue
 * the email for later). The fallback's own failures are not degraded.
 *
 * @example
 * ```ts
 * import { Duration, Effect } from "effect"
 * import { Errors, Fallback } from "effect-resilience"
 *
 * const stockFromCache = Effect.succeed(12)
 * const stock = Effect.fail(new Errors.NetworkTimeout({ service: "inventory", timeout: Duration.seconds(1) })).pipe(
 *   Fallback.degradeWith({ service: "inventory", orElse: () => stockFromCache })
 * ) // Effect<number>
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const degradeWith: {
  <E, A2, E2, R2>(
    options: DegradeOptions & {
      readonly orElse: (cause: Cause.Cause<E | Errors.NetworkTimeout>) => Effect.Effect<A2, E2, R2>
    }
  ): <A, E1 extends E, R>(self: Effect.Effect<A, E1, R> & RefuseFatal<E1>) => Effect.Effect<A | A2, E2, R | R2>
  <A, E, R, A2, E2, R2>(
    self: Effect.Effect<A, E, R> & RefuseFatal<E>,
    options: DegradeOptions & {
      readonly orElse: (cause: Cause.Cause<E | Errors.NetworkTimeout>) => Effect.Effect<A2, E2, R2>
    }
  ): Effect.Effect<A | A2, E2, R | R2>
} = dual(2, internal.degradeWith) as any

// --- alerts -----------------------------------------------------------------------

/**
 * The alert hook every degradation reports to (a `Context.Reference`; the default does
 * nothing). It keeps a sliding window per service on the `Clock` and calls its `send`
 * function once `threshold` activations fall within `window`, then at most once per window
 * while the outage lasts. Build one with {@link layerAlertHook} (paging, chat) or
 * {@link layerAlertHookMemory} (tests).
 *
 * **Details**
 *
 * `send` runs on the degraded call's fiber: keep it quick (enqueue rather than wait on a pager).
 * Its failures and defects are logged and never reach the call.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fallback } from "effect-resilience"
 *
 * const program = Effect.gen(function*() {
 *   const hook = yield* Fallback.AlertHook
 *   return hook.policy.threshold // 10 unless a layer says otherwise
 * })
 * ```
 *
 * @since 0.1.0
 * @category alerts
 */
export const AlertHook: typeof internal.AlertHookTag = internal.AlertHookTag

/**
 * @since 0.1.0
 * @category alerts
 */
export interface AlertHook extends internal.AlertHook {}

/**
 * An alert hook that calls `send` when one service degrades `threshold` times (default 10)
 * within `window` (default 1 minute).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fallback } from "effect-resilience"
 *
 * const PagerLive = Fallback.layerAlertHook(
 *   (alert) => Effect.logError(`PAGE: ${alert.service} degraded ${alert.activations} times`),
 *   { threshold: 5, window: "30 seconds" }
 * )
 * ```
 *
 * @since 0.1.0
 * @category alerts
 */
export const layerAlertHook: (
  send: (alert: Alert) => Effect.Effect<void>,
  policy?: Partial<{ readonly threshold: number; readonly window: Duration.DurationInput }>
) => Layer.Layer<never> = internal.layerAlertHook

/**
 * The alerts a memory hook has sent, in order.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fallback } from "effect-resilience"
 *
 * const sent = Effect.flatMap(Fallback.MemoryAlerts, (m) => m.alerts)
 * ```
 *
 * @since 0.1.0
 * @category alerts
 */
export const MemoryAlerts: typeof internal.MemoryAlertsTag = internal.MemoryAlertsTag

/**
 * @since 0.1.0
 * @category alerts
 */
export type MemoryAlerts = internal.MemoryAlertsTag

/**
 * An alert hook that records alerts in memory, for tests: provides {@link AlertHook} and
 * {@link MemoryAlerts}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Fallback } from "effect-resilience"
 *
 * const program = Effect.flatMap(Fallback.MemoryAlerts, (m) => m.alerts).pipe(
 *   Effect.provide(Fallback.layerAlertHookMemory({ threshold: 3, window: "10 seconds" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category alerts
 */
export const layerAlertHookMemory: (
  policy?: Partial<{ readonly threshold: number; readonly window: Duration.DurationInput }>
) => Layer.Layer<MemoryAlerts> = internal.layerAlertHookMemory

// --- metrics ----------------------------------------------------------------------

/**
 * `effect_resilience_fallback_activations_total`, tagged `service` and `error_code` at each
 * activation.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Fallback } from "effect-resilience"
 *
 * const analyticsDegradations = Metric.value(Fallback.activations.pipe(Metric.tagged("service", "analytics"), Metric.tagged("error_code", "SERVICE_UNAVAILABLE")))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const activations: Metric.Metric.Counter<number> = internal.activations

/**
 * `effect_resilience_fallback_refused_total`, tagged `service`: fatal errors that reached a
 * fallback and were let through. Anything above zero deserves a look.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { Fallback } from "effect-resilience"
 *
 * const refused = Metric.value(Fallback.refusals.pipe(Metric.tagged("service", "email")))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const refusals: Metric.Metric.Counter<number> = internal.refusals

// --- layers -------------------------------------------------------------------------

/**
 * Options of the Layer-level fallbacks: the `service` name for logs, metrics and alerts, and
 * `alert` as in {@link DegradeOptions}.
 *
 * @example
 * ```ts
 * import { Fallback } from "effect-resilience"
 *
 * const options: Fallback.LayerOptions = { service: "recommendations" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface LayerOptions extends internal.LayerOptions {}

/**
 * Options of {@link layerPerCall}: {@link LayerOptions} plus the per-call `timeout` and
 * `defects` of {@link DegradeOptions}, and `onBuildFailure`: `"fallback"` (default: a live
 * layer that cannot be built gives the fallback implementation) or `"fail"`.
 *
 * @example
 * ```ts
 * import { Fallback } from "effect-resilience"
 *
 * const options: Fallback.WrapOptions = { service: "recommendations", timeout: "2 seconds", onBuildFailure: "fail" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface WrapOptions extends internal.WrapOptions {}

/**
 * Chooses the fallback implementation when the live layer cannot be built (the engine's
 * client cannot connect at startup, its config is absent): the build failure is logged and
 * counted as an activation of kind `"build"`, and the fallback layer is built instead.
 *
 * **Details**
 *
 * A fatal build failure (e.g. `Errors.MissingConfig`) is not degraded: it fails the layer.
 * Calls on a live implementation are not wrapped; use {@link layerPerCall} for that.
 *
 * @example
 * ```ts
 * import { Context, Effect, Layer } from "effect"
 * import { Errors, Fallback } from "effect-resilience"
 *
 * class Recommendations extends Context.Tag("Recommendations")<Recommendations, {
 *   readonly forUser: (id: string) => Effect.Effect<ReadonlyArray<string>>
 * }>() {}
 *
 * const EngineLive = Layer.fail(new Errors.ConnectFailed({ service: "recs", reason: "ECONNREFUSED" }))
 * const Empty = Layer.succeed(Recommendations, { forUser: () => Effect.succeed([]) })
 *
 * const RecommendationsLive = Fallback.layerOnBuildFailure(EngineLive, Empty, { service: "recommendations" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerOnBuildFailure: {
  <ROut, E2, R2>(
    fallback: Layer.Layer<ROut, E2, R2>,
    options: LayerOptions
  ): <E1, R1>(live: Layer.Layer<ROut, E1, R1>) => Layer.Layer<ROut, E1 | E2, R1 | R2>
  <ROut, E1, R1, E2, R2>(
    live: Layer.Layer<ROut, E1, R1>,
    fallback: Layer.Layer<ROut, E2, R2>,
    options: LayerOptions
  ): Layer.Layer<ROut, E1 | E2, R1 | R2>
} = dual(3, internal.layerOnBuildFailure)

/**
 * Builds both implementations of a service and wraps each method of the live one: a method
 * returning an `Effect` (and any `Effect`-valued property) degrades to the same method of the
 * fallback implementation, with the timeout, logging, metrics and alerts of {@link degradeWith}.
 * Methods that return plain values and other properties pass through.
 *
 * **Details**
 *
 * Use it for a whole non-critical service; never for one on the critical path. A live layer
 * that cannot be built gives the fallback implementation unless `onBuildFailure: "fail"`.
 * Streams returned by methods are not wrapped. The service's error types are not checked for
 * fatal members at compile time here; at runtime fatal failures propagate with a FATAL log.
 *
 * @example
 * ```ts
 * import { Context, Effect, Layer } from "effect"
 * import { Errors, Fallback } from "effect-resilience"
 *
 * class Recommendations extends Context.Tag("Recommendations")<Recommendations, {
 *   readonly forUser: (id: string) => Effect.Effect<ReadonlyArray<string>, Errors.ServiceUnavailable>
 * }>() {}
 *
 * const Engine = Layer.succeed(Recommendations, {
 *   forUser: () => Effect.fail(new Errors.ServiceUnavailable({ service: "recs" }))
 * })
 * const Empty = Layer.succeed(Recommendations, { forUser: () => Effect.succeed([]) })
 *
 * const RecommendationsLive = Fallback.layerPerCall(Recommendations, Engine, Empty, {
 *   service: "recommendations",
 *   timeout: "2 seconds"
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerPerCall: <I, S extends object, E1, R1, E2, R2>(
  tag: Context.Tag<I, S>,
  live: Layer.Layer<I, E1, R1>,
  fallback: Layer.Layer<I, E2, R2>,
  options: WrapOptions
) => Layer.Layer<I, E1 | E2, R1 | R2> = internal.layerPerCall

/**
 * The proxy behind {@link layerPerCall}, for an implementation you already hold.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Errors, Fallback } from "effect-resilience"
 *
 * interface Mailer { readonly send: (to: string) => Effect.Effect<boolean, Errors.ServiceUnavailable> }
 * const smtp: Mailer = { send: () => Effect.fail(new Errors.ServiceUnavailable({ service: "smtp" })) }
 * const queued: Mailer = { send: () => Effect.succeed(true) }
 *
 * const mailer = Fallback.wrapService(smtp, queued, { service: "email" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const wrapService: <S extends object>(live: S, fallback: S, options: WrapOptions) => S = internal.wrapService
