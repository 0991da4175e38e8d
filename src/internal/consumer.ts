import type { DurationInput } from "effect/Duration"
import {
  Cause,
  Chunk,
  Clock,
  Context,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  FiberRef,
  LogLevel,
  Metric,
  MetricKey,
  Option,
  Queue,
  Schedule,
  ScheduleDecision,
  ScheduleIntervals,
  Schema,
  Stream
} from "effect"
import type * as MetricKeyType from "effect/MetricKeyType"
import type { ParseError } from "effect/ParseResult"
import { TreeFormatter } from "effect/ParseResult"
import * as Errors from "../Errors.js"
import type { FailureCategory, NewDeadLetter } from "./deadLetter.js"
import { DeadLetter, errorMessage } from "./deadLetter.js"
import { exponential, retryLazily } from "./retry.js"

// --- message source -----------------------------------------------------------

/** @internal */
export interface ReleaseOptions {
  readonly delay?: DurationInput | undefined
  readonly countAttempt?: boolean | undefined
}

/** @internal */
export interface Message {
  readonly id: string
  readonly queue: string
  readonly payload: string
  readonly attempts: number
  readonly enqueuedAt: Date
  readonly replayOf: string | undefined
  readonly ack: Effect.Effect<void>
  readonly release: (options?: ReleaseOptions) => Effect.Effect<void>
}

/**
 * A source whose `ack` is synchronous bookkeeping may put a function under this key on its
 * messages (one function for all of them): it acks the message it is given at once when that
 * object is one of the source's own deliveries, still held, and answers `false` otherwise (a
 * message rebuilt by a wrapper, or one released already), when the consumer runs `message.ack`
 * as usual. It saves two Effect steps per message on the hot path.
 *
 * @internal
 */
export const ackNow: unique symbol = Symbol.for("effect-resilience/Consumer/ackNow")

/** @internal */
export interface AckNow {
  readonly [ackNow]?: ((message: Message) => boolean) | undefined
}

/**
 * What a source (or the dead-letter store) fails with when it cannot go on: a permanent or fatal
 * infrastructure error such as a missing table. Transient ones it rides out itself.
 *
 * @internal
 */
export type SourceError = Errors.Categorized

/** @internal */
export interface Source {
  readonly queue: string
  readonly messages: Stream.Stream<Message, SourceError>
}

/** @internal */
export class MessageSource extends Context.Tag("effect-resilience/Consumer/MessageSource")<MessageSource, Source>() {}

// --- memory source --------------------------------------------------------------

/** @internal */
export interface MemorySource extends Source {
  readonly offer: (payload: string) => Effect.Effect<string>
  readonly offerJson: (value: unknown) => Effect.Effect<string>
  /** Ends the stream after everything offered so far (messages released later stay pending). */
  readonly end: Effect.Effect<void>
  readonly stats: Effect.Effect<{ readonly pending: number; readonly inFlight: number; readonly acked: number }>
}

