import type { DurationInput } from "effect/Duration"
import { Cause, Clock, Context, Duration, Effect, Either, Layer, Metric, Option, Schema } from "effect"
import * as Errors from "../Errors.js"
import type { PgError } from "../PgError.js"

/** @internal */
export type FailureCategory = Errors.Category | "Unexpected"

/** @internal */
export interface NewDeadLetter {
  readonly queueName: string
  readonly messageId?: string | undefined
  readonly payload: string
  readonly error: string
  readonly errorType: string
  readonly errorCode: string
  readonly errorCategory: FailureCategory
  readonly attempts: number
  readonly firstFailure: Date
  readonly lastFailure: Date
  readonly metadata?: Readonly<Record<string, unknown>> | undefined
  readonly replayOf?: string | undefined
}

/** @internal */
export interface Entry {
  readonly id: string
  readonly queueName: string
  readonly messageId: string | null
  readonly originalMessage: unknown
  readonly originalText: string | null
  readonly error: string
  readonly errorType: string
  readonly errorCode: string
  readonly errorCategory: string
  readonly attempts: number
  readonly firstFailure: Date
  readonly lastFailure: Date
  readonly metadata: Readonly<Record<string, unknown>>
  readonly createdAt: Date
  readonly replayedAt: Date | null
  readonly replayOf: string | null
}

/** @internal */
export interface Filter {
  readonly ids?: ReadonlyArray<string> | undefined
  readonly queue?: string | undefined
  readonly code?: string | undefined
  readonly since?: Date | undefined
  readonly until?: Date | undefined
  readonly replayed?: boolean | undefined
  readonly limit?: number | undefined
}

/** @internal */
export interface Stat {
  readonly queueName: string
  readonly errorCode: string
  readonly total: number
  readonly pending: number
}

/** @internal */
export interface ReplayReport {
  readonly replayed: ReadonlyArray<string>
  readonly failed: ReadonlyArray<{ readonly id: string; readonly error: string }>
}

/** @internal */
export type Processor = (entry: Entry) => Effect.Effect<unknown, unknown>

/** @internal */
export class DeadLetterStoreFailed extends Errors.Transient<DeadLetterStoreFailed>()("DeadLetterStoreFailed", {
  operation: Schema.String,
  reason: Schema.String
}, {
  code: "DLQ_STORE_FAILED",
  message: (e) => `dead-letter store failed to ${e.operation}: ${e.reason}`
}) {}

/**
 * A store failure: `DeadLetterStoreFailed` when it may pass (retry it), or the typed `PgError`
 * of a Postgres store that cannot work as configured (a missing table or grant).
 *
 * @internal
 */
export type StoreError = DeadLetterStoreFailed | PgError

/** @internal */
export interface DeadLetterQueue {
  readonly send: (deadLetter: NewDeadLetter) => Effect.Effect<string, StoreError>
  readonly sendAll: (deadLetters: ReadonlyArray<NewDeadLetter>) => Effect.Effect<ReadonlyArray<string>, StoreError>
  readonly list: (filter?: Filter) => Effect.Effect<ReadonlyArray<Entry>, StoreError>
  readonly get: (id: string) => Effect.Effect<Option.Option<Entry>, StoreError>
  readonly history: (id: string) => Effect.Effect<ReadonlyArray<Entry>, StoreError>
  readonly stats: (filter?: Filter) => Effect.Effect<ReadonlyArray<Stat>, StoreError>
  readonly purge: (filter: Filter) => Effect.Effect<number, StoreError>
  readonly replay: (
    filter: Filter,
    options?: { readonly processor?: Processor | undefined }
  ) => Effect.Effect<ReplayReport, StoreError>
}

/** @internal */
export class DeadLetter extends Context.Tag("effect-resilience/DeadLetter")<DeadLetter, DeadLetterQueue>() {}

/** @internal */
export const defaultListLimit = 100
/** @internal */
export const defaultReplayLimit = 1000

/**
 * JSON that `jsonb` refuses, or cannot keep exactly: an escaped NUL or lone surrogate (`\u0000`,
 * `\ud800`), a number beyond `numeric` (`1e1000000`: JavaScript reads Infinity), or text that is
 * not well-formed UTF-16. Such payloads are kept as text.
 */
const jsonbUnsafe = new RegExp(
  [
    String.raw`\\u0000`,
    // an escaped high surrogate without its low half, or a low one without its high half
    String.raw`\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])`,
    String.raw`(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F]`,
    String.raw`[\d.][eE][+-]?0*\d{4}`,
    String.raw`\d{16000}`,
    // a raw lone surrogate (not well-formed UTF-16)
    String.raw`[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]`
  ].join("|")
)

/**
 * Splits a payload into what the store keeps: the parsed JSON when it parses (and `jsonb` can
 * hold it exactly), otherwise the raw text as a JSON string plus the exact text, so malformed
 * input is never lost and never fails the write.
 *
 * @internal
 */
