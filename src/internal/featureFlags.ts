import type { ConfigError } from "effect"
import { Config, Context, Effect, FiberRef, Layer, LogLevel, Metric, Option, Ref } from "effect"

/** @internal */
export interface FeatureFlags {
  readonly isEnabled: (flag: string) => Effect.Effect<boolean>
  readonly snapshot: Effect.Effect<ReadonlyMap<string, boolean>>
}

/** @internal */
export class FeatureFlagsTag extends Context.Tag("effect-resilience/FeatureFlags")<FeatureFlagsTag, FeatureFlags>() {}

/** @internal */
export interface FlagChange {
  readonly flag: string
  readonly enabled: boolean | undefined
  readonly previous: boolean | undefined
  readonly updatedBy?: string | undefined
  readonly updatedAt?: Date | undefined
  readonly source: string
}

/** @internal */
export const logChange = (change: FlagChange): Effect.Effect<void> =>
  Effect.logInfo("feature flag changed").pipe(
    Effect.annotateLogs({
      event: "feature_flag_changed",
      flag: change.flag,
      enabled: change.enabled ?? "removed",
      previous: change.previous ?? "unset",
      updated_by: change.updatedBy ?? "unknown",
      updated_at: change.updatedAt?.toISOString() ?? "unknown",
      source: change.source
    })
  )

/**
 * Flags live in an immutable Map swapped in a Ref: a read is one `Ref.get` and a lookup, and
 * a writer (notification, resync, test) replaces the whole map, so readers never see a half
 * update. Unknown flags read as off, as the seed says.
 *
 * @internal
 */
export const fromRef = (ref: Ref.Ref<ReadonlyMap<string, boolean>>): FeatureFlags => ({
  isEnabled: (flag) => Effect.map(Ref.get(ref), (flags) => flags.get(flag) === true),
  snapshot: Ref.get(ref)
})

/** @internal */
export const applyChange = (
  ref: Ref.Ref<ReadonlyMap<string, boolean>>,
  change: Omit<FlagChange, "previous">
): Effect.Effect<void> =>
  Effect.flatMap(
    Ref.modify(ref, (flags): readonly [boolean | undefined | null, ReadonlyMap<string, boolean>] => {
      const previous = flags.get(change.flag)
      if (previous === change.enabled && previous !== undefined) return [null, flags]
      if (previous === undefined && change.enabled === undefined) return [null, flags]
      const next = new Map(flags)
      if (change.enabled === undefined) next.delete(change.flag)
      else next.set(change.flag, change.enabled)
      return [previous, next]
    }),
    (previous) => previous === null ? Effect.void : logChange({ ...change, previous })
  )

// --- memory -------------------------------------------------------------------

/** @internal */
export interface Memory {
  readonly set: (flag: string, enabled: boolean, updatedBy?: string) => Effect.Effect<void>
  readonly unset: (flag: string, updatedBy?: string) => Effect.Effect<void>
}

/** @internal */
export class MemoryTag extends Context.Tag("effect-resilience/FeatureFlags/Memory")<MemoryTag, Memory>() {}

/** @internal */
export const layerMemory = (
  initial: Readonly<Record<string, boolean>> = {}
): Layer.Layer<FeatureFlagsTag | MemoryTag> =>
  Layer.effectContext(Effect.map(Ref.make<ReadonlyMap<string, boolean>>(new Map(Object.entries(initial))), (ref) => {
    const memory: Memory = {
      set: (flag, enabled, updatedBy) => applyChange(ref, { flag, enabled, updatedBy, source: "memory" }),
      unset: (flag, updatedBy) => applyChange(ref, { flag, enabled: undefined, updatedBy, source: "memory" })
    }
    return Context.make(FeatureFlagsTag, fromRef(ref)).pipe(Context.add(MemoryTag, memory))
  }))

// --- config -------------------------------------------------------------------

/** @internal */
export const layerConfig = (
  flags: ReadonlyArray<string>,
  options: { readonly prefix?: string | undefined } = {}
): Layer.Layer<FeatureFlagsTag, ConfigError.ConfigError> => {
  const one = (flag: string) => Config.map(Config.option(Config.boolean(flag)), (value) => [flag, value] as const)
  const all = Config.all(flags.map(one))
  const config = options.prefix === undefined ? all : Config.nested(all, options.prefix)
  return Layer.effect(
    FeatureFlagsTag,
    Effect.flatMap(config, (entries) => {
      const map = new Map<string, boolean>()
      for (const [flag, value] of entries) if (Option.isSome(value)) map.set(flag, value.value)
      return Effect.map(Ref.make<ReadonlyMap<string, boolean>>(map), fromRef)
    })
  )
}

// --- guard ----------------------------------------------------------------------

/** @internal */
export const skips: Metric.Metric.Counter<number> = Metric.counter("effect_resilience_feature_flag_skips_total", {
  description: "Calls skipped because their kill switch was off, by flag",
  incremental: true
})

// Tagging a metric builds and hashes a new key: do it once per flag, not once per skip.
const skipCounters = new Map<string, Metric.Metric.Counter<number>>()
const skipCounter = (flag: string): Metric.Metric.Counter<number> => {
  let counter = skipCounters.get(flag)
  if (counter === undefined) {
    counter = Metric.tagged(skips, "flag", flag)
    skipCounters.set(flag, counter)
  }
  return counter
}

/** @internal */
export const guard = <A, E, R, A2>(
  self: Effect.Effect<A, E, R>,
  options: { readonly flag: string; readonly fallback: A2 }
): Effect.Effect<A | A2, E, R | FeatureFlagsTag> =>
  Effect.flatMap(FeatureFlagsTag, (flags) =>
    Effect.flatMap(flags.isEnabled(options.flag), (enabled): Effect.Effect<A | A2, E, R> =>
      enabled ? self : Effect.zipRight(logSkip(options.flag), Effect.as(Metric.increment(skipCounter(options.flag)), options.fallback))))

// Annotating costs ~15 us (it rebuilds the fiber's annotation map): only pay it when DEBUG
// lines are actually kept, since a switched-off call may be on a hot path.
const logSkip = (flag: string): Effect.Effect<void> =>
  Effect.flatMap(FiberRef.get(FiberRef.currentMinimumLogLevel), (minimum) =>
    LogLevel.greaterThan(minimum, LogLevel.Debug) ? Effect.void : Effect.logDebug("kill switch off: call skipped").pipe(
      Effect.annotateLogs({ event: "feature_flag_skip", flag })
    ))