/** @internal */
export const makeMemorySource = (queue: string): Effect.Effect<MemorySource> =>
  Effect.gen(function*() {
    interface Stored {
      readonly id: string
      readonly payload: string
      attempts: number
      readonly enqueuedAt: Date
    }
    const ready = yield* Queue.unbounded<Stored | null>()
    const inFlight = new Map<string, Stored>()
    let acked = 0
    let nextId = 1
    let waiting = 0
    const put = (stored: Stored | null) =>
      Effect.suspend(() => {
        if (stored !== null) waiting++
        return Effect.asVoid(Queue.offer(ready, stored))
      })
    const toMessage = (stored: Stored): Message => {
      waiting--
      stored.attempts++
      inFlight.set(stored.id, stored)
      const attempts = stored.attempts
      return {
        id: stored.id,
        queue,
        payload: stored.payload,
        attempts,
        enqueuedAt: stored.enqueuedAt,
        replayOf: undefined,
        ack: Effect.sync(() => {
          if (inFlight.get(stored.id) === stored && stored.attempts === attempts) {
            inFlight.delete(stored.id)
            acked++
          }
        }),
        release: (options) =>
          Effect.suspend(() => {
            if (inFlight.get(stored.id) !== stored || stored.attempts !== attempts) return Effect.void
            inFlight.delete(stored.id)
            if (options?.countAttempt === false) stored.attempts--
            return options?.delay === undefined
              ? put(stored)
              : Effect.asVoid(Effect.forkDaemon(Effect.delay(put(stored), options.delay)))
          })
      }
    }
    const offer = (payload: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const stored: Stored = { id: String(nextId++), payload, attempts: 0, enqueuedAt: new Date(now) }
        return Effect.as(put(stored), stored.id)
      })
    return {
      queue,
      // `null` marks the end: releases made after it stay pending rather than vanish.
      messages: Stream.unwrapScoped(Effect.gen(function*() {
        // What this run holds goes back to the queue when the run stops, delivered or not.
        const held = new Map<string, Message>()
        yield* Effect.addFinalizer(() =>
          Effect.forEach([...held.values()], (m) => m.release({ countAttempt: false }), { discard: true })
        )
        return Stream.fromQueue(ready).pipe(
          Stream.takeWhile((stored): stored is Stored => stored !== null),
          Stream.map((stored) => {
            const message = toMessage(stored)
            held.set(message.id, message)
            return {
              ...message,
              ack: Effect.zipRight(Effect.sync(() => held.delete(message.id)), message.ack),
              release: (options?: ReleaseOptions) =>
                Effect.zipRight(Effect.sync(() => held.delete(message.id)), message.release(options))
            }
          })
        )
      })),
      offer,
      offerJson: (value) => offer(JSON.stringify(value)),
      end: put(null),
      stats: Effect.sync(() => ({ pending: waiting, inFlight: inFlight.size, acked }))
    }
  })

// --- metrics ------------------------------------------------------------------

const processedKey = MetricKey.counter("effect_resilience_consumer_processed_total", {
  description: "messages handled successfully and acknowledged",
  incremental: true
})
const retriedKey = MetricKey.counter("effect_resilience_consumer_retried_total", {
  description: "handler retries after a transient failure",
  incremental: true
})
const deadLetteredKey = MetricKey.counter("effect_resilience_consumer_dead_lettered_total", {
  description: "messages sent to the dead-letter queue, by code",
  incremental: true
})
const inFlightKey = MetricKey.gauge("effect_resilience_consumer_in_flight", {
  description: "messages being handled right now"
})

/** @internal */
export const processedTotal: Metric.Metric.Counter<number> = Metric.fromMetricKey(processedKey)
/** @internal */
export const retriedTotal: Metric.Metric.Counter<number> = Metric.fromMetricKey(retriedKey)
/** @internal */
export const deadLetteredTotal: Metric.Metric.Counter<number> = Metric.fromMetricKey(deadLetteredKey)
/** @internal */
export const inFlightGauge: Metric.Metric.Gauge<number> = Metric.fromMetricKey(inFlightKey)

/**
 * The same series as `Metric.tagged(metric, "queue", queue)`, built from its key: a metric made by
 * `Metric.tagged` merges its labels and looks its registry entry up again on every update
 * (several µs); one made from a tagged key finds it once.
 */
const seriesOf = <Type extends MetricKeyType.MetricKeyType<any, any>>(
  key: MetricKey.MetricKey<Type>,
  labels: ReadonlyArray<readonly [string, string]>
) =>
  Metric.fromMetricKey(labels.reduce((k, [name, value]) => MetricKey.tagged(k, name, value), key))

// --- consumer -------------------------------------------------------------------

/** @internal */
export interface ConsumerOptions<A, I, E, R> {
  readonly schema: Schema.Schema<A, I, never>
  readonly handler: (body: A, message: Message) => Effect.Effect<unknown, E, R>
  readonly concurrency?: number | undefined
  readonly schedule?: Schedule.Schedule<unknown, Errors.Transient> | undefined
  readonly maxPayloadBytes?: number | undefined
  readonly maxDeliveries?: number | undefined
  readonly maxPendingDeadLetters?: number | undefined
}

/**
 * `Retry.exponential` with 100 ms base (plus up to 100 ms of jitter), doubling, each wait
 * capped at 5 s, 5 attempts (4 retries).
 *
 * @internal
 */