export const splitPayload = (payload: string): { readonly json: unknown; readonly text: string | null } => {
  if (!jsonbUnsafe.test(payload)) {
    const parsed = Either.try(() => JSON.parse(payload) as unknown)
    // Malformed JSON is kept as raw text below, never dropped.
    if (Either.isRight(parsed)) return { json: parsed.right, text: null }
  }
  return { json: payload, text: payload }
}

/** The exact text to put back on a queue. @internal */
export const payloadOf = (entry: Entry): string => entry.originalText ?? JSON.stringify(entry.originalMessage)

/** @internal */
export const errorMessage = (error: unknown): string => {
  if (error instanceof Error) return error.message
  if (typeof error === "string") return error
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

const matches = (filter: Filter) => (entry: Entry): boolean =>
  (filter.ids === undefined || filter.ids.includes(entry.id)) &&
  (filter.queue === undefined || entry.queueName === filter.queue) &&
  (filter.code === undefined || entry.errorCode === filter.code) &&
  (filter.since === undefined || entry.createdAt.getTime() >= filter.since.getTime()) &&
  (filter.until === undefined || entry.createdAt.getTime() < filter.until.getTime()) &&
  (filter.replayed === undefined || (entry.replayedAt !== null) === filter.replayed)

/** @internal */
export const statsOf = (entries: Iterable<Entry>): ReadonlyArray<Stat> => {
  const byKey = new Map<string, { queueName: string; errorCode: string; total: number; pending: number }>()
  for (const entry of entries) {
    const key = `${entry.queueName}\u0000${entry.errorCode}`
    const stat = byKey.get(key) ?? { queueName: entry.queueName, errorCode: entry.errorCode, total: 0, pending: 0 }
    stat.total++
    if (entry.replayedAt === null) stat.pending++
    byKey.set(key, stat)
  }
  return [...byKey.values()].sort((a, b) =>
    a.queueName === b.queueName ? a.errorCode.localeCompare(b.errorCode) : a.queueName.localeCompare(b.queueName)
  )
}

/** @internal */
export class NoReplayTarget extends Errors.Permanent<NoReplayTarget>()("NoReplayTarget", {
  queueName: Schema.String
}, {
  code: "NO_REPLAY_TARGET",
  message: (e) => `no replay target for queue ${e.queueName}: pass a processor`
}) {}

const noTarget: Processor = (entry) => Effect.fail(new NoReplayTarget({ queueName: entry.queueName }))

/**
 * In-memory store for unit tests: same semantics as the Postgres store (idempotent per
 * message id, history through `replayOf`, replayed only when the target succeeded).
 *
 * @internal
 */
export const makeMemory = (options: { readonly requeue?: Processor | undefined } = {}): Effect.Effect<DeadLetterQueue> =>
  Effect.sync(() => {
    const entries = new Map<string, Entry>()
    const byMessage = new Map<string, string>()
    let nextId = 1
    const selected = (filter: Filter, limit: number) =>
      [...entries.values()].filter(matches(filter)).slice(0, filter.limit ?? limit)

    const send = (dl: NewDeadLetter) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const messageKey = dl.messageId === undefined ? undefined : `${dl.queueName}\u0000${dl.messageId}`
        const existing = messageKey === undefined ? undefined : byMessage.get(messageKey)
        if (existing !== undefined) return existing
        const id = String(nextId++)
        const { json, text } = splitPayload(dl.payload)
        entries.set(id, {
          id,
          queueName: dl.queueName,
          messageId: dl.messageId ?? null,
          originalMessage: json,
          originalText: text,
          error: dl.error,
          errorType: dl.errorType,
          errorCode: dl.errorCode,
          errorCategory: dl.errorCategory,
          attempts: dl.attempts,
          firstFailure: dl.firstFailure,
          lastFailure: dl.lastFailure,
          metadata: dl.metadata ?? {},
          createdAt: new Date(now),
          replayedAt: null,
          replayOf: dl.replayOf ?? null
        })
        if (messageKey !== undefined) byMessage.set(messageKey, id)
        return id
      })

    const history = (id: string) =>
      Effect.sync(() => {
        const chain: Array<Entry> = []
        let current = entries.get(id)
        while (current !== undefined && chain.length < 1000) {
          chain.push(current)
          current = current.replayOf === null ? undefined : entries.get(current.replayOf)
        }
        return chain
      })

    const replayOne = (entry: Entry, processor: Processor) =>
      processor(entry).pipe(
        Effect.zipRight(Clock.currentTimeMillis),
        Effect.map((now) => {
          entries.set(entry.id, { ...entry, replayedAt: new Date(now) })
          return { _tag: "ok" as const, id: entry.id }
        }),
        Effect.catchAllCause((cause) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            const error = errorMessage(Cause.squash(cause))
            const failures = Array.isArray(entry.metadata["replay_failures"]) ? entry.metadata["replay_failures"] : []
            entries.set(entry.id, {
              ...entry,
              lastFailure: new Date(now),
              metadata: { ...entry.metadata, replay_failures: [...failures, { at: new Date(now).toISOString(), error }] }
            })
            return { _tag: "failed" as const, id: entry.id, error }
          })
        )
      )

    const service: DeadLetterQueue = {
      send,
      sendAll: (dls) => Effect.forEach(dls, send),
      list: (filter = {}) => Effect.sync(() => selected(filter, defaultListLimit)),
      get: (id) => Effect.sync(() => Option.fromNullable(entries.get(id))),
      history,
      stats: (filter = {}) => Effect.sync(() => statsOf([...entries.values()].filter(matches(filter)))),
      purge: (filter) =>
        Effect.sync(() => {
          let n = 0
          for (const entry of [...entries.values()].filter(matches(filter))) {
            entries.delete(entry.id)
            if (entry.messageId !== null) byMessage.delete(`${entry.queueName}\u0000${entry.messageId}`)
            n++
          }
          return n
        }),
      replay: (filter, replayOptions) =>
        Effect.suspend(() => {
          const processor = replayOptions?.processor ?? options.requeue ?? noTarget
          const todo = selected({ ...filter, replayed: false }, defaultReplayLimit)
          return Effect.map(Effect.forEach(todo, (entry) => replayOne(entry, processor)), reportOf)
        })
    }
    return service
  })

