import { Duration, Effect, Random } from "effect"

/** @internal */
export interface Faults<E> {
  /** Probability in [0, 1] that a call fails with `error` instead of running. */
  readonly failureRate?: number | undefined
  readonly error?: (() => E) | undefined
  /** Probability in [0, 1] that a call dies with `defect`. */
  readonly defectRate?: number | undefined
  readonly defect?: (() => unknown) | undefined
  /** Extra latency added to every call (before it runs), possibly random up to `latencyJitter`. */
  readonly latency?: Duration.DurationInput | undefined
  readonly latencyJitter?: Duration.DurationInput | undefined
}

const checkRate = (name: string, rate: number | undefined): number => {
  const r = rate ?? 0
  if (!(r >= 0 && r <= 1)) throw new RangeError(`Chaos: ${name} must be within [0, 1], got ${r}`)
  return r
}

// Validated when the combinator is built, in both call forms, not on first use.
const compile = <E2>(faults: Faults<E2>) => {
  const failureRate = checkRate("failureRate", faults.failureRate)
  const defectRate = checkRate("defectRate", faults.defectRate)
  if (failureRate > 0 && faults.error === undefined) throw new TypeError("Chaos: failureRate needs an error")
  const latency = Duration.toMillis(faults.latency ?? 0)
  const jitter = Duration.toMillis(faults.latencyJitter ?? 0)
  const delay: Effect.Effect<void> = jitter > 0
    ? Effect.flatMap(Random.next, (r) => Effect.sleep(Duration.millis(latency + r * jitter)))
    : latency > 0
    ? Effect.sleep(Duration.millis(latency))
    : Effect.void
  return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R> =>
    Effect.zipRight(
      delay,
      Effect.flatMap(Random.next, (roll): Effect.Effect<A, E | E2, R> => {
        if (roll < failureRate) return Effect.fail(faults.error!())
        if (roll < failureRate + defectRate) return Effect.die(faults.defect?.() ?? new Error("Chaos: injected defect"))
        return self
      })
    )
}

/** @internal */
export const inject: {
  <E2>(faults: Faults<E2>): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | E2, R>
  <A, E, R, E2>(self: Effect.Effect<A, E, R>, faults: Faults<E2>): Effect.Effect<A, E | E2, R>
} = function(this: unknown, ...args: Array<any>) {
  return args.length >= 2 ? compile(args[1])(args[0]) : compile(args[0])
} as any