export const defaultSchedule: Schedule.Schedule<unknown, Errors.Transient> = exponential({
  base: "100 millis",
  maxDelay: "5 seconds",
  maxAttempts: 5
})

/**
 * Retry of the queue's own infrastructure (claims, acks, dead-letter writes): `Retry.exponential`
 * from 50 ms, each wait capped at 2 s; `retries` bounds it, and without it the retry rides out a
 * database restart however long it takes (only transient errors are ever retried).
 *
 * @internal
 */
export const infrastructureSchedule = (retries?: number): Schedule.Schedule<unknown, unknown> =>
  exponential({
    base: "50 millis",
    maxDelay: "2 seconds",
    maxAttempts: retries === undefined ? Number.MAX_SAFE_INTEGER : retries + 1
  })

const deadLetterRetries = infrastructureSchedule(8)

/** @internal */
export const defaultMaxPayloadBytes = 256 * 1024
/** @internal */
export const defaultMaxDeliveries = 10
/** @internal */
export const defaultMaxPendingDeadLetters = 256

interface PendingDeadLetter {
  readonly message: Message
  readonly failure: Failure
  readonly deadLetter: NewDeadLetter
}

interface Failure {
  readonly error: unknown
  readonly category: FailureCategory
  readonly code: string
  readonly type: string
  readonly message: string
  readonly defect: boolean
}

const failureOf = (cause: Cause.Cause<unknown>): Failure => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    return {
      error,
      category: Errors.categoryOf(error) ?? "Unexpected",
      code: Errors.codeOf(error),
      type: typeName(error),
      message: errorMessage(error),
      defect: false
    }
  }
  const defect = Cause.squash(cause)
  return { error: defect, category: "Unexpected", code: Errors.codeOf(defect), type: typeName(defect), message: errorMessage(defect), defect: true }
}

const typeName = (u: unknown): string => {
  if (u !== null && typeof u === "object") {
    const tag = (u as { _tag?: unknown })._tag
    if (typeof tag === "string") return tag
    return (u as object).constructor?.name ?? "Object"
  }
  return typeof u
}

const utf8Bytes = (s: string): number => {
  // Cheap bound first: a UTF-16 unit never encodes to more than 3 UTF-8 bytes.
  if (s.length * 3 <= 1024) return s.length
  return Buffer.byteLength(s, "utf8")
}

/**
 * Runs a consumer until its source ends (or forever) or it is interrupted.
 *
 * The success path is a plain pipeline (no generator): decode, handler, ack, two metric updates.
 * Everything that can go wrong leaves the hot path and is handled in `onFailure`.
 *
 * @internal
 */
