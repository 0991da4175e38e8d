/**
 * Randomized scenarios for `Consumer.run` on TestClock: concurrency, the dead-letter bound,
 * handlers (success, permanent, transient, defect, fatal, bad input), stores (slow, stuck,
 * failing transiently or for good), synchronous or Effect acks, logs on or off, interruption at
 * a random step. After each: at most one ack per delivery and never an ack and a release, acked +
 * pending = offered, counters and log lines match the acks, the bound holds, the run ends once
 * the source has ended, and nothing is handled or acked after the source has handed back.
 *
 * `CONSUMER_SCENARIOS=2000 CONSUMER_SEED=1 npx vitest run test/Consumer.stress.test.ts` for a
 * longer run (the suite runs 300).
 */
import { describe, expect, it } from "@effect/vitest"
import {
  Cause,
  Deferred,
  Effect,
  Exit,
  Fiber,
  Logger,
  LogLevel,
  Metric,
  Option,
  Schedule,
  Schema,
  Stream,
  TestClock
} from "effect"
import * as Consumer from "../src/Consumer.js"
import * as DeadLetter from "../src/DeadLetter.js"
import * as Errors from "../src/Errors.js"
import * as PgError from "../src/PgError.js"

const ackNow = Symbol.for("effect-resilience/Consumer/ackNow")

// --- seeded RNG -----------------------------------------------------------------
const mulberry32 = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6D2B79F5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
type Rng = () => number
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1))
const pick = <A>(rng: Rng, xs: ReadonlyArray<A>): A => xs[Math.floor(rng() * xs.length)]!
const chance = (rng: Rng, p: number) => rng() < p

// --- behaviours -------------------------------------------------------------------
type Behaviour =
  | { readonly _tag: "ok" }
  | { readonly _tag: "okYield"; readonly n: number }
  | { readonly _tag: "okSleep"; readonly ms: number }
  | { readonly _tag: "notFound" }
  | { readonly _tag: "notFoundYield"; readonly n: number }
  | { readonly _tag: "notFoundSleep"; readonly ms: number }
  | { readonly _tag: "transientThenOk"; readonly k: number }
  | { readonly _tag: "transientAlways" }
  | { readonly _tag: "defect" }
  | { readonly _tag: "throw" }
  | { readonly _tag: "malformed" }
  | { readonly _tag: "schemaInvalid" }
  | { readonly _tag: "filterInvalid" }
  | { readonly _tag: "oversized" }
  | { readonly _tag: "fatal" }

const behaviourOf = (rng: Rng, allowFatal: boolean, failRate: number): Behaviour => {
  if (allowFatal && chance(rng, 0.01)) return { _tag: "fatal" }
  if (!chance(rng, failRate)) {
    const r = rng()
    if (r < 0.5) return { _tag: "ok" }
    if (r < 0.8) return { _tag: "okYield", n: int(rng, 1, 6) }
    if (r < 0.9) return { _tag: "okSleep", ms: int(rng, 1, 300) }
    return { _tag: "transientThenOk", k: int(rng, 1, 3) }
  }
  const r = rng()
  if (r < 0.3) return { _tag: "notFound" }
  if (r < 0.45) return { _tag: "notFoundYield", n: int(rng, 1, 6) }
  if (r < 0.5) return { _tag: "notFoundSleep", ms: int(rng, 1, 300) }
  if (r < 0.58) return { _tag: "transientAlways" }
  if (r < 0.64) return { _tag: "defect" }
  if (r < 0.7) return { _tag: "throw" }
  if (r < 0.78) return { _tag: "malformed" }
  if (r < 0.86) return { _tag: "schemaInvalid" }
  if (r < 0.94) return { _tag: "filterInvalid" }
  return { _tag: "oversized" }
}

const Order = Schema.Struct({ orderId: Schema.Number, bad: Schema.optional(Schema.Boolean), pad: Schema.optional(Schema.String) })
type Order = typeof Order.Type

