import type { DurationInput } from "effect/Duration"
import {
  Cause,
  Clock,
  Context,
  Duration,
  Effect,
  Either,
  Exit,
  FiberRef,
  FiberSet,
  LogLevel,
  Metric,
  Option,
  Queue,
  Schedule,
  ScheduleDecision,
  ScheduleIntervals,
  Schema,
  Stream
} from "effect"
import type { ParseError } from "effect/ParseResult"
import { TreeFormatter } from "effect/ParseResult"
import * as Errors from "../Errors.js"
import type { FailureCategory, NewDeadLetter } from "./deadLetter.js"
import { DeadLetter, errorMessage } from "./deadLetter.js"

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

/** @internal */
export interface Source {
  readonly queue: string
  readonly messages: Stream.Stream<Message>
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

/** @internal */
export const processedTotal = Metric.counter("effect_resilience_consumer_processed_total", {
  description: "messages handled successfully and acknowledged",
  incremental: true
})
/** @internal */
export const retriedTotal = Metric.counter("effect_resilience_consumer_retried_total", {
  description: "handler retries after a transient failure",
  incremental: true
})
/** @internal */
export const deadLetteredTotal = Metric.counter("effect_resilience_consumer_dead_lettered_total", {
  description: "messages sent to the dead-letter queue, by code",
  incremental: true
})
/** @internal */
export const inFlightGauge = Metric.gauge("effect_resilience_consumer_in_flight", {
  description: "messages being handled right now"
})

// --- consumer -------------------------------------------------------------------

/** @internal */
export interface ConsumerOptions<A, I, E, R> {
  readonly schema: Schema.Schema<A, I, never>
  readonly handler: (body: A, message: Message) => Effect.Effect<unknown, E, R>
  readonly concurrency?: number | undefined
  readonly schedule?: Schedule.Schedule<unknown, Errors.Transient> | undefined
  readonly maxPayloadBytes?: number | undefined
  readonly maxDeliveries?: number | undefined
}

/**
 * 100 ms doubling, full jitter band, capped at 5 s per wait, at most 4 retries (5 attempts).
 *
 * @internal
 */
export const defaultSchedule: Schedule.Schedule<unknown, Errors.Transient> = Schedule.exponential("100 millis").pipe(
  Schedule.jittered,
  Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(5))),
  Schedule.intersect(Schedule.recurs(4))
)

/** Retry of the queue's own infrastructure (dead-letter writes, claims): patient, bounded per wait. @internal */
export const infrastructureSchedule = Schedule.exponential("50 millis").pipe(
  Schedule.jittered,
  Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(2)))
)

