/**
 * A circuit breaker stops calling a failing dependency: after enough failures it opens and
 * rejects calls at once with a typed {@link CircuitOpen}; after a break it lets a few probe
 * calls through, and closes again when they succeed.
 *
 * ```text
 *            trip strategy fires                    break elapsed
 *   CLOSED ----------------------> OPEN -------------------------> HALF_OPEN
 *     ^                             ^                                  |
 *     |                             +------ a probe fails (or slow) ---+
 *     +------------------------ all N probes succeed ------------------+
 *
 *   isolate: force ISOLATED (rejects all)   disable: DISABLED (admits all)   reset: CLOSED
 * ```
 *
 * The state is a small mutable record changed only inside single synchronous steps, so every
 * admit decision and every transition is atomic without locks; a successful call through a
 * closed circuit costs one state check and one counter update. Time comes from `Clock`.
 *
 * @since 0.1.0
 */
import type { Config, ConfigError, Context, Duration, Effect, Layer, Metric, Scope } from "effect"
import * as internal from "./internal/circuitBreaker.js"
import * as internalConfig from "./internal/circuitBreakerConfig.js"

// --- models -------------------------------------------------------------------------

/**
 * The symbol every breaker carries, so `isCircuitBreaker` can recognise one.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const program = Effect.map(CircuitBreaker.make({ name: "payments" }), (b) => CircuitBreaker.TypeId in b) // true
 * ```
 *
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: typeof internal.TypeId = internal.TypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = internal.TypeId

/**
 * A circuit breaker guarding one dependency.
 *
 * **Details**
 *
 * - `protect(effect)` runs `effect` if the circuit admits it, else fails with `CircuitOpen`.
 * - `state` reads the state (an elapsed break turns `Open` into `HalfOpen` on this read).
 * - `changes` is every state change from the moment of subscription on.
 * - `isolate` forces the circuit open until `reset`; `disable` lets everything through
 *   untracked until `reset`; `reset` closes it and clears its counts and backoff.
 * - `snapshot` / `restore` carry the state across a restart (see {@link Snapshot}).
 *
 * **Example**
 *
 * ```ts
 * import { Effect } from "effect"
 * import { CircuitBreaker, Errors } from "effect-resilience"
 *
 * const program = Effect.gen(function*() {
 *   const breaker = yield* CircuitBreaker.make({ name: "payments" })
 *   const charge = Effect.fail(new Errors.ServiceUnavailable({ service: "payments" }))
 *   yield* breaker.protect(charge).pipe(Effect.ignore)
 *   return yield* breaker.state // "Closed": 1 of 5 consecutive failures
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface CircuitBreaker extends internal.CircuitBreaker {}

/**
 * The states: `Closed` (calls flow, outcomes counted), `Open` (calls rejected until the
 * break ends), `HalfOpen` (N probes admitted, the rest rejected), `Isolated` (forced open by
 * hand), `Disabled` (everything admitted, nothing counted).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 *
 * Schema.decodeUnknownSync(CircuitBreaker.State)("HalfOpen")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const State: typeof internal.State = internal.State

/**
 * @since 0.1.0
 * @category models
 */
export type State = internal.State

/**
 * Why a state changed: a trip strategy (`ConsecutiveFailures`, `FailureRate`,
 * `SlowCallRate`), the break ending (`BreakElapsed`), a probe's result (`ProbeFailed`,
 * `ProbeSlow`, `ProbesSucceeded`), or a manual action (`Isolate`, `Reset`, `Disable`,
 * `Restore`).
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const reason: CircuitBreaker.Reason = "ProbeFailed"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const Reason: typeof internal.Reason = internal.Reason

/**
 * @since 0.1.0
 * @category models
 */
export type Reason = internal.Reason

/**
 * One state change, as published on `changes` and logged: breaker, from, to, reason, and
 * the `Clock` time in epoch milliseconds.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const watch = (breaker: CircuitBreaker.CircuitBreaker) =>
 *   breaker.changes.pipe(
 *     Stream.runForEach((c: CircuitBreaker.StateChange) => Effect.log(`${c.breaker}: ${c.from} -> ${c.to} (${c.reason})`))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const StateChange: typeof internal.StateChange = internal.StateChange

/**
 * @since 0.1.0
 * @category models
 */