// --- per scenario bookkeeping --------------------------------------------------------
interface Delivery {
  readonly messageId: string
  readonly attempts: number
  acks: number
  releases: number
  /** The handler failed (for good) or the payload was found invalid by the schema filter. */
  failed: boolean
  succeeded: boolean
}

let scenarioSeq = 0
/** What the scenarios reached, checked by the last test. */
const coverage = { success: 0, interrupted: 0, failed: 0, boundReached: 0, offered: 0, deadLettered: 0, sends: 0 }

interface Scenario {
  readonly seed: number
  readonly n: number
  readonly concurrency: number
  readonly limit: number
  readonly maxDeliveries: number
  readonly retries: number
  readonly storeMode: "plain" | "yield" | "sleep" | "gated" | "transient" | "transientAfterWrite" | "permanent" | "stuckThenOpen"
  readonly transientRate: number
  readonly permanentAt: number
  readonly useAckNow: boolean
  /** The source's ack Effect is a round trip (yields a few times). */
  readonly asyncAck: boolean
  readonly warnings: boolean
  readonly interruptAt: number | undefined
  readonly endEarly: boolean
  readonly allowFatal: boolean
  readonly failRate: number
}

const describeScenario = (s: Scenario) => JSON.stringify(s)

const makeScenario = (seed: number): Scenario => {
  const rng = mulberry32(seed)
  const storeMode = pick(rng, ["plain", "plain", "yield", "sleep", "gated", "transient", "transientAfterWrite", "permanent", "stuckThenOpen"] as const)
  return {
    seed,
    n: chance(rng, 0.2) ? int(rng, 50, 300) : int(rng, 0, 50),
    concurrency: int(rng, 1, 12),
    limit: int(rng, 1, 20),
    maxDeliveries: int(rng, 1, 4),
    retries: int(rng, 0, 3),
    storeMode,
    transientRate: pick(rng, [0.2, 0.5, 0.95]),
    permanentAt: int(rng, 1, 6),
    useAckNow: chance(rng, 0.5),
    asyncAck: chance(rng, 0.3),
    warnings: chance(rng, 0.5),
    interruptAt: chance(rng, 0.3) ? int(rng, 0, 12) : undefined,
    endEarly: chance(rng, 0.5),
    allowFatal: chance(rng, 0.1),
    failRate: pick(rng, [0.1, 0.5, 0.9, 1])
  }
}

const sumCounters = (queue: string, codes: ReadonlyArray<string>) =>
  Effect.reduce(codes, 0, (acc, code) =>
    Effect.map(
      Metric.value(Metric.tagged(Metric.tagged(Consumer.deadLetteredTotal, "queue", queue), "code", code)),
      (s) => acc + s.count
    ))
const codes = ["NOT_FOUND", "SERVICE_UNAVAILABLE", "INTERNAL_ERROR", "VALIDATION_ERROR", "MAX_DELIVERIES_EXCEEDED"]

