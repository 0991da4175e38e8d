/**
 * Kill switches: when a non-critical service is causing cascading problems, turn it off
 * without a deploy. `isEnabled(flag)` answers from memory (one `Ref.get`); unknown flags are
 * off. Backends: in-memory ({@link layerMemory}, settable at runtime, for tests), Config/env
 * ({@link layerConfig}), and Postgres with LISTEN/NOTIFY (`effect-resilience/FeatureFlags/Postgres`),
 * where an UPDATE reaches every running instance within a second.
 *
 * @since 0.1.0
 */
import type { ConfigError, Layer, Metric } from "effect"
import { Effect } from "effect"
import { dual } from "effect/Function"
import * as internal from "./internal/featureFlags.js"

/**
 * The kill-switch service.
 *
 * - `isEnabled(flag)`: `true` only for a flag that is known and on. Unknown flags are off, so a
 *   typo or a flag not yet created never turns a guarded call on.
 * - `snapshot`: every known flag, for a status page or a log line.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FeatureFlags } from "effect-resilience"
 *
 * const program = Effect.gen(function*() {
 *   const flags = yield* FeatureFlags.FeatureFlags
 *   return yield* flags.isEnabled("recommendations_enabled")
 * }).pipe(Effect.provide(FeatureFlags.layerMemory({ recommendations_enabled: true })))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export const FeatureFlags: typeof internal.FeatureFlagsTag = internal.FeatureFlagsTag

/**
 * @since 0.1.0
 * @category services
 */
export type FeatureFlags = internal.FeatureFlagsTag

/**
 * The service's shape, for your own backend (`Layer.succeed(FeatureFlags.FeatureFlags, impl)`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FeatureFlags } from "effect-resilience"
 *
 * const allOff: FeatureFlags.Service = { isEnabled: () => Effect.succeed(false), snapshot: Effect.succeed(new Map()) }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Service extends internal.FeatureFlags {}

/**
 * `true` when the flag is on; unknown flags are off.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FeatureFlags } from "effect-resilience"
 *
 * const on = FeatureFlags.isEnabled("email_enabled") // Effect<boolean, never, FeatureFlags>
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const isEnabled = (flag: string): Effect.Effect<boolean, never, FeatureFlags> =>
  Effect.flatMap(internal.FeatureFlagsTag, (flags) => flags.isEnabled(flag))

/**
 * Skips a non-critical effect when its kill switch is off, returning `fallback` without
 * running it. Each skip is logged at DEBUG (`flag`) and counted in
 * `effect_resilience_feature_flag_skips_total{flag}`.
 *
 * **Details**
 *
 * The flag is read each time the effect runs, so a flip applies to the next call. Combine with
 * `Fallback.degrade` for the seed's whole pattern: off means "do not even try", on means "try,
 * and degrade if it fails".
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FeatureFlags, Fallback } from "effect-resilience"
 *
 * const trackSignup = Effect.log("tracked").pipe(
 *   Fallback.degrade({ service: "analytics", fallback: undefined, timeout: "2 seconds" }),
 *   FeatureFlags.guard({ flag: "analytics_enabled", fallback: undefined })
 * ) // Effect<void, never, FeatureFlags>
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const guard: {
  <A2>(
    options: { readonly flag: string; readonly fallback: A2 }
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A | A2, E, R | FeatureFlags>
  <A, E, R, A2>(
    self: Effect.Effect<A, E, R>,
    options: { readonly flag: string; readonly fallback: A2 }
  ): Effect.Effect<A | A2, E, R | FeatureFlags>
} = dual(2, internal.guard)

/**
 * `effect_resilience_feature_flag_skips_total`, tagged `flag`: calls a kill switch skipped.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { FeatureFlags } from "effect-resilience"
 *
 * const skipped = Metric.value(FeatureFlags.skips.pipe(Metric.tagged("flag", "email_enabled")))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const skips: Metric.Metric.Counter<number> = internal.skips

/**
 * A change as logged (`feature flag changed` at INFO with `flag`, `enabled`, `previous`,
 * `updated_by`, `updated_at`, `source`). `enabled: undefined` means the flag was removed.
 *
 * @example
 * ```ts
 * import { FeatureFlags } from "effect-resilience"
 *
 * const change: FeatureFlags.FlagChange = { flag: "email_enabled", enabled: false, previous: true, updatedBy: "oncall", source: "memory" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FlagChange extends internal.FlagChange {}

// --- memory ------------------------------------------------------------------------

/**
 * The setter of the in-memory backend: `set(flag, enabled, updatedBy?)` and
 * `unset(flag, updatedBy?)`, each logged as a change.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FeatureFlags } from "effect-resilience"
 *
 * const killEmail = Effect.flatMap(FeatureFlags.Memory, (m) => m.set("email_enabled", false, "oncall"))
 * ```
 *
 * @since 0.1.0
 * @category memory
 */
export const Memory: typeof internal.MemoryTag = internal.MemoryTag

/**
 * @since 0.1.0
 * @category memory
 */
export type Memory = internal.MemoryTag

/**
 * Flags in a `Ref`, settable at runtime through {@link Memory}: for tests and demos.
 *
 * @example
 * ```ts
 * import { FeatureFlags } from "effect-resilience"
 *
 * const FlagsTest = FeatureFlags.layerMemory({ analytics_enabled: true, email_enabled: true })
 * ```
 *
 * @since 0.1.0
 * @category memory
 */
export const layerMemory: (
  initial?: Readonly<Record<string, boolean>>
) => Layer.Layer<FeatureFlags | Memory> = internal.layerMemory

// --- config ------------------------------------------------------------------------

/**
 * Flags read once from `Config` (environment variables by default) at layer build: each name
 * in `flags` is a boolean (`true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`), nested under
 * `prefix` when given. Absent flags are unknown, hence off; a value that is not a boolean
 * fails the layer with a `ConfigError`, so a misspelt `ture` crashes at startup rather than
 * silently disabling a feature.
 *
 * @example
 * ```ts
 * import { FeatureFlags } from "effect-resilience"
 *
 * // FEATURE_FLAGS_analytics_enabled=false with the default env provider
 * const FlagsLive = FeatureFlags.layerConfig(["analytics_enabled", "email_enabled"], { prefix: "FEATURE_FLAGS" })
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const layerConfig: (
  flags: ReadonlyArray<string>,
  options?: { readonly prefix?: string | undefined }
) => Layer.Layer<FeatureFlags, ConfigError.ConfigError> = internal.layerConfig
