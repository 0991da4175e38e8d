import type { Context } from "effect"
import { Config, ConfigError as ConfigErrors, Duration, Effect, Either, Layer, Option, Schedule } from "effect"
import * as breaker from "./circuitBreaker.js"

/** @internal */
export interface Settings {
  readonly trip: breaker.TripStrategy
  readonly breakDuration: Duration.Duration | Schedule.Schedule<unknown, number>
  readonly halfOpenProbes: number
}

const positiveInt = (key: string) =>
  Config.integer(key).pipe(Config.validate({ message: "Expected a positive integer", validation: (n) => n >= 1 }))

const rate = (key: string) =>
  Config.number(key).pipe(Config.validate({ message: "Expected a number in (0, 1]", validation: (r) => r > 0 && r <= 1 }))

const positiveDuration = (key: string) =>
  Config.duration(key).pipe(Config.validate({
    message: "Expected a positive, finite duration",
    validation: (d) => Duration.isFinite(d) && Duration.toMillis(d) > 0
  }))

/** The keys only some strategies read: one set for another strategy is a mistake, not a no-op. */
const strategyKeys = {
  FAILURE_THRESHOLD: Config.option(positiveInt("FAILURE_THRESHOLD")),
  WINDOW_SIZE: Config.option(positiveInt("WINDOW_SIZE")),
  WINDOW: Config.option(positiveDuration("WINDOW")),
  BUCKETS: Config.option(positiveInt("BUCKETS")),
  FAILURE_RATE: Config.option(rate("FAILURE_RATE")),
  MINIMUM_CALLS: Config.option(positiveInt("MINIMUM_CALLS")),
  SLOW_CALL_THRESHOLD: Config.option(positiveDuration("SLOW_CALL_THRESHOLD")),
  SLOW_CALL_RATE: Config.option(rate("SLOW_CALL_RATE"))
}

type StrategyKey = keyof typeof strategyKeys

const windowKeys: ReadonlyArray<StrategyKey> = ["FAILURE_RATE", "MINIMUM_CALLS", "SLOW_CALL_THRESHOLD", "SLOW_CALL_RATE"]

const readBy: Readonly<Record<"consecutive" | "count" | "time", ReadonlyArray<StrategyKey>>> = {
  consecutive: ["FAILURE_THRESHOLD"],
  count: ["WINDOW_SIZE", ...windowKeys],
  time: ["WINDOW", "BUCKETS", ...windowKeys]
}

/** @internal */
export const defaults = {
  failureThreshold: 5,
  windowSize: 100,
  window: Duration.seconds(60),
  slowCallRate: 1,
  breakDuration: Duration.seconds(30),
  halfOpenProbes: 1
} as const

/** @internal */
export const config: Config.Config<Settings> = Config.all({
  TRIP: Config.literal("consecutive", "count", "time")("TRIP").pipe(Config.withDefault("consecutive" as const)),
  ...strategyKeys,
  BREAK_DURATION: positiveDuration("BREAK_DURATION").pipe(Config.withDefault(defaults.breakDuration)),
  MAX_BREAK_DURATION: Config.option(positiveDuration("MAX_BREAK_DURATION")),
  HALF_OPEN_PROBES: positiveInt("HALF_OPEN_PROBES").pipe(Config.withDefault(defaults.halfOpenProbes))
}).pipe(Config.mapOrFail((c): Either.Either<Settings, ConfigErrors.ConfigError> => {
  // Each key was checked on its own above; what is left are the keys' combinations.
  const invalid = (message: string) => Either.left(ConfigErrors.InvalidData([], message))
  for (const key of Object.keys(strategyKeys) as Array<StrategyKey>) {
    if (Option.isSome(c[key] as Option.Option<unknown>) && !readBy[c.TRIP].includes(key)) {
      return invalid(`${key} does not apply to TRIP=${c.TRIP} (it reads ${readBy[c.TRIP].join(", ")})`)
    }
  }
  if (Option.isSome(c.SLOW_CALL_RATE) && Option.isNone(c.SLOW_CALL_THRESHOLD)) {
    return invalid("SLOW_CALL_RATE needs SLOW_CALL_THRESHOLD")
  }
  const max = Option.getOrUndefined(c.MAX_BREAK_DURATION)
  if (max !== undefined && Duration.lessThan(max, c.BREAK_DURATION)) {
    return invalid(`MAX_BREAK_DURATION (${Duration.format(max)}) is shorter than BREAK_DURATION (${Duration.format(c.BREAK_DURATION)})`)
  }
  const window = {
    failureRate: Option.getOrUndefined(c.FAILURE_RATE),
    minimumCalls: Option.getOrUndefined(c.MINIMUM_CALLS),
    slowCall: Option.match(c.SLOW_CALL_THRESHOLD, {
      onNone: () => undefined,
      onSome: (threshold) => ({ threshold, rate: Option.getOrElse(c.SLOW_CALL_RATE, () => defaults.slowCallRate) })
    })
  }
  const trip = c.TRIP === "consecutive"
    ? breaker.consecutiveFailures(Option.getOrElse(c.FAILURE_THRESHOLD, () => defaults.failureThreshold))
    : c.TRIP === "count"
    ? breaker.countWindow({ ...window, size: Option.getOrElse(c.WINDOW_SIZE, () => defaults.windowSize) })
    : breaker.timeWindow({
      ...window,
      window: Option.getOrElse(c.WINDOW, () => defaults.window),
      buckets: Option.getOrUndefined(c.BUCKETS)
    })
  // Consecutive openings back off: BREAK_DURATION, twice that, ... up to MAX_BREAK_DURATION.
  const breakDuration: Settings["breakDuration"] = max === undefined
    ? c.BREAK_DURATION
    : Schedule.exponential(c.BREAK_DURATION).pipe(Schedule.union(Schedule.spaced(max)))
  return Either.right({ trip, breakDuration, halfOpenProbes: c.HALF_OPEN_PROBES })
}))

/** @internal */
export interface LayerConfigOptions {
  readonly name: string
  readonly prefix?: string | undefined
  readonly isFailure?: ((error: unknown) => boolean) | undefined
}

/** @internal */
export const layerConfig = <I>(
  tag: Context.Tag<I, breaker.CircuitBreaker>,
  options: LayerConfigOptions
): Layer.Layer<I, ConfigErrors.ConfigError> =>
  Layer.scoped(
    tag,
    Effect.flatMap(
      options.prefix === undefined ? config : Config.nested(config, options.prefix),
      (settings) => breaker.make({ ...settings, name: options.name, isFailure: options.isFailure })
    )
  )