/** @internal */
export const reportOf = (
  results: ReadonlyArray<{ readonly _tag: "ok"; readonly id: string } | { readonly _tag: "failed"; readonly id: string; readonly error: string }>
): ReplayReport => ({
  replayed: results.flatMap((r) => (r._tag === "ok" ? [r.id] : [])),
  failed: results.flatMap((r) => (r._tag === "failed" ? [{ id: r.id, error: r.error }] : []))
})

/** @internal */
export const layerMemory = (options: { readonly requeue?: Processor | undefined } = {}): Layer.Layer<DeadLetter> =>
  Layer.effect(DeadLetter, makeMemory(options))

// --- depth gauge and alerts ---------------------------------------------------

/** @internal */
export const depthGauge = Metric.gauge("effect_resilience_dlq_depth", {
  description: "dead letters not yet replayed, per queue"
})

/** @internal */
export interface Alert {
  readonly queueName: string
  readonly depth: number
  readonly reason: "threshold" | "growth"
  /** How much the depth grew within the growth window (0 for threshold alerts). */
  readonly growth: number
}

/** @internal */
export interface MonitorOptions {
  readonly interval?: DurationInput | undefined
  readonly threshold?: number | undefined
  readonly growth?: { readonly count: number; readonly window: DurationInput } | undefined
  readonly onAlert?: ((alert: Alert) => Effect.Effect<void>) | undefined
}

const logAlert = (alert: Alert) =>
  Effect.logError("dead_letter_queue_alert").pipe(
    Effect.annotateLogs({ queue: alert.queueName, depth: alert.depth, reason: alert.reason, growth: alert.growth })
  )

/**
 * One pass of the monitor: reads depth per queue, sets the gauge, and decides alerts. Alerts
 * fire when a condition becomes true, not on every tick, so a stuck queue pages once.
 *
 * @internal
 */
export const monitor = (options: MonitorOptions = {}): Effect.Effect<never, never, DeadLetter> =>
  Effect.gen(function*() {
    const dlq = yield* DeadLetter
    const interval = Duration.decode(options.interval ?? "30 seconds")
    const threshold = options.threshold ?? 100
    const window = options.growth === undefined ? undefined : Duration.toMillis(options.growth.window)
    const onAlert = options.onAlert ?? logAlert
    const samples = new Map<string, Array<readonly [at: number, depth: number]>>()
    const active = new Map<string, { threshold: boolean; growth: boolean }>()

    const tick = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const depths = new Map<string, number>()
      for (const stat of yield* dlq.stats()) {
        depths.set(stat.queueName, (depths.get(stat.queueName) ?? 0) + stat.pending)
      }
      // A queue whose dead letters were all purged must drop back to zero, not keep its last value.
      for (const queue of samples.keys()) if (!depths.has(queue)) depths.set(queue, 0)
      for (const [queue, depth] of depths) {
        yield* Metric.set(Metric.tagged(depthGauge, "queue", queue), depth)
        const history = samples.get(queue) ?? []
        history.push([now, depth])
        while (window !== undefined && history.length > 1 && now - history[0]![0] > window) history.shift()
        samples.set(queue, history)
        const state = active.get(queue) ?? { threshold: false, growth: false }
        const over = depth >= threshold
        if (over && !state.threshold) yield* onAlert({ queueName: queue, depth, reason: "threshold", growth: 0 })
        const growth = depth - Math.min(...history.map(([, d]) => d))
        const growing = options.growth !== undefined && growth >= options.growth.count
        if (growing && !state.growth) yield* onAlert({ queueName: queue, depth, reason: "growth", growth })
        active.set(queue, { threshold: over, growth: growing })
      }
    }).pipe(
      Effect.catchAll((error) =>
        Effect.logWarning("dead_letter_monitor_failed").pipe(Effect.annotateLogs({ error: error.message }))
      )
    )
    return yield* Effect.forever(Effect.zipRight(tick, Effect.sleep(interval)))
  })