export interface StateChange extends internal.StateChange {}

/**
 * The serialisable state of a breaker: its state, how many times it opened since it last
 * closed (where the break-duration backoff stands), and when an open circuit admits probes
 * (`Clock` time, epoch milliseconds). Window counts are not kept: a restored closed circuit
 * starts counting afresh.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const json = Schema.encodeSync(Schema.parseJson(CircuitBreaker.Snapshot))({
 *   name: "payments", state: "Open", openings: 2, openUntil: 1_700_000_030_000
 * })
 * Schema.decodeUnknownSync(Schema.parseJson(CircuitBreaker.Snapshot))(json)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const Snapshot: typeof internal.Snapshot = internal.Snapshot

/**
 * @since 0.1.0
 * @category models
 */
export interface Snapshot extends internal.Snapshot {}

// --- errors ---------------------------------------------------------------------------

/**
 * A call rejected by an open circuit. Transient, `CIRCUIT_OPEN`, HTTP 503.
 *
 * **Details**
 *
 * `retryAfter` is the remaining open time, what an HTTP boundary sends as `Retry-After`.
 * When the remaining time is unknown (half-open with every probe permit taken, or isolated)
 * it is the break duration of the most recent opening.
 *
 * **Example**
 *
 * ```ts
 * import { Duration, Effect } from "effect"
 * import { CircuitBreaker, Errors } from "effect-resilience"
 *
 * const rejected = new CircuitBreaker.CircuitOpen({ name: "payments", retryAfter: Duration.seconds(12) })
 * Errors.statusOf(rejected) // 503
 * Errors.retryAfterOf(rejected) // Option.some(Duration.seconds(12))
 *
 * const queued = (call: Effect.Effect<string, CircuitBreaker.CircuitOpen>) =>
 *   call.pipe(Effect.catchTag("CircuitOpen", () => Effect.succeed("queued")))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const CircuitOpen: typeof internal.CircuitOpen = internal.CircuitOpen

/**
 * @since 0.1.0
 * @category errors
 */
export type CircuitOpen = internal.CircuitOpen

// --- trip strategies ---------------------------------------------------------------------

/**
 * When a closed circuit opens. Build one with {@link consecutiveFailures}, {@link countWindow}
 * or {@link timeWindow}.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const strategy: CircuitBreaker.TripStrategy = CircuitBreaker.consecutiveFailures(5)
 * ```
 *
 * @since 0.1.0
 * @category trip strategies
 */
export type TripStrategy = internal.TripStrategy

/**
 * Slow-call detection for the rate windows: a call that takes longer than `threshold`
 * (success or failure) is slow, and the circuit opens when slow calls reach `rate` (0 to 1)
 * of the window.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const slowCall: CircuitBreaker.SlowCall = { threshold: "2 seconds", rate: 0.8 }
 * ```
 *
 * @since 0.1.0
 * @category trip strategies
 */
export interface SlowCall extends internal.SlowCall {}

/**
 * Options shared by the rate windows.
 *
 * - `failureRate` (default 0.5): open when counted failures are at least this share (0 to 1)
 *   of the calls in the window.
 * - `minimumCalls`: no verdict before the window holds this many calls (count window:
 *   default its size; time window: default 10), so one failure of one call is not 100%.
 * - `slowCall`: also open on the share of slow calls (see {@link SlowCall}).
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const options: CircuitBreaker.WindowOptions = { failureRate: 0.5, minimumCalls: 20 }
 * ```
 *
 * @since 0.1.0
 * @category trip strategies
 */
export interface WindowOptions extends internal.WindowOptions {}

/**
 * Opens after `threshold` counted failures in a row; any success starts the count again.
 * The right choice for low-traffic dependencies, where rates say little.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "effect-resilience"
 *
 * CircuitBreaker.make({ name: "payments", trip: CircuitBreaker.consecutiveFailures(5) })
 * ```
 *
 * @since 0.1.0
 * @category trip strategies
 */