export const run = <A, I, E, R>(
  options: ConsumerOptions<A, I, E, R>
): Effect.Effect<void, SourceError, R | MessageSource | DeadLetter> =>
  Effect.gen(function*() {
    const source = yield* MessageSource
    const dlq = yield* DeadLetter
    const queue = source.queue
    const schedule = options.schedule ?? defaultSchedule
    const maxBytes = options.maxPayloadBytes ?? defaultMaxPayloadBytes
    const maxDeliveries = options.maxDeliveries ?? defaultMaxDeliveries
    const concurrency = Math.max(1, options.concurrency ?? 10)
    const pendingRequested = options.maxPendingDeadLetters ?? defaultMaxPendingDeadLetters
    const pendingLimit = Number.isNaN(pendingRequested) ? defaultMaxPendingDeadLetters : Math.max(1, Math.floor(pendingRequested))
    // JSON.parse, then the schema: `Schema.parseJson(schema)` does the same through a
    // transformation that allocates ~1.5 KB more per message.
    const decodeBody = Schema.decodeUnknownEither(options.schema)
    const handler = options.handler
    // Read once: the workers run in this fiber's children, with its metric labels and log level.
    // Outcome lines are built only when their level is enabled (`annotateLogs` costs ~20 µs).
    const metricLabels = yield* FiberRef.get(FiberRef.currentMetricLabels)
    // The consumer's clock (a TestClock in tests), read synchronously where a failure is timed.
    const clock = yield* Effect.clock
    const minimumLogLevel = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
    const debugLogged = !LogLevel.greaterThan(minimumLogLevel, LogLevel.Debug)
    const warningLogged = !LogLevel.greaterThan(minimumLogLevel, LogLevel.Warning)
    const processed = seriesOf(processedKey, [["queue", queue]])
    const retried = seriesOf(retriedKey, [["queue", queue]])
    const inFlight = seriesOf(inFlightKey, [["queue", queue]])
    const countProcessed = Effect.sync(() => processed.unsafeUpdate(1, metricLabels))
    // `unsafeModify` adds to a gauge; `unsafeUpdate` would set it.
    const turnedIdle = Effect.sync(() => inFlight.unsafeModify(-1, metricLabels))

    const deadLetteredByCode = new Map<string, Metric.Metric.Counter<number>>()
    const deadLetteredWith = (code: string) => {
      let metric = deadLetteredByCode.get(code)
      if (metric === undefined) {
        metric = seriesOf(deadLetteredKey, [["queue", queue], ["code", code]])
        deadLetteredByCode.set(code, metric)
      }
      return metric
    }

    const outcome = (message: Message, event: string) =>
      Effect.annotateLogs({ queue, message_id: message.id, delivery: message.attempts, event })

    // Dead letters are written beside the workers, in batches: a failing worker queues its dead
    // letter and goes on, and one writer per consumer sends whatever has queued up in one
    // `sendAll` (one statement with the Postgres store). The message stays held (leased) until
    // its dead letter is written, and only then is it acked. `dispatch` replaces this direct write
    // with the queue.
    let handOff = (pending: PendingDeadLetter): Effect.Effect<void, SourceError> => writeDeadLetters([pending])
    // Queues a dead letter at once when there is room, without an Effect of its own; `false`
    // means the caller goes through `handOff` (which waits for room).
    let offerNow = (_: PendingDeadLetter): boolean => false

    const pendingOf = (message: Message, failure: Failure, attempts: number, first: number, last: number): PendingDeadLetter => ({
        message,
        failure,
        deadLetter: {
          queueName: queue,
          messageId: message.id,
          payload: message.payload,
          error: failure.message,
          errorType: failure.type,
          errorCode: failure.code,
          errorCategory: failure.category,
          attempts,
          firstFailure: new Date(first),
          lastFailure: new Date(last),
          metadata: { deliveries: message.attempts, defect: failure.defect, enqueued_at: message.enqueuedAt.toISOString() },
          replayOf: message.replayOf
        }
      })

    const deadLetter = (message: Message, failure: Failure, attempts: number, first: number, last: number) =>
      handOff(pendingOf(message, failure, attempts, first, last))

    const loggedDeadLetter = ({ deadLetter, failure, message }: PendingDeadLetter, id: string) =>
      (failure.category === "Unexpected" ? Effect.logError : Effect.logWarning)("message_dead_lettered").pipe(
        Effect.annotateLogs({
          dead_letter_id: id,
          attempts: deadLetter.attempts,
          error_code: failure.code,
          error_type: failure.type,
          error_category: failure.category,
          error: failure.message
        }),
        outcome(message, "dead_lettered")
      )

    // A written batch: each message is acked (synchronously when its source allows) and
    // counted in one pass; only acks that need an Effect, and the log lines, run as Effects.
    const recorded = (batch: ReadonlyArray<PendingDeadLetter>, ids: ReadonlyArray<string>): Effect.Effect<void> => {
      let rest: Array<Effect.Effect<void>> | undefined
      for (let i = 0; i < batch.length; i++) {
        const pending = batch[i]!
        const message = pending.message
        const fast = (message as AckNow)[ackNow]
        const counter = deadLetteredWith(pending.failure.code)
        // Counted once acked: a run stopped while an ack is out must not count a message that
        // goes back to the queue and is dead-lettered (and counted) again.
        if (fast !== undefined && fast(message)) counter.unsafeUpdate(1, metricLabels)
        else (rest ??= []).push(Effect.zipRight(message.ack, Effect.sync(() => counter.unsafeUpdate(1, metricLabels))))
        if (warningLogged) (rest ??= []).push(loggedDeadLetter(pending, ids[i] ?? ""))
      }
      return rest === undefined ? Effect.void : Effect.all(rest, { discard: true })
    }

    const writeDeadLetters = (batch: ReadonlyArray<PendingDeadLetter>): Effect.Effect<void, SourceError> =>
      retryLazily(dlq.sendAll(batch.map((pending) => pending.deadLetter)), {
        schedule: deadLetterRetries,
        while: Errors.isTransient
      }).pipe(
        Effect.matchCauseEffect({
          onSuccess: (ids) => recorded(batch, ids),
          onFailure: (cause): Effect.Effect<void, SourceError> => {
            const error = Cause.failureOption(cause)
            // The store cannot work at all (a missing table, a missing grant): no redelivery can
            // succeed either. The consumer stops; the messages, still held, go back untouched
            // with everything else the source holds when it shuts down.
            if (Option.isSome(error) && Errors.isCategorized(error.value) && !Errors.isTransient(error.value)) {
              const broken = error.value
              return Effect.zipRight(
                Effect.forEach(batch, ({ message }) =>
                  Effect.logError("dead_letter_store_unusable: consumer stopped", cause).pipe(outcome(message, "released")), {
                  discard: true
                }),
                Effect.fail(broken)
              )
            }
            // The store is down: the messages must not be acked. Put them back for later.
            return Effect.forEach(batch, ({ message }) =>
              Effect.zipRight(
                Effect.logError("dead_letter_write_failed: message released for redelivery", cause).pipe(
                  outcome(message, "released")
                ),
                message.release({ delay: "1 second" })
              ), { discard: true })
          }
        })
      )

    const validationFailure = (field: string, reason: string): Failure => {
      const error = new Errors.ValidationFailed({ field, reason })
      return { error, category: "Permanent", code: error.code, type: error._tag, message: error.message, defect: false }
    }

    /**
     * Dead-letters a message on its first failure, then goes on with `next`. Called from inside
     * the worker's fiber, so with room in the queue it is plain bookkeeping and `next` is called
     * at once: from a continuation that is one call deep, since the runtime invoked it.
     */
    const rejectThen = <R2>(message: Message, failure: Failure, next: () => Effect.Effect<void, SourceError, R2>) => {
      const now = clock.unsafeCurrentTimeMillis()
      const pending = pendingOf(message, failure, 1, now, now)
      return offerNow(pending) ? next() : Effect.flatMap(handOff(pending), next)
    }

    const succeeded = (message: Message) =>
      Effect.zipRight(
        message.ack,
        debugLogged
          ? Effect.zipRight(countProcessed, Effect.logDebug("message_processed").pipe(outcome(message, "processed")))
          : countProcessed
      )

    // Slow path: classify, retry transient failures on the schedule, dead-letter the rest.
    // A permanent failure (the common one) is dead-lettered without the retry loop's generator.
    const onFailure = (message: Message, body: A, firstCause: Cause.Cause<E>, next: () => Effect.Effect<void, SourceError, R>) => {
      if (!Cause.isInterruptedOnly(firstCause)) {
        const failure = failureOf(firstCause)
        if (failure.category !== "Fatal" && failure.category !== "Transient") return rejectThen(message, failure, next)
      }
      return Effect.flatMap(retrying(message, body, firstCause), next)
    }

    const retrying = (message: Message, body: A, firstCause: Cause.Cause<E>) =>
      Effect.gen(function*() {
        const first = yield* Clock.currentTimeMillis
        let last = first
        let cause = firstCause
        let attempts = 1
        let state = schedule.initial
        while (true) {
          if (Cause.isInterruptedOnly(cause)) {
            return yield* message.release({ countAttempt: false })
          }
          const failure = failureOf(cause)
          if (failure.category === "Fatal") {
            yield* message.release({ countAttempt: false })
            return yield* Effect.die(failure.error)
          }
          if (failure.category !== "Transient") return yield* deadLetter(message, failure, attempts, first, last)
          const now = yield* Clock.currentTimeMillis
          const [next, , decision] = yield* schedule.step(now, failure.error as Errors.Transient, state)
          if (ScheduleDecision.isDone(decision)) return yield* deadLetter(message, failure, attempts, first, last)
          state = next
          const scheduled = Math.max(0, ScheduleIntervals.start(decision.intervals) - now)
          const asked = Option.match(Errors.retryAfterOf(failure.error), { onNone: () => 0, onSome: Duration.toMillis })
          const delay = Math.max(scheduled, asked)
          yield* Effect.logWarning("message_retry").pipe(
            Effect.annotateLogs({ attempt: attempts, delay_ms: delay, error_code: failure.code, error: failure.message }),
            outcome(message, "retry")
          )
          yield* Metric.increment(retried)
          yield* Effect.sleep(Duration.millis(delay))
          attempts++
          const exit = yield* Effect.exit(handler(body, message))
          if (Exit.isSuccess(exit)) return yield* succeeded(message)
          cause = exit.cause
          last = yield* Clock.currentTimeMillis
        }
      })

    // What a worker is handling: one message at a time, so its continuations are made once per
    // worker and read the slot, instead of closures per message. Each ends by going back to the
    // worker's loop (`next`), so a message costs a handful of steps: the handler, the match, the
    // ack, the count.
    interface Slot {
      message: Message
      body: A
    }
    interface Continuations {
      readonly next: () => Effect.Effect<void, SourceError, R>
      readonly onSuccess: () => Effect.Effect<void, SourceError, R>
      readonly onFailure: (cause: Cause.Cause<E>) => Effect.Effect<void, SourceError, R>
    }
    const continuationsOf = (slot: Slot, loop: () => Effect.Effect<void, SourceError, R>): Continuations => {
      const counted = () => {
        processed.unsafeUpdate(1, metricLabels)
        if (!debugLogged) return loop()
        return Effect.flatMap(Effect.logDebug("message_processed").pipe(outcome(slot.message, "processed")), loop)
      }
      return {
        next: loop,
        onSuccess: () => {
          const message = slot.message
          const fast = (message as AckNow)[ackNow]
          return fast !== undefined && fast(message) ? counted() : Effect.flatMap(message.ack, counted)
        },
        onFailure: (cause) => onFailure(slot.message, slot.body, cause, loop)
      }
    }

    // From `processOne`, which `step` calls directly: going on with `next` right here would
    // recurse once per message through a run of bad ones, and a chunk can hold thousands.
    const rejectThenNext = (message: Message, continuations: Continuations, failure: Failure) =>
      rejectThen(message, failure, () => Effect.suspend(continuations.next))

    /** Handles one message, then goes on with `continuations.next`. */
    const processOne = (message: Message, slot: Slot, continuations: Continuations): Effect.Effect<void, SourceError, R> => {
      if (message.attempts > maxDeliveries) {
        // Delivered again and again without an outcome: the process handling it keeps dying.
        return rejectThenNext(message, continuations, {
          error: undefined,
          category: "Unexpected",
          code: "MAX_DELIVERIES_EXCEEDED",
          type: "MaxDeliveriesExceeded",
          message: `delivered ${message.attempts} times without an outcome (limit ${maxDeliveries})`,
          defect: false
        })
      }
      if (utf8Bytes(message.payload) > maxBytes) {
        return rejectThenNext(
          message,
          continuations,
          validationFailure("message", `payload is ${utf8Bytes(message.payload)} bytes, limit ${maxBytes}`)
        )
      }
      let json: unknown
      try {
        json = JSON.parse(message.payload)
      } catch (error) {
        return rejectThenNext(message, continuations, validationFailure("message", `malformed JSON: ${errorMessage(error)}`))
      }
      const decoded = decodeBody(json)
      if (Either.isLeft(decoded)) return rejectThenNext(message, continuations, validationFailure("message", parseErrorText(decoded.left)))
      const value = decoded.right
      slot.message = message
      slot.body = value
      let handled: Effect.Effect<unknown, E, R>
      try {
        handled = handler(value, message)
      } catch (defect) {
        // A handler that throws instead of failing: a defect, like a throw inside the effect.
        handled = Effect.die(defect)
      }
      return Effect.matchCauseEffect(handled, continuations)
    }

    // `concurrency` long-lived workers share the chunk last pulled from the source; whichever
    // worker finds it empty pulls the next one (one puller at a time). No fiber per message, and
    // one slow message (a retry waiting out its backoff) holds one worker, not the whole chunk.
    // The stream is pulled in a scope opened before the workers start: on shutdown the workers
    // are interrupted (releasing the message each holds) before the source finalizes and hands
    // back the rest of what it claimed.
    const dispatch = Effect.gen(function*() {
      const pull = yield* Stream.toPull(source.messages)
      // Queued dead letters and how many are queued or being written: at most
      // `maxPendingDeadLetters`, then a failing worker waits for room (backpressure when the
      // store is slow; every pending one's message stays held). The bound is well above a
      // burst: with one slot per worker, as it was, ten consecutive failures filled it while a
      // write was out, and every worker of the consumer stopped until the write came back. A
      // counter and two latches rather than a semaphore: a hand-off with room is synchronous.
      let queued: Array<PendingDeadLetter> = []
      let outstanding = 0
      const room = yield* Effect.makeLatch(true)
      const wake = yield* Effect.makeLatch(false)
      const settled = yield* Effect.makeLatch(true)
      offerNow = (pending) => {
        if (outstanding >= pendingLimit) return false
        queued.push(pending)
        if (++outstanding >= pendingLimit) room.unsafeClose()
        settled.unsafeClose()
        wake.unsafeOpen()
        return true
      }
      handOff = (pending) => Effect.suspend(() => offerNow(pending) ? Effect.void : Effect.zipRight(room.await, handOff(pending)))
      const writeQueued = Effect.suspend(() => {
        wake.unsafeClose()
        const batch = queued
        queued = []
        return Effect.onExit(writeDeadLetters(batch), (exit) =>
          Effect.sync(() => {
            outstanding -= batch.length
            if (outstanding < pendingLimit) room.unsafeOpen()
            // Settled only by a write that worked: after an unusable store the run must end with
            // the writer's error, not as if every message had an outcome.
            if (outstanding === 0 && Exit.isSuccess(exit)) settled.unsafeOpen()
          }))
      })
      // Before it takes the queue the writer yields for as long as the queue grows: the other
      // workers' failures of the same burst join the batch (one row costs about as much to
      // insert as twenty: ~100 µs of Node and ~0.6 ms of Postgres per statement). Forked after
      // the source is opened: on shutdown, a write in progress is interrupted before the source
      // hands back what it holds (a row written just before is found again on redelivery: dead
      // letters are idempotent per message).
      const gather = (seen: number): Effect.Effect<void> =>
        Effect.zipRight(
          Effect.yieldNow(),
          Effect.suspend(() => queued.length > seen && queued.length < pendingLimit ? gather(queued.length) : Effect.void)
        )
      const writer = yield* Effect.forkScoped(
        Effect.forever(Effect.zipRight(wake.await, Effect.zipRight(Effect.suspend(() => gather(0)), writeQueued)))
      )
      // One puller at a time: the worker that finds the buffer empty pulls, and those that find
      // it empty meanwhile wait in line. Waiters are woken one at a time, and only one is ever
      // woken but not yet running: a worker that takes a message and sees more left wakes the
      // next in line, so with handlers that wait (I/O) the chunk fans out over every worker, and
      // with handlers that never yield the worker running drains it alone while the rest sleep
      // on (a semaphore does the same at about thirty Effect steps per worker and chunk; waking
      // every waiter costs one futile wake-up each).
      let buffer: ReadonlyArray<Message> = []
      let index = 0
      let ended = false
      let pulling = false
      // A pull that failed ends the run (the worker that ran it fails, and with it all of them);
      // a waiter fails the same way instead of pulling from a stream that has failed.
      let failed: Cause.Cause<SourceError> | undefined
      const waiting: Array<() => void> = []
      let woken: (() => void) | undefined
      const wakeNext = () => {
        if (woken !== undefined) return
        woken = waiting.shift()
        woken?.()
      }
      const pullChunk = Effect.matchEffect(pull, {
        onFailure: (error) => Option.isNone(error) ? Effect.sync(() => void (ended = true)) : Effect.fail(error.value),
        onSuccess: (chunk) =>
          Effect.sync(() => {
            buffer = Chunk.toReadonlyArray(chunk)
            index = 0
          })
      })
      const refill: Effect.Effect<void, SourceError> = Effect.suspend(() => {
        if (failed !== undefined) return Effect.failCause(failed)
        if (index < buffer.length || ended) return Effect.void
        if (pulling) {
          return Effect.async<void>((resume) => {
            const wake = () => resume(Effect.sync(() => void (woken === wake && (woken = undefined))))
            waiting.push(wake)
            // Interrupted in line, or after it was woken but before it ran (the next may go).
            return Effect.sync(() => {
              const at = waiting.indexOf(wake)
              if (at >= 0) waiting.splice(at, 1)
              if (woken === wake) {
                woken = undefined
                wakeNext()
              }
            })
          })
        }
        pulling = true
        return Effect.onExit(pullChunk, (exit) =>
          Effect.sync(() => {
            if (Exit.isFailure(exit) && !Exit.isInterrupted(exit)) failed = exit.cause
            pulling = false
            wakeNext()
          }))
      })
      const worker = Effect.suspend(() => {
        let current: Message | undefined
        const slot = { message: undefined, body: undefined } as unknown as Slot
        // The continuations go on with `step` itself (the next message's effect), not through a
        // `suspend` of it: one Effect step less per message.
        const continuations = continuationsOf(slot, () => step())
        // Busy workers are the in-flight gauge: it moves when a worker starts or stops waiting,
        // not twice per message. `step` always runs inside the worker's fiber (from `loop` or a
        // continuation), so the gauge is updated right there, before the handler is even called.
        let busy = false
        const step = (): Effect.Effect<void, SourceError, R> => {
          if (index < buffer.length) {
            const message = buffer[index++]!
            current = message
            if (index < buffer.length) wakeNext()
            if (!busy) {
              busy = true
              inFlight.unsafeModify(1, metricLabels)
            }
            return processOne(message, slot, continuations)
          }
          current = undefined
          if (busy) {
            busy = false
            inFlight.unsafeModify(-1, metricLabels)
          }
          if (ended) {
            // The pull that found the end woke one waiter: each one that ends wakes the next,
            // or the rest would wait in line forever.
            wakeNext()
            return Effect.void
          }
          return Effect.zipRight(refill, loop)
        }
        const loop: Effect.Effect<void, SourceError, R> = Effect.suspend(step)
        return Effect.onExit(loop, (exit) => {
          const idle = busy ? turnedIdle : Effect.void
          busy = false
          // Interrupted mid-message: it goes back without counting an attempt.
          return Exit.isInterrupted(exit) && current !== undefined
            ? Effect.zipRight(current.release({ countAttempt: false }), idle)
            : idle
        })
      })
      // A handler that dies (a fatal error), a source failure or an unusable dead-letter store
      // stops every worker. Otherwise the run ends once the source has and every write is done.
      const workers = Effect.all(Array.from({ length: concurrency }, () => worker), { concurrency: "unbounded", discard: true })
      // The workers are forked into the scope after the source and the writer: on interruption
      // the scope stops them (each releasing its message) and waits for them before it stops the
      // writer and the source hands back the rest. Raced directly, they ran on after it.
      const running = yield* Effect.forkScoped(Effect.zipRight(workers, settled.await))
      yield* Effect.raceFirst(Fiber.join(running), Fiber.join(writer))
    })
    yield* Effect.logInfo("consumer_started").pipe(Effect.annotateLogs({ queue, concurrency }))
    yield* Effect.scoped(dispatch).pipe(
      Effect.onInterrupt(() => Effect.logInfo("consumer_stopped").pipe(Effect.annotateLogs({ queue })))
    )
  })

const parseErrorText = (error: ParseError): string => {
  const text = TreeFormatter.formatErrorSync(error)
  return text.length > 2000 ? `${text.slice(0, 2000)}...` : text
}