const runScenario = (s: Scenario) =>
  Effect.gen(function*() {
    const rng = mulberry32(s.seed ^ 0x5bd1e995)
    const queue = `stress-${++scenarioSeq}`
    const problems: Array<string> = []
    const problem = (text: string) => {
      if (problems.length < 20) problems.push(text)
    }

    // --- source, wrapped to watch every ack and release the consumer makes ----------
    const inner = yield* Consumer.makeMemorySource(queue)
    const traceState = { interrupted: false, finalized: false }
    const deliveries: Array<Delivery> = []
    const latest = new Map<string, Delivery>()
    const held = new Set<Consumer.Message>()
    const orderOf = new Map<string, number>()
    const messageOfOrder = new Map<number, string>()
    const wrapped: Consumer.Source = {
      queue,
      messages: Stream.unwrapScoped(Effect.as(
        Effect.addFinalizer(() => Effect.sync(() => void (traceState.finalized = true))),
        Stream.map(inner.messages, (m) => {
        const d: Delivery = { messageId: m.id, attempts: m.attempts, acks: 0, releases: 0, failed: false, succeeded: false }
        deliveries.push(d)
        latest.set(m.id, d)
        const w: Consumer.Message & { [ackNow]?: (msg: Consumer.Message) => boolean } = {
          ...m,
          // Counted when it takes effect: an asynchronous ack may be interrupted on its way.
          ack: Effect.zipRight(
            s.asyncAck ? Effect.repeatN(Effect.yieldNow(), 3) : Effect.void,
            Effect.suspend(() => {
              if (traceState.finalized) problem(`ack of message ${d.messageId} after the source handed its messages back`)
              d.acks++
              if (d.acks > 1) problem(`double ack of message ${d.messageId} delivery ${d.attempts}`)
              if (d.releases > 0) problem(`ack after release of message ${d.messageId} delivery ${d.attempts}`)
              held.delete(w)
              return m.ack
            })
          ),
          release: (options) =>
            Effect.suspend(() => {
              d.releases++
              if (d.acks > 0) problem(`release after ack of message ${d.messageId} delivery ${d.attempts}`)
              held.delete(w)
              return m.release(options)
            })
        }
        if (s.useAckNow) {
          w[ackNow] = (msg) => {
            if (!held.has(msg)) return false
            if (traceState.finalized) problem(`ackNow of message ${d.messageId} after the source handed its messages back`)
            held.delete(msg)
            d.acks++
            if (d.acks > 1) problem(`double ack (ackNow) of message ${d.messageId}`)
            if (d.releases > 0) problem(`ackNow after release of message ${d.messageId}`)
            Effect.runSync(m.ack)
            return true
          }
        }
        held.add(w)
        return w
      })))
    }
    const unsettledFailed = () => {
      let k = 0
      for (const d of latest.values()) if (d.failed && d.acks === 0 && d.releases === 0) k++
      return k
    }
    // The old code bounds pending dead letters by the worker count.
    const limit = s.limit
    const checkBound = (where: string) => {
      if (permanentFired) return
      const u = unsettledFailed()
      if (u > limit + s.concurrency) problem(`${where}: ${u} failed messages held > limit ${limit} + concurrency ${s.concurrency}`)
    }

    // --- store ----------------------------------------------------------------------
    const memory = yield* DeadLetter.makeMemory()
    const gate = yield* Deferred.make<void>()
    let rowsInFlight = 0
    let maxRowsInFlight = 0
    let sendCalls = 0
    let permanentFired = false
    const broken = new PgError.UndefinedObject({
      sqlstate: "42P01",
      condition: "undefined_table",
      serverMessage: "relation \"effect_resilience_dead_letters\" does not exist"
    })
    const transient = new DeadLetter.DeadLetterStoreFailed({ operation: "send", reason: "connection reset" })
    const storeBody = (dls: ReadonlyArray<DeadLetter.NewDeadLetter>): Effect.Effect<ReadonlyArray<string>, DeadLetter.StoreError> => {
      switch (s.storeMode) {
        case "plain":
          return memory.sendAll(dls)
        case "yield":
          return Effect.zipRight(Effect.repeatN(Effect.yieldNow(), int(rng, 0, 5)), memory.sendAll(dls))
        case "sleep":
          return Effect.zipRight(Effect.sleep(int(rng, 1, 500)), memory.sendAll(dls))
        case "gated":
        case "stuckThenOpen":
          return Effect.zipRight(Deferred.await(gate), memory.sendAll(dls))
        case "transient":
          return chance(rng, s.transientRate) ? Effect.fail(transient) : memory.sendAll(dls)
        case "transientAfterWrite":
          return Effect.flatMap(memory.sendAll(dls), (ids) => chance(rng, s.transientRate) ? Effect.fail(transient) : Effect.succeed(ids))
        case "permanent":
          if (sendCalls >= s.permanentAt) {
            permanentFired = true
            return Effect.fail(broken)
          }
          return memory.sendAll(dls)
      }
    }
    const store: DeadLetter.DeadLetterQueue = {
      ...memory,
      send: (dl) => Effect.map(store.sendAll([dl]), (ids) => ids[0]!),
      sendAll: (dls) =>
        Effect.suspend(() => {
          sendCalls++
          if (dls.length > limit) problem(`a batch of ${dls.length} rows > limit ${limit}`)
          rowsInFlight += dls.length
          maxRowsInFlight = Math.max(maxRowsInFlight, rowsInFlight)
          if (rowsInFlight > limit) problem(`${rowsInFlight} rows being written > limit ${limit}`)
          checkBound("sendAll")
          return Effect.ensuring(storeBody(dls), Effect.sync(() => void (rowsInFlight -= dls.length)))
        })
    }

    // --- handler ----------------------------------------------------------------------
    const behaviours = new Map<number, Behaviour>()
    const calls = new Map<number, number>()
    const markFailed = (message: Consumer.Message) => {
      const d = latest.get(message.id)
      if (d !== undefined && d.attempts === message.attempts) d.failed = true
    }
    const markSucceeded = (message: Consumer.Message) => {
      const d = latest.get(message.id)
      if (d !== undefined && d.attempts === message.attempts) d.succeeded = true
    }
    const handler = (order: Order, message: Consumer.Message): Effect.Effect<void, unknown> => {
      checkBound("handler")
      if (traceState.finalized) problem(`handler started for message ${message.id} after the source handed its messages back`)
      const b = behaviours.get(order.orderId)!
      const call = (calls.get(order.orderId) ?? 0) + 1
      calls.set(order.orderId, call)
      const failed = (e: Effect.Effect<void, unknown>) => Effect.tapErrorCause(e, () => Effect.sync(() => markFailed(message)))
      const ok = (e: Effect.Effect<void, unknown>) => Effect.tap(e, () => Effect.sync(() => markSucceeded(message)))
      switch (b._tag) {
        case "ok":
          return ok(Effect.void)
        case "okYield":
          return ok(Effect.repeatN(Effect.yieldNow(), b.n))
        case "okSleep":
          return ok(Effect.sleep(b.ms))
        case "notFound":
          return failed(Effect.fail(new Errors.NotFound({ resource: "order", id: String(order.orderId) })))
        case "notFoundYield":
          return failed(Effect.zipRight(Effect.repeatN(Effect.yieldNow(), b.n), Effect.fail(new Errors.NotFound({ resource: "order", id: "x" }))))
        case "notFoundSleep":
          return failed(Effect.zipRight(Effect.sleep(b.ms), Effect.fail(new Errors.NotFound({ resource: "order", id: "x" }))))
        case "transientThenOk":
          // Counted per call: success once the (k+1)th call comes, if the schedule allows it.
          return call <= b.k ? Effect.fail(new Errors.ServiceUnavailable({ service: "inv" })) : ok(Effect.void)
        case "transientAlways":
          // Marked failed only when it is the last try (the consumer then dead-letters it).
          return Effect.fail(new Errors.ServiceUnavailable({ service: "inv" }))
        case "defect":
          return failed(Effect.die(new RangeError("boom")))
        case "throw":
          markFailed(message)
          throw new TypeError("thrown")
        case "fatal":
          return Effect.fail(new Errors.MissingConfig({ key: "API_KEY" }))
        default:
          return ok(Effect.void)
      }
    }
    // Schema filter: records a delivery rejected by validation (when it is processed).
    const messageOfOrderId = (orderId: number) => {
      const id = messageOfOrder.get(orderId)
      return id === undefined ? undefined : latest.get(id)
    }
    const schema = Order.pipe(Schema.filter((o) => {
      if (o.bad === true) {
        const d = messageOfOrderId(o.orderId)
        if (d !== undefined) d.failed = true
        return false
      }
      return true
    }))

    const lines = { deadLettered: 0 }
    const logger = Logger.make((options) => {
      const parts = Array.isArray(options.message) ? options.message : [options.message]
      if (parts[0] === "message_dead_lettered") lines.deadLettered++
    })
    const run = Consumer.run({
      schema,
      handler,
      concurrency: s.concurrency,
      maxPendingDeadLetters: s.limit,
      maxDeliveries: s.maxDeliveries,
      maxPayloadBytes: 2048,
      schedule: Schedule.recurs(s.retries)
    }).pipe(
      Effect.provideService(Consumer.MessageSource, wrapped),
      Effect.provideService(DeadLetter.DeadLetter, store),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(s.warnings ? LogLevel.Warning : LogLevel.Error)
    )

    // --- payloads -------------------------------------------------------------------------
    const offerOne = (orderId: number) =>
      Effect.gen(function*() {
        const b = behaviourOf(rng, s.allowFatal, s.failRate)
        behaviours.set(orderId, b)
        const payload = b._tag === "malformed"
          ? "{\"orderId\": " + orderId + ","
          : b._tag === "schemaInvalid"
          ? JSON.stringify({ orderId: String(orderId) })
          : b._tag === "filterInvalid"
          ? JSON.stringify({ orderId, bad: true })
          : b._tag === "oversized"
          ? JSON.stringify({ orderId, pad: "x".repeat(3000) })
          : JSON.stringify({ orderId })
        const id = yield* inner.offer(payload)
        orderOf.set(id, orderId)
        messageOfOrder.set(orderId, id)
      })

    // --- drive ----------------------------------------------------------------------------
    const gauge = Metric.tagged(Consumer.inFlight, "queue", queue)
    let offered = 0
    if (chance(rng, 0.5)) {
      const k = int(rng, 0, s.n)
      for (; offered < k; offered++) yield* offerOne(offered)
    }
    const fiber = yield* Effect.fork(run)
    let ended = false
    let offeredBeforeEnd = 0
    let interrupted = false
    let step = 0
    const maybeInterrupt = Effect.suspend(() => {
      if (s.interruptAt !== undefined && step++ === s.interruptAt && !interrupted) {
        interrupted = true
        traceState.interrupted = true
        return Fiber.interrupt(fiber)
      }
      return Effect.void
    })
    const openGateAt = int(rng, 0, 10)
    let actions = 0
    while (offered < s.n || !ended) {
      if (Option.isSome(yield* Fiber.poll(fiber))) break
      const r = rng()
      if (r < 0.4 && offered < s.n) {
        const k = Math.min(s.n - offered, int(rng, 1, 40))
        for (let i = 0; i < k; i++, offered++) yield* offerOne(offered)
      } else if (r < 0.6) {
        const y = int(rng, 0, 20)
        yield* Effect.repeatN(Effect.yieldNow(), y)
      } else if (r < 0.8) {
        const ms = int(rng, 1, 2000)
        yield* TestClock.adjust(ms)
      } else if (offered >= s.n || s.endEarly) {
        if (!ended) {
          yield* inner.end
          ended = true
          offeredBeforeEnd = offered
        }
      }
      if (actions++ === openGateAt && s.storeMode === "gated") yield* Deferred.succeed(gate, undefined)
      checkBound("driver")
      yield* maybeInterrupt
      if (actions > 200) break
    }
    // Offers after an early end stay pending (the end marker comes before them).
    if (!ended) {
      yield* inner.end
      ended = true
      offeredBeforeEnd = offered
    }
    // `stuckThenOpen`: the store stays stuck until everything has quiesced; the workers are
    // then held back by the bound.
    if (s.storeMode === "stuckThenOpen" && !interrupted) {
      yield* Effect.repeatN(Effect.yieldNow(), 50)
      yield* TestClock.adjust("10 seconds")
      checkBound("stuck")
      if (maxRowsInFlight > limit) problem(`stuck store: ${maxRowsInFlight} rows in flight`)
    }
    yield* Deferred.succeed(gate, undefined)
    let exit: Option.Option<Exit.Exit<void, Consumer.SourceError>> = Option.none()
    for (let i = 0; i < 40; i++) {
      yield* maybeInterrupt
      exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) break
      yield* Effect.repeatN(Effect.yieldNow(), 5)
      exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) break
      yield* TestClock.adjust("30 seconds")
    }
    if (Option.isNone(exit)) {
      problem(`run did not end 20 minutes after the source ended and the store was opened (offered ${offered})`)
      yield* Fiber.interrupt(fiber)
      interrupted = true
      exit = yield* Fiber.poll(fiber)
    }
    const result = Option.getOrThrow(exit)
    // Right at the end: a successful run has given every delivery an outcome itself.
    if (Exit.isSuccess(result)) {
      for (const d of deliveries) {
        if (d.acks === 0 && d.releases === 0) problem(`run succeeded but message ${d.messageId} delivery ${d.attempts} has no outcome`)
      }
      if (rowsInFlight !== 0) problem(`run succeeded with ${rowsInFlight} rows still being written`)
    }
    const fatalSeen = [...behaviours.values()].some((b) => b._tag === "fatal")
    if (Exit.isFailure(result) && !Exit.isInterrupted(result)) {
      const failure = Cause.failureOption(result.cause)
      const ok = (Option.isSome(failure) && failure.value === broken && permanentFired) ||
        (Option.isNone(failure) && fatalSeen)
      if (!ok) problem(`run failed unexpectedly: ${Cause.pretty(result.cause).slice(0, 600)}`)
    }
    // Delayed releases land.
    yield* TestClock.adjust("1 minute")
    const stats = yield* inner.stats
    if (stats.inFlight !== 0) problem(`after the run: ${stats.inFlight} messages still in flight`)
    if (stats.acked + stats.pending !== offered) problem(`acked ${stats.acked} + pending ${stats.pending} != offered ${offered}`)
    const gaugeValue = (yield* Metric.value(gauge)).value
    if (gaugeValue !== 0) problem(`in-flight gauge ${gaugeValue} after the run`)

    // Outcomes per message.
    const rows = yield* memory.list({ limit: 100000 })
    const rowIds = new Set(rows.map((r) => r.messageId))
    if (rowIds.size !== rows.length) problem(`duplicate rows`)
    const ackedMessages = new Set<string>()
    let ackedDead = 0
    let ackedProcessed = 0
    const ackedDeliveries = new Map<string, number>()
    for (const d of deliveries) {
      if (d.acks > 0) {
        ackedDeliveries.set(d.messageId, (ackedDeliveries.get(d.messageId) ?? 0) + 1)
        ackedMessages.add(d.messageId)
      }
    }
    for (const [id, k] of ackedDeliveries) if (k > 1) problem(`message ${id} acked in ${k} deliveries`)
    for (const id of ackedMessages) {
      const d = [...deliveries].reverse().find((x) => x.messageId === id && x.acks > 0)!
      if (d.succeeded) {
        ackedProcessed++
        if (rowIds.has(id) && !interrupted && Exit.isSuccess(result)) problem(`message ${id} processed and dead-lettered`)
      } else {
        ackedDead++
        if (!rowIds.has(id)) problem(`message ${id} (${behaviours.get(orderOf.get(id)!)?._tag}) acked without success and without a dead letter`)
      }
    }
    if (ackedMessages.size !== stats.acked) problem(`source counts ${stats.acked} acked, consumer acked ${ackedMessages.size}`)
    const processed = (yield* Metric.value(Metric.tagged(Consumer.processedTotal, "queue", queue))).count
    const deadCounted = yield* sumCounters(queue, codes)
    // Stopped (interrupted, or ended by a fatal error or an unusable store): workers may be
    // stopped between an ack and its count (count one less each, at most one per worker).
    const stopped = interrupted || Exit.isFailure(result)
    if (!stopped) {
      if (processed !== ackedProcessed) problem(`processed counter ${processed} != processed acks ${ackedProcessed}`)
      if (deadCounted !== ackedDead) problem(`dead-lettered counter ${deadCounted} != dead-letter acks ${ackedDead}`)
      if (s.warnings && lines.deadLettered !== deadCounted) problem(`${lines.deadLettered} dead-letter log lines, counter ${deadCounted}`)
      if (!s.warnings && lines.deadLettered !== 0) problem(`dead-letter lines logged below the level`)
      // Rows without an ack: only when the write failed (released) or the run failed.
      for (const id of rowIds) {
        if (id !== null && !ackedMessages.has(id) && Exit.isSuccess(result) && s.storeMode !== "transientAfterWrite") {
          problem(`row for message ${id} written but message not acked`)
        }
      }
    } else {
      // Stopped between an ack and its count, a message is counted one less; never more.
      if (deadCounted > ackedDead) problem(`stopped: dead-lettered counter ${deadCounted} > dead-letter acks ${ackedDead}`)
      if (deadCounted < ackedDead - 1) problem(`stopped: dead-lettered counter ${deadCounted} < dead-letter acks ${ackedDead} - 1`)
      if (processed > ackedProcessed) problem(`stopped: processed counter ${processed} > processed acks ${ackedProcessed}`)
      if (processed < ackedProcessed - s.concurrency) problem(`stopped: processed counter ${processed} < processed acks ${ackedProcessed} - concurrency`)
    }
    // Expected outcome with a store that always works and no interruption.
    if (!interrupted && Exit.isSuccess(result) && (s.storeMode === "plain" || s.storeMode === "yield" || s.storeMode === "sleep" || s.storeMode === "gated" || s.storeMode === "stuckThenOpen")) {
      for (let orderId = 0; orderId < offeredBeforeEnd; orderId++) {
        const id = messageOfOrder.get(orderId)!
        const b = behaviours.get(orderId)!
        if (!ackedMessages.has(id)) problem(`message ${id} (${b._tag}) not acked with a working store`)
        const row = rows.find((r) => r.messageId === id)
        const expected = b._tag === "ok" || b._tag === "okYield" || b._tag === "okSleep" ||
            (b._tag === "transientThenOk" && b.k <= s.retries)
          ? undefined
          : b._tag === "notFound" || b._tag === "notFoundYield" || b._tag === "notFoundSleep"
          ? "NOT_FOUND"
          : b._tag === "transientAlways" || b._tag === "transientThenOk"
          ? "SERVICE_UNAVAILABLE"
          : b._tag === "defect" || b._tag === "throw"
          ? "INTERNAL_ERROR"
          : "VALIDATION_ERROR"
        if ((row?.errorCode) !== expected) problem(`message ${id} (${b._tag}): row ${row?.errorCode}, expected ${expected}`)
      }
    }
    coverage.offered += offered
    coverage.sends += sendCalls
    coverage.deadLettered += ackedDead
    if (maxRowsInFlight >= limit) coverage.boundReached++
    if (Exit.isSuccess(result)) coverage.success++
    else if (interrupted) coverage.interrupted++
    else coverage.failed++
    return problems.length === 0 ? [] : [`scenario ${describeScenario(s)} exit=${result._tag}${Exit.isInterrupted(result) ? "(interrupted)" : ""}:`, ...problems.map((p) => "  " + p)]
  })