export const consecutiveFailures: (threshold: number) => TripStrategy = internal.consecutiveFailures

/**
 * Opens on the failure (or slow-call) rate over the last `size` calls.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "effect-resilience"
 *
 * CircuitBreaker.countWindow({ size: 100, failureRate: 0.5, minimumCalls: 20 })
 * ```
 *
 * @since 0.1.0
 * @category trip strategies
 */
export const countWindow: (options: WindowOptions & { readonly size: number }) => TripStrategy =
  internal.countWindow

/**
 * Opens on the failure (or slow-call) rate over the calls of the last `window`, once it holds
 * `minimumCalls`. The window slides in `buckets` steps (default 10): memory is constant
 * whatever the traffic, and a call leaves the window between `window - window/buckets` and
 * `window` after it finished.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "effect-resilience"
 *
 * CircuitBreaker.timeWindow({
 *   window: "60 seconds",
 *   minimumCalls: 20,
 *   failureRate: 0.5,
 *   slowCall: { threshold: "2 seconds", rate: 0.8 }
 * })
 * ```
 *
 * @since 0.1.0
 * @category trip strategies
 */
export const timeWindow: (
  options: WindowOptions & { readonly window: Duration.DurationInput; readonly buckets?: number | undefined }
) => TripStrategy = internal.timeWindow

// --- constructors ------------------------------------------------------------------------