/** @internal */
export const defaultMaxPayloadBytes = 256 * 1024
/** @internal */
export const defaultMaxDeliveries = 10

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
): Effect.Effect<void, never, R | MessageSource | DeadLetter> =>
  Effect.gen(function*() {
    const source = yield* MessageSource
    const dlq = yield* DeadLetter
    const queue = source.queue
    const schedule = options.schedule ?? defaultSchedule
    const maxBytes = options.maxPayloadBytes ?? defaultMaxPayloadBytes
    const maxDeliveries = options.maxDeliveries ?? defaultMaxDeliveries
    const concurrency = Math.max(1, options.concurrency ?? 10)
    const decode = Schema.decodeUnknownEither(Schema.parseJson(options.schema))
    const processed = Metric.tagged(processedTotal, "queue", queue)
    const retried = Metric.tagged(retriedTotal, "queue", queue)
    const inFlight = Metric.tagged(inFlightGauge, "queue", queue)
    const handler = options.handler

    const outcome = (message: Message, event: string) =>
      Effect.annotateLogs({ queue, message_id: message.id, delivery: message.attempts, event })

    const deadLetter = (message: Message, failure: Failure, attempts: number, first: number, last: number) => {
      const dl: NewDeadLetter = {
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
      const log = failure.category === "Unexpected" ? Effect.logError : Effect.logWarning
      return dlq.send(dl).pipe(
        Effect.retry({ schedule: Schedule.intersect(infrastructureSchedule, Schedule.recurs(8)), while: Errors.isTransient }),
        Effect.matchCauseEffect({
          onSuccess: (id) =>
            Effect.zipRight(
              message.ack,
              Effect.zipRight(
                Metric.increment(Metric.tagged(Metric.tagged(deadLetteredTotal, "queue", queue), "code", failure.code)),
                log("message_dead_lettered").pipe(
                  Effect.annotateLogs({
                    dead_letter_id: id,
                    attempts,
                    error_code: failure.code,
                    error_type: failure.type,
                    error_category: failure.category,
                    error: failure.message
                  }),
                  outcome(message, "dead_lettered")
                )
              )
            ),
          // The store is down: the message must not be acked. Put it back for later.
          onFailure: (cause) =>
            Effect.zipRight(
              Effect.logError("dead_letter_write_failed: message released for redelivery", cause).pipe(
                outcome(message, "released")
              ),
              message.release({ delay: "1 second" })
            )
        })
      )
    }

    const validationFailure = (field: string, reason: string): Failure => {
      const error = new Errors.ValidationFailed({ field, reason })
      return { error, category: "Permanent", code: error.code, type: error._tag, message: error.message, defect: false }
    }

    const rejectNow = (message: Message, failure: Failure) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => deadLetter(message, failure, 1, now, now))

    // annotateLogs costs ~20 us: on the success path, only pay it when debug logs are on.
    const logProcessed = (message: Message) =>
      FiberRef.getWith(FiberRef.currentMinimumLogLevel, (level) =>
        LogLevel.greaterThan(level, LogLevel.Debug)
          ? Effect.void
          : Effect.logDebug("message_processed").pipe(outcome(message, "processed")))

    const succeeded = (message: Message) =>
      Effect.zipRight(message.ack, Effect.zipRight(Metric.increment(processed), logProcessed(message)))

    // Slow path: classify, retry transient failures on the schedule, dead-letter the rest.
    const onFailure = (message: Message, body: A, firstCause: Cause.Cause<E>) =>
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

    const processOne = (message: Message): Effect.Effect<void, never, R> => {
      let body: Effect.Effect<void, never, R>
      if (message.attempts > maxDeliveries) {
        // Delivered again and again without an outcome: the process handling it keeps dying.
        body = rejectNow(message, {
          error: undefined,
          category: "Unexpected",
          code: "MAX_DELIVERIES_EXCEEDED",
          type: "MaxDeliveriesExceeded",
          message: `delivered ${message.attempts} times without an outcome (limit ${maxDeliveries})`,
          defect: false
        })
      } else if (utf8Bytes(message.payload) > maxBytes) {
        body = rejectNow(
          message,
          validationFailure("message", `payload is ${utf8Bytes(message.payload)} bytes, limit ${maxBytes}`)
        )
      } else {
        const decoded = decode(message.payload)
        if (Either.isLeft(decoded)) {
          body = rejectNow(message, validationFailure("message", parseErrorText(decoded.left)))
        } else {
          const value = decoded.right
          body = Effect.matchCauseEffect(Effect.suspend(() => handler(value, message)), {
            onSuccess: () => succeeded(message),
            onFailure: (cause) => onFailure(message, value, cause)
          })
        }
      }
      return Effect.zipRight(
        Metric.increment(inFlight),
        Effect.onExit(body, (exit) =>
          Exit.isInterrupted(exit)
            ? Effect.zipRight(message.release({ countAttempt: false }), Metric.incrementBy(inFlight, -1))
            : Metric.incrementBy(inFlight, -1))
      )
    }

    // Chunks from the source are dispatched one message at a time under a semaphore, so one
    // slow message (a retry waiting out its backoff) holds one permit, not the whole batch.
    // (Stream.mapEffect with concurrency costs far more per element than the handler itself.)
    // The stream is pulled in a scope opened before the handlers' FiberSet: on shutdown the
    // handlers are interrupted (releasing their messages) before the source finalizes.
    const dispatch = Effect.gen(function*() {
      const pull = yield* Stream.toPull(source.messages)
      const drain = (start: (message: Message) => Effect.Effect<void, never, R>): Effect.Effect<void, never, R> =>
        Effect.matchEffect(pull, {
          onFailure: () => Effect.void, // the source ended
          onSuccess: (chunk) => Effect.zipRight(Effect.forEach(chunk, start, { discard: true }), drain(start))
        })
      if (concurrency === 1) return yield* drain(processOne)
      const permits = yield* Effect.makeSemaphore(concurrency)
      const running = yield* FiberSet.make<void, never>()
      const start = (message: Message) =>
        Effect.zipRight(permits.take(1), FiberSet.run(running, Effect.ensuring(processOne(message), permits.release(1))))
      // A handler that dies (a fatal error) stops the consumer.
      yield* Effect.raceFirst(Effect.zipRight(drain(start), permits.take(concurrency)), FiberSet.join(running))
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