const SEED = Number(process.env["CONSUMER_SEED"] ?? 20240601)
const ONLY = process.env["CONSUMER_ONLY"]
const SCENARIOS = Number(process.env["CONSUMER_SCENARIOS"] ?? 300)
const GROUPS = 10

describe("Consumer dead-letter hand-off, randomized", () => {
  for (let g = 0; g < GROUPS; g++) {
    it.effect(`group ${g}`, () =>
      Effect.gen(function*() {
        const failures: Array<string> = []
        const per = Math.ceil(SCENARIOS / GROUPS)
        for (let i = 0; i < per; i++) {
          if (ONLY !== undefined && (g > 0 || i > 0)) break
          const seed = ONLY !== undefined ? Number(ONLY) : SEED + g * per + i
          const s = makeScenario(seed)
          const out = yield* runScenario(s).pipe(
            Effect.catchAllDefect((d) => Effect.succeed([`scenario ${describeScenario(s)}: defect in the test ${String(d)}`]))
          )
          failures.push(...out)
        }
        expect(failures).toEqual([])
      }), 600_000)
  }
  it("the scenarios reached the bound, interruption, a failed run and a clean one", () => {
    expect(coverage.boundReached).toBeGreaterThan(0)
    expect(coverage.interrupted).toBeGreaterThan(0)
    expect(coverage.failed).toBeGreaterThan(0)
    expect(coverage.success).toBeGreaterThan(0)
    expect(coverage.deadLettered).toBeGreaterThan(0)
  })
})