/**
 * Options of {@link make}.
 *
 * - `name`: the breaker's name in `CircuitOpen`, logs, metrics and snapshots.
 * - `trip` (default `consecutiveFailures(5)`): when a closed circuit opens.
 * - `breakDuration` (default 30 seconds): how long an opening lasts; a duration, or a
 *   `Schedule` whose n-th delay is the n-th consecutive opening's (e.g. exponential, capped);
 *   the backoff starts again when the circuit closes. The schedule must be synchronous (every
 *   built-in one is); when it ends, its last duration is kept.
 * - `halfOpenProbes` (default 1): how many probe calls a half-open circuit admits; all must
 *   succeed to close it, one failure (or slow probe, with a `slowCall` option) re-opens it.
 * - `isFailure` (default {@link defaultIsFailure}): which typed errors count as failures of
 *   the dependency. Defects always count; errors that do not are "ignored" (recorded in the
 *   metrics only). Interrupted calls count as nothing and give back their probe permit.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const options: CircuitBreaker.Options = {
 *   name: "payments",
 *   trip: CircuitBreaker.countWindow({ size: 50, failureRate: 0.5, minimumCalls: 10 }),
 *   breakDuration: Schedule.exponential("10 seconds").pipe(Schedule.union(Schedule.spaced("5 minutes"))),
 *   halfOpenProbes: 3
 * }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export interface Options extends internal.Options {}

/**
 * The default failure predicate: transient errors and errors outside the taxonomy count;
 * permanent, partial and fatal errors do not (a 404 is not a service failure).
 *
 * @example
 * ```ts
 * import { CircuitBreaker, Errors } from "effect-resilience"
 *
 * CircuitBreaker.defaultIsFailure(new Errors.ServiceUnavailable({ service: "s" })) // true
 * CircuitBreaker.defaultIsFailure(new Errors.NotFound({ resource: "user", id: "1" })) // false
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultIsFailure: (error: unknown) => boolean = internal.defaultIsFailure

/**
 * Creates a closed breaker that lives as long as the scope. Time comes from the `Clock` in
 * force here (so `TestClock` drives it in tests).
 *
 * **Details**
 *
 * Every state change is published on `changes` and logged (`circuit_breaker_state_change`,
 * annotated with breaker, from, to and reason; warning level when opening). Metrics, tagged
 * with `breaker`: the gauge `effect_resilience_circuit_breaker_state` (0 closed, 1 open,
 * 2 half-open, 3 disabled, 4 isolated) and the counter `effect_resilience_circuit_breaker_calls`
 * tagged `outcome`: success, failure, rejected, slow (a slow success), ignored.
 *
 * **Example**
 *
 * ```ts
 * import { Duration, Effect } from "effect"
 * import { CircuitBreaker, Errors } from "effect-resilience"
 *
 * const charge = (id: string) =>
 *   Effect.fail(new Errors.ServiceUnavailable({ service: "payments", reason: id }))
 *
 * const program = Effect.gen(function*() {
 *   const breaker = yield* CircuitBreaker.make({ name: "payments", breakDuration: "30 seconds" })
 *   return yield* charge("p-1").pipe(
 *     breaker.protect,
 *     Effect.catchTag("CircuitOpen", (e) => Effect.succeed(`queued, retry in ${Duration.format(e.retryAfter)}`))
 *   )
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options: Options) => Effect.Effect<CircuitBreaker, never, Scope.Scope> = internal.make

/**
 * Provides a breaker under your own tag, one tag per dependency: an application has many
 * breakers, so the tag names the dependency, not the breaker type.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 *
 * class PaymentsBreaker extends Context.Tag("app/PaymentsBreaker")<PaymentsBreaker, CircuitBreaker.CircuitBreaker>() {}
 *
 * const PaymentsBreakerLive = CircuitBreaker.layer(PaymentsBreaker, { name: "payments" })
 *
 * const program = Effect.gen(function*() {
 *   const breaker = yield* PaymentsBreaker
 *   return yield* breaker.protect(Effect.succeed("charged"))
 * }).pipe(Effect.provide(PaymentsBreakerLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: <I>(tag: Context.Tag<I, CircuitBreaker>, options: Options) => Layer.Layer<I> = internal.layer

// --- config ----------------------------------------------------------------------------------

/**
 * The plain-data part of {@link Options}, as {@link config} reads it: what operators tune per
 * environment, while `name` and `isFailure` stay in code.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const settings: CircuitBreaker.Settings = {
 *   trip: CircuitBreaker.consecutiveFailures(5),
 *   breakDuration: Duration.seconds(30),
 *   halfOpenProbes: 1
 * }
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export interface Settings extends internalConfig.Settings {}

/**
 * Reads {@link Settings} from `Config` (environment variables by default). Every key is
 * optional:
 *
 * | key | meaning | default |
 * | --- | --- | --- |
 * | `TRIP` | `consecutive`, `count` or `time` ({@link consecutiveFailures}, {@link countWindow}, {@link timeWindow}) | `consecutive` |
 * | `FAILURE_THRESHOLD` | `consecutive`: failures in a row that open the circuit | 5 |
 * | `WINDOW_SIZE` | `count`: calls in the window | 100 |
 * | `WINDOW` | `time`: the window, a duration (`60 seconds`) | 60 seconds |
 * | `BUCKETS` | `time`: steps the window slides in | 10 |
 * | `FAILURE_RATE` | `count`/`time`: share of failures (0 to 1] that opens it | 0.5 |
 * | `MINIMUM_CALLS` | `count`/`time`: calls before any verdict | `count`: `WINDOW_SIZE`; `time`: 10 |
 * | `SLOW_CALL_THRESHOLD` | `count`/`time`: a call slower than this is slow | no slow-call detection |
 * | `SLOW_CALL_RATE` | `count`/`time`: share of slow calls (0 to 1] that opens it | 1 |
 * | `BREAK_DURATION` | how long an opening lasts | 30 seconds |
 * | `MAX_BREAK_DURATION` | when set, consecutive openings back off exponentially from `BREAK_DURATION` up to this | none |
 * | `HALF_OPEN_PROBES` | probe calls a half-open circuit admits | 1 |
 *
 * A value that does not parse or is out of range, or a key the chosen `TRIP` does not read
 * (`WINDOW_SIZE` with `TRIP=time`), fails with a `ConfigError` naming the key: a typo crashes
 * at startup instead of leaving a breaker with settings nobody chose. Nest it under a prefix
 * with `Config.nested`.
 *
 * @example
 * ```ts
 * import { Config, Effect } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 *
 * // PAYMENTS_BREAKER_TRIP=count PAYMENTS_BREAKER_WINDOW_SIZE=50 PAYMENTS_BREAKER_BREAK_DURATION="10 seconds"
 * const program = Effect.gen(function*() {
 *   const settings = yield* Config.nested(CircuitBreaker.config, "PAYMENTS_BREAKER")
 *   return yield* CircuitBreaker.make({ ...settings, name: "payments" })
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Settings> = internalConfig.config

/**
 * Options of {@link layerConfig}: what cannot come from configuration.
 *
 * - `name`: the breaker's name in `CircuitOpen`, logs, metrics and snapshots.
 * - `prefix`: the keys of {@link config} are read nested under it (`PAYMENTS_BREAKER` reads
 *   `PAYMENTS_BREAKER_TRIP` from the environment).
 * - `isFailure` (default {@link defaultIsFailure}): which typed errors count as failures.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const options: CircuitBreaker.LayerConfigOptions = { name: "payments", prefix: "PAYMENTS_BREAKER" }
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export interface LayerConfigOptions extends internalConfig.LayerConfigOptions {}

/**
 * {@link layer} with the plain-data options read from {@link config} when the layer is built;
 * an invalid or misplaced key fails the layer with a `ConfigError`.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { CircuitBreaker, Errors } from "effect-resilience"
 *
 * class PaymentsBreaker extends Context.Tag("app/PaymentsBreaker")<PaymentsBreaker, CircuitBreaker.CircuitBreaker>() {}
 *
 * // PAYMENTS_BREAKER_FAILURE_THRESHOLD=3, PAYMENTS_BREAKER_MAX_BREAK_DURATION="5 minutes", ...
 * const PaymentsBreakerLive = CircuitBreaker.layerConfig(PaymentsBreaker, {
 *   name: "payments",
 *   prefix: "PAYMENTS_BREAKER",
 *   isFailure: (e) => CircuitBreaker.defaultIsFailure(e) && !(e instanceof Errors.RateLimited)
 * })
 *
 * const program = Effect.flatMap(PaymentsBreaker, (b) => b.protect(Effect.succeed("charged"))).pipe(
 *   Effect.provide(PaymentsBreakerLive)
 * )
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const layerConfig: <I>(
  tag: Context.Tag<I, CircuitBreaker>,
  options: LayerConfigOptions
) => Layer.Layer<I, ConfigError.ConfigError> = internalConfig.layerConfig

// --- metrics -----------------------------------------------------------------------------

/**
 * The gauge `effect_resilience_circuit_breaker_state`, tagged `breaker`: 0 closed, 1 open,
 * 2 half-open, 3 disabled, 4 isolated (resilience4j's numbering).
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const paymentsState = Metric.value(CircuitBreaker.stateGauge.pipe(Metric.tagged("breaker", "payments")))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const stateGauge: Metric.Metric.Gauge<number> = internal.stateGauge

/**
 * The counter `effect_resilience_circuit_breaker_calls`, tagged `breaker` and `outcome`:
 * `success`, `failure` (counted by the breaker), `rejected` (`CircuitOpen`), `slow` (a success
 * slower than the slow-call threshold), `ignored` (a failure `isFailure` does not count).
 * Interrupted calls are counted nowhere.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const rejections = Metric.value(
 *   CircuitBreaker.callsCounter.pipe(Metric.tagged("breaker", "payments"), Metric.tagged("outcome", "rejected"))
 * )
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const callsCounter: Metric.Metric.Counter<number> = internal.callsCounter

// --- combinators ----------------------------------------------------------------------------

/**
 * Runs an effect through a breaker: data-first `protect(effect, breaker)` or data-last
 * `effect.pipe(protect(breaker))`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CircuitBreaker } from "effect-resilience"
 *
 * const lookup = (breaker: CircuitBreaker.CircuitBreaker) =>
 *   Effect.succeed({ stock: 3 }).pipe(CircuitBreaker.protect(breaker))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const protect: {
  (breaker: CircuitBreaker): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpen, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, breaker: CircuitBreaker): Effect.Effect<A, E | CircuitOpen, R>
} = internal.protect

/**
 * @example
 * ```ts
 * import { CircuitBreaker } from "effect-resilience"
 *
 * CircuitBreaker.isCircuitBreaker({}) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isCircuitBreaker: (u: unknown) => u is CircuitBreaker = internal.isCircuitBreaker
