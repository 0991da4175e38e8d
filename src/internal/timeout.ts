import type { Fiber } from "effect"
import { Cause, Clock, Duration, Effect, Exit, FiberId } from "effect"
import { dual } from "effect/Function"
import { NetworkTimeout } from "../Errors.js"

/** @internal */
export interface TimeoutOptions {
  readonly service: string
  readonly duration: Duration.DurationInput
  readonly disconnect?: boolean | undefined
}

// Node's timers overflow above 2^31 - 1 ms (they fire at once); treat longer waits as "never".
const MAX_TIMER_MILLIS = 2 ** 31 - 1

/**
 * Effect's own Clock: its sleeps are plain `setTimeout`s, so the timer can be one too, without a
 * fiber. Any other Clock (TestClock, a user's) gets a timer fiber that sleeps on that Clock.
 */
const LiveClock = Clock.make().constructor

/** Arms a timer with the callback to run when it fires; returns its cancellation. */
type Timer = (fire: () => void) => () => void

const liveTimer = (millis: number): Timer => (fire) => {
  if (millis > MAX_TIMER_MILLIS) return () => {}
  const handle = setTimeout(fire, millis)
  return () => clearTimeout(handle)
}

const fiberTimer = (sleeper: Fiber.RuntimeFiber<void>): Timer => (fire) => {
  const observer = (exit: Exit.Exit<void>) => {
    if (Exit.isSuccess(exit)) fire()
  }
  sleeper.addObserver(observer)
  return () => {
    sleeper.removeObserver(observer)
    sleeper.unsafeInterruptAsFork(FiberId.none)
  }
}

/**
 * The call runs in a child fiber and the caller waits on it with `Effect.async`; the timer
 * interrupts the child. That is one fork per call (with the live Clock), against the two forks
 * plus race bookkeeping of `Effect.timeout` (see bench/retry.bench.ts).
 */
const awaitWithDeadline = <A, E>(
  child: Fiber.RuntimeFiber<A, E>,
  timer: Timer,
  parent: FiberId.FiberId,
  options: TimeoutOptions,
  duration: Duration.Duration
): Effect.Effect<A, E | NetworkTimeout> =>
  Effect.async<A, E | NetworkTimeout>((resume) => {
    let timedOut = false
    const onTimeout = () => Effect.fail(new NetworkTimeout({ service: options.service, timeout: duration }))
    const observer = (exit: Exit.Exit<A, E>) => {
      cancelTimer()
      // The call may have finished just as the timer fired: its own outcome wins then.
      resume(timedOut && Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? onTimeout() : exit)
    }
    const cancelTimer = timer(() => {
      timedOut = true
      if (options.disconnect === true) {
        child.removeObserver(observer)
        resume(onTimeout())
      }
      child.unsafeInterruptAsFork(parent)
    })
    child.addObserver(observer)
    // The caller was interrupted: take the call down with it, and wait for its finalizers.
    return Effect.suspend(() => {
      cancelTimer()
      child.removeObserver(observer)
      return Effect.asVoid(child.interruptAsFork(parent).pipe(Effect.zipRight(child.await)))
    })
  })

/** @internal */
export const timeout: {
  (options: TimeoutOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | NetworkTimeout, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: TimeoutOptions): Effect.Effect<A, E | NetworkTimeout, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, options: TimeoutOptions) => {
  const duration = Duration.decode(options.duration)
  const millis = Duration.toMillis(duration)
  return Effect.clockWith((clock) =>
    Effect.fiberIdWith((parent) =>
      Effect.uninterruptibleMask((restore) =>
        // Daemons: every way out (result, timer, caller interrupted) is handled here, so they
        // need no supervisor, and a disconnected call is not awaited when the caller ends.
        Effect.flatMap(Effect.forkDaemon(restore(self)), (child) =>
          clock.constructor === LiveClock
            ? restore(awaitWithDeadline(child, liveTimer(millis), parent, options, duration))
            // Forked from the caller so a TestClock sees the timer asleep before time moves.
            : Effect.flatMap(
              Effect.forkDaemon(Effect.interruptible(clock.sleep(duration))),
              (sleeper) => restore(awaitWithDeadline(child, fiberTimer(sleeper), parent, options, duration))
            ))
      )
    )
  )
})
