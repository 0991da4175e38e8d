import { describe, expect, it } from "@effect/vitest"
import {
  Chunk,
  Deferred,
  Duration,
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
import { withLogs, withMessage } from "./support/captureLogs.js"

const Order = Schema.Struct({ orderId: Schema.Number, kind: Schema.optional(Schema.String) })
type Order = typeof Order.Type

let queueSeq = 0
const freshQueue = () => `orders-${++queueSeq}`

/** A memory source and store, with the consumer running in a fiber. */
const setup = <E>(
  handler: (order: Order, message: Consumer.Message) => Effect.Effect<unknown, E>,
  options: Partial<Consumer.ConsumerOptions<Order, typeof Order.Encoded, E, never>> = {}
) =>
  Effect.gen(function*() {
    const source = yield* Consumer.makeMemorySource(freshQueue())
    const dlq = yield* DeadLetter.makeMemory()
    const run = Consumer.run({ schema: Order, handler, ...options }).pipe(
      Effect.provideService(Consumer.MessageSource, source),
      Effect.provideService(DeadLetter.DeadLetter, dlq)
    )
    return { source, dlq, run }
  })

const counter = (metric: Metric.Metric.Counter<number>, tags: Record<string, string>) =>
  Effect.map(
    Metric.value(Object.entries(tags).reduce((m, [k, v]) => Metric.tagged(m, k, v), metric)),
    (state) => state.count
  )

/** A memory store whose writes always fail with `error`; `sends` counts the tries. */
const failingStore = (error: DeadLetter.StoreError) =>
  Effect.map(DeadLetter.makeMemory(), (memory) => {
    let sends = 0
    const fail = Effect.suspend(() => {
      sends++
      return Effect.fail(error)
    })
    const store: DeadLetter.DeadLetterQueue = { ...memory, send: () => fail, sendAll: () => fail }
    return { store, sends: () => sends }
  })

/** What an unusable Postgres store fails with: its table is missing. */
const missingDeadLetterTable = new PgError.UndefinedObject({
  sqlstate: "42P01",
  condition: "undefined_table",
  serverMessage: "relation \"effect_resilience_dead_letters\" does not exist"
})

/** A consumer whose handler always fails permanently (every message goes to the store). */
const alwaysConflict = (source: Consumer.Source, store: DeadLetter.DeadLetterQueue) =>
  Consumer.run({ schema: Order, handler: () => Effect.fail(new Errors.Conflict({ resource: "order" })) }).pipe(
    Effect.provideService(Consumer.MessageSource, source),
    Effect.provideService(DeadLetter.DeadLetter, store)
  )

describe("Consumer", () => {
  it.effect("acks successes and dead-letters bad input with VALIDATION_ERROR, then keeps going", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const { dlq, run, source } = yield* setup((order) => Effect.sync(() => seen.push(order.orderId)), {
        maxPayloadBytes: 2048
      })
      yield* source.offerJson({ orderId: 1 })
      yield* source.offer("{\"orderId\": 2,") // malformed JSON
      yield* source.offerJson({ orderId: "three" }) // schema-invalid
      yield* source.offerJson({ orderId: 4, kind: "x".repeat(5000) }) // oversized
      yield* source.offerJson({ orderId: 5 })
      yield* source.end
      yield* run
      expect(seen).toEqual([1, 5])
      const dead = yield* dlq.list()
      expect(dead.map((d) => [d.errorCode, d.errorCategory, d.attempts])).toEqual([
        ["VALIDATION_ERROR", "Permanent", 1],
        ["VALIDATION_ERROR", "Permanent", 1],
        ["VALIDATION_ERROR", "Permanent", 1]
      ])
      // Malformed input is kept byte for byte.
      expect(dead[0]!.originalText).toBe("{\"orderId\": 2,")
      expect(dead[1]!.error).toMatch(/orderId/)
      expect(dead[2]!.error).toMatch(/bytes, limit 2048/)
      expect(yield* source.stats).toEqual({ pending: 0, inFlight: 0, acked: 5 })
      expect(yield* counter(Consumer.processedTotal, { queue: source.queue })).toBe(2)
      expect(yield* counter(Consumer.deadLetteredTotal, { queue: source.queue, code: "VALIDATION_ERROR" })).toBe(3)
    }))

  it.effect("at Debug, logs message_processed once per processed message and keeps going", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const { run, source } = yield* setup((order) => Effect.sync(() => seen.push(order.orderId)), { concurrency: 3 })
      const ids: Array<string> = []
      for (let orderId = 1; orderId <= 20; orderId++) ids.push(yield* source.offerJson({ orderId }))
      yield* source.end
      const [, lines] = yield* withLogs(run.pipe(Logger.withMinimumLogLevel(LogLevel.Debug)))
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
      const processed = withMessage(lines, "message_processed")
      expect(processed.map((line) => line.annotations["message_id"]).sort()).toEqual([...ids].sort())
      expect(processed.every((line) => line.level === "DEBUG" && line.annotations["event"] === "processed")).toBe(true)
      expect(yield* source.stats).toEqual({ pending: 0, inFlight: 0, acked: 20 })
    }))

  it.effect("dead-letters a permanent error at once, without retrying", () =>
    Effect.gen(function*() {
      let calls = 0
      const { dlq, run, source } = yield* setup((order) => {
        calls++
        return Effect.fail(new Errors.NotFound({ resource: "order", id: String(order.orderId) }))
      })
      yield* source.offerJson({ orderId: 7 })
      yield* source.end
      yield* run
      expect(calls).toBe(1)
      const [dead] = yield* dlq.list()
      expect(dead).toMatchObject({
        errorCode: "NOT_FOUND",
        errorType: "NotFound",
        errorCategory: "Permanent",
        attempts: 1,
        error: "order 7 not found",
        originalMessage: { orderId: 7 },
        messageId: "1"
      })
    }))

  it.effect("retries transient errors on the schedule, then dead-letters with every attempt", () =>
    Effect.gen(function*() {
      const calls: Array<number> = []
      const { dlq, run, source } = yield* setup(() =>
        Effect.flatMap(TestClock.currentTimeMillis, (now) => {
          calls.push(now)
          return Effect.fail(new Errors.ServiceUnavailable({ service: "inventory" }))
        }), { schedule: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(3))) })
      yield* source.offerJson({ orderId: 1 })
      yield* source.end
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      expect(calls).toEqual([0, 1000, 2000, 3000])
      const [dead] = yield* dlq.list()
      expect(dead).toMatchObject({ errorCode: "SERVICE_UNAVAILABLE", errorCategory: "Transient", attempts: 4 })
      expect(dead!.firstFailure.getTime()).toBe(0)
      expect(dead!.lastFailure.getTime()).toBe(3000)
      expect(yield* counter(Consumer.retriedTotal, { queue: source.queue })).toBe(3)
    }))

  it.effect("a transient error that clears is processed, not dead-lettered; Retry-After is honoured", () =>
    Effect.gen(function*() {
      const calls: Array<number> = []
      const { dlq, run, source } = yield* setup(() =>
        Effect.flatMap(TestClock.currentTimeMillis, (now) => {
          calls.push(now)
          return calls.length < 2
            ? Effect.fail(new Errors.RateLimited({ service: "api", retryAfter: Duration.seconds(7) }))
            : Effect.void
        }), { schedule: Schedule.spaced("1 second") })
      yield* source.offerJson({ orderId: 1 })
      yield* source.end
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      expect(calls).toEqual([0, 7000])
      expect(yield* dlq.list()).toEqual([])
      expect((yield* source.stats).acked).toBe(1)
    }))

  it.effect("defects and errors outside the taxonomy are dead-lettered as Unexpected; the consumer survives", () =>
    Effect.gen(function*() {
      const { dlq, run, source } = yield* setup((order): Effect.Effect<void, Error> => {
        if (order.orderId === 1) throw new TypeError("undefined is not a function")
        if (order.orderId === 2) return Effect.die(new RangeError("index out of range"))
        if (order.orderId === 3) return Effect.fail(new Error("plain error"))
        return Effect.void
      })
      for (const orderId of [1, 2, 3, 4]) yield* source.offerJson({ orderId })
      yield* source.end
      yield* run
      const dead = yield* dlq.list()
      expect(dead.map((d) => [d.errorType, d.errorCategory, d.errorCode, d.metadata["defect"]])).toEqual([
        ["TypeError", "Unexpected", "INTERNAL_ERROR", true],
        ["RangeError", "Unexpected", "INTERNAL_ERROR", true],
        ["Error", "Unexpected", "INTERNAL_ERROR", false]
      ])
      expect((yield* source.stats).acked).toBe(4)
    }))

  it.effect("a fatal error releases the message and stops the consumer", () =>
    Effect.gen(function*() {
      const { dlq, run, source } = yield* setup(() => Effect.fail(new Errors.MissingConfig({ key: "API_KEY" })))
      yield* source.offerJson({ orderId: 1 })
      const exit = yield* Effect.exit(run)
      expect(Exit.isFailure(exit) && Exit.causeOption(exit).pipe(Option.isSome)).toBe(true)
      expect(yield* dlq.list()).toEqual([])
      expect(yield* source.stats).toEqual({ pending: 1, inFlight: 0, acked: 0 })
    }))

  it.effect("messages delivered too often are dead-lettered as MAX_DELIVERIES_EXCEEDED", () =>
    Effect.gen(function*() {
      const dlq = yield* DeadLetter.makeMemory()
      let acked = 0
      const message: Consumer.Message = {
        id: "m1",
        queue: "poison",
        payload: "{\"orderId\":1}",
        attempts: 4,
        enqueuedAt: new Date(0),
        replayOf: undefined,
        ack: Effect.sync(() => void acked++),
        release: () => Effect.void
      }
      let handled = 0
      yield* Consumer.run({ schema: Order, handler: () => Effect.sync(() => void handled++), maxDeliveries: 3 }).pipe(
        Effect.provideService(Consumer.MessageSource, { queue: "poison", messages: Stream.make(message) }),
        Effect.provideService(DeadLetter.DeadLetter, dlq)
      )
      expect(handled).toBe(0)
      expect(acked).toBe(1)
      expect((yield* dlq.list())[0]).toMatchObject({ errorCode: "MAX_DELIVERIES_EXCEEDED", messageId: "m1" })
    }))

  it.effect("never acks when the dead-letter store is down: the message goes back to the queue", () =>
    Effect.gen(function*() {
      const source = yield* Consumer.makeMemorySource(freshQueue())
      const broken = yield* failingStore(new DeadLetter.DeadLetterStoreFailed({ operation: "send", reason: "connection refused" }))
      const fiber = yield* Effect.fork(alwaysConflict(source, broken.store))
      yield* source.offerJson({ orderId: 1 })
      yield* TestClock.adjust("1 minute")
      // Each delivery: first try + 8 retries, then released and delivered again.
      expect(broken.sends()).toBeGreaterThan(9)
      // Released with a delay and delivered again, still not acked.
      expect((yield* source.stats).acked).toBe(0)
      yield* Fiber.interrupt(fiber)
      const stats = yield* source.stats
      expect(stats.pending + stats.inFlight).toBe(1)
    }))

  it.effect("bounds concurrency across 5,000 messages and loses none", () =>
    Effect.gen(function*() {
      let active = 0
      let peak = 0
      const done = new Set<number>()
      const { run, source } = yield* setup((order) =>
        Effect.sync(() => {
          active++
          peak = Math.max(peak, active)
        }).pipe(
          Effect.zipRight(Effect.repeatN(Effect.yieldNow(), order.orderId % 5)),
          Effect.ensuring(Effect.sync(() => {
            active--
            done.add(order.orderId)
          }))
        ), { concurrency: 16 })
      for (let i = 0; i < 5000; i++) yield* source.offerJson({ orderId: i })
      yield* source.end
      yield* run
      expect(done.size).toBe(5000)
      expect(peak).toBe(16)
      expect((yield* source.stats).acked).toBe(5000)
    }))

  it.effect("a source that ends while workers wait in line for a pull ends the run", () =>
    Effect.gen(function*() {
      const { run, source } = yield* setup(() => Effect.void, { concurrency: 3 })
      const fiber = yield* Effect.fork(run)
      // One worker waits in the pull, two wait in line behind it.
      yield* TestClock.adjust("1 millis")
      yield* source.end
      yield* TestClock.adjust("1 second")
      expect(Option.isSome(yield* Fiber.poll(fiber))).toBe(true)
    }))

  it.effect("the in-flight gauge counts busy workers and is back to 0 when the run ends", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const { run, source } = yield* setup(() => Deferred.await(gate), { concurrency: 3 })
      const gauge = Metric.tagged(Consumer.inFlight, "queue", source.queue)
      for (let i = 0; i < 5; i++) yield* source.offerJson({ orderId: i })
      yield* source.end
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust("1 millis")
      expect((yield* Metric.value(gauge)).value).toBe(3)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(fiber)
      expect((yield* Metric.value(gauge)).value).toBe(0)
      expect((yield* source.stats).acked).toBe(5)
    }))

  it.effect("on interrupt, in-flight messages are released without counting an attempt", () =>
    Effect.gen(function*() {
      const started: Array<string> = []
      const { run, source } = yield* setup((_, message) =>
        Effect.zipRight(Effect.sync(() => started.push(message.id)), Effect.never), { concurrency: 3 })
      for (let i = 0; i < 5; i++) yield* source.offerJson({ orderId: i })
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust("1 millis")
      expect(started.length).toBe(3)
      yield* Fiber.interrupt(fiber)
      expect(yield* source.stats).toMatchObject({ inFlight: 0, acked: 0 })
      // A second consumer gets every message, the interrupted ones as first deliveries again.
      const attempts: Array<number> = []
      const second = yield* Consumer.run({
        schema: Order,
        handler: (_, message) => Effect.sync(() => attempts.push(message.attempts))
      }).pipe(
        Effect.provideService(Consumer.MessageSource, source),
        Effect.provide(DeadLetter.layerMemory()),
        Effect.fork
      )
      yield* source.end
      yield* Fiber.join(second)
      expect(attempts.sort()).toEqual([1, 1, 1, 1, 1])
    }))

  it.effect("a burst of failures is written in batches (one sendAll per batch), each message acked once", () =>
    Effect.gen(function*() {
      const source = yield* Consumer.makeMemorySource(freshQueue())
      const memory = yield* DeadLetter.makeMemory()
      const gate = yield* Deferred.make<void>()
      const batches: Array<number> = []
      const batching: DeadLetter.DeadLetterQueue = {
        ...memory,
        // The first write waits, so the next failures queue up behind it.
        sendAll: (dls) =>
          Effect.zipRight(
            batches.push(dls.length) === 1 ? Deferred.await(gate) : Effect.void,
            memory.sendAll(dls)
          )
      }
      const fiber = yield* Consumer.run({
        schema: Order,
        handler: (order) => Effect.fail(new Errors.NotFound({ resource: "order", id: String(order.orderId) })),
        concurrency: 10
      }).pipe(
        Effect.provideService(Consumer.MessageSource, source),
        Effect.provideService(DeadLetter.DeadLetter, batching),
        Effect.fork
      )
      for (let orderId = 0; orderId < 100; orderId++) yield* source.offerJson({ orderId })
      yield* source.end
      yield* TestClock.adjust("1 millis")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(fiber)
      expect(batches.reduce((a, b) => a + b, 0)).toBe(100)
      expect(batches.length).toBeLessThan(20)
      expect(Math.max(...batches)).toBeGreaterThan(1)
      expect(yield* source.stats).toEqual({ pending: 0, inFlight: 0, acked: 100 })
      const stored = yield* memory.list({ limit: 1000 })
      expect(new Set(stored.map((d) => d.messageId)).size).toBe(100)
    }))

  it.effect("a slow dead-letter write holds its message, not the workers; the message is acked only once written", () =>
    Effect.gen(function*() {
      const source = yield* Consumer.makeMemorySource(freshQueue())
      const memory = yield* DeadLetter.makeMemory()
      const gate = yield* Deferred.make<void>()
      const slow: DeadLetter.DeadLetterQueue = {
        ...memory,
        send: (dl) => Effect.zipRight(Deferred.await(gate), memory.send(dl)),
        sendAll: (dls) => Effect.zipRight(Deferred.await(gate), memory.sendAll(dls))
      }
      const processed: Array<number> = []
      const fiber = yield* Consumer.run({
        schema: Order,
        handler: (order) =>
          order.orderId === 0
            ? Effect.fail(new Errors.NotFound({ resource: "order", id: "0" }))
            : Effect.sync(() => void processed.push(order.orderId)),
        concurrency: 2
      }).pipe(
        Effect.provideService(Consumer.MessageSource, source),
        Effect.provideService(DeadLetter.DeadLetter, slow),
        Effect.fork
      )
      for (let orderId = 0; orderId < 100; orderId++) yield* source.offerJson({ orderId })
      yield* source.end
      yield* TestClock.adjust("1 millis")
      // Both workers went on while the store was stuck; the failed message is still held.
      expect(processed.length).toBe(99)
      expect(yield* source.stats).toEqual({ pending: 0, inFlight: 1, acked: 99 })
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(fiber)
      expect(yield* source.stats).toEqual({ pending: 0, inFlight: 0, acked: 100 })
      expect((yield* memory.list()).map((d) => d.errorCode)).toEqual(["NOT_FOUND"])
    }))

  it.effect("a stuck store holds at most maxPendingDeadLetters; then failing workers wait, and none is lost", () =>
    Effect.gen(function*() {
      const source = yield* Consumer.makeMemorySource(freshQueue())
      const memory = yield* DeadLetter.makeMemory()
      const gate = yield* Deferred.make<void>()
      const stuck: DeadLetter.DeadLetterQueue = {
        ...memory,
        sendAll: (dls) => Effect.zipRight(Deferred.await(gate), memory.sendAll(dls))
      }
      let handled = 0
      const fiber = yield* Consumer.run({
        schema: Order,
        handler: (order) =>
          Effect.suspend(() => {
            handled++
            return Effect.fail(new Errors.NotFound({ resource: "order", id: String(order.orderId) }))
          }),
        concurrency: 3,
        maxPendingDeadLetters: 8
      }).pipe(
        Effect.provideService(Consumer.MessageSource, source),
        Effect.provideService(DeadLetter.DeadLetter, stuck),
        Effect.fork
      )
      for (let orderId = 0; orderId < 50; orderId++) yield* source.offerJson({ orderId })
      yield* source.end
      yield* TestClock.adjust("1 millis")
      // Eight dead letters wait for the store; each worker then failed one more message and
      // waits for room with it. No further message was handled.
      expect(handled).toBe(8 + 3)
      yield* TestClock.adjust("1 millis")
      expect(handled).toBe(11)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(fiber)
      expect(handled).toBe(50)
      expect(yield* source.stats).toEqual({ pending: 0, inFlight: 0, acked: 50 })
      const stored = yield* memory.list({ limit: 1000 })
      expect(stored.map((d) => Number(d.messageId)).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    }))

  it.effect("a long run of bad messages in one chunk is dead-lettered one by one, without deepening the stack", () =>
    Effect.gen(function*() {
      const { dlq, run, source } = yield* setup(() => Effect.void, { concurrency: 1, maxPendingDeadLetters: 1_000_000 })
      // One chunk: the memory source hands over everything queued at once.
      for (let i = 0; i < 20_000; i++) yield* source.offer("{\"orderId\": ")
      yield* source.offerJson({ orderId: 1 })
      yield* source.end
      yield* run
      expect(yield* source.stats).toEqual({ pending: 0, inFlight: 0, acked: 20_001 })
      expect((yield* dlq.stats()).reduce((n, s) => n + s.total, 0)).toBe(20_000)
    }))

  it.effect("a run stopped while its dead letters' acks are out counts none of them", () =>
    Effect.gen(function*() {
      const source = yield* Consumer.makeMemorySource(freshQueue())
      const gate = yield* Deferred.make<void>()
      // A source whose ack is a round trip (here one that waits on a gate).
      const remote: Consumer.Source = {
        queue: source.queue,
        messages: Stream.map(source.messages, (m) => ({ ...m, ack: Effect.zipRight(Deferred.await(gate), m.ack) }))
      }
      const fiber = yield* Consumer.run({
        schema: Order,
        handler: (order) => Effect.fail(new Errors.NotFound({ resource: "order", id: String(order.orderId) })),
        concurrency: 1
      }).pipe(
        Effect.provideService(Consumer.MessageSource, remote),
        Effect.provide(DeadLetter.layerMemory()),
        Effect.fork
      )
      for (let orderId = 0; orderId < 5; orderId++) yield* source.offerJson({ orderId })
      yield* TestClock.adjust("1 millis")
      yield* Fiber.interrupt(fiber)
      // Written, but never acked: all five go back, to be dead-lettered (and counted) on redelivery.
      expect(yield* source.stats).toEqual({ pending: 5, inFlight: 0, acked: 0 })
      expect(yield* counter(Consumer.deadLetteredTotal, { queue: source.queue, code: "NOT_FOUND" })).toBe(0)
    }))

  it.effect("on interrupt, the workers stop before the source hands its messages back: no handler or ack after", () =>
    Effect.gen(function*() {
      const source = yield* Consumer.makeMemorySource(freshQueue())
      let handedBack = false
      let startedAfter = 0
      let ackedAfter = 0
      // This finalizer runs right after the memory source's own, which releases what the run holds.
      const watched: Consumer.Source = {
        queue: source.queue,
        messages: Stream.unwrapScoped(Effect.as(
          Effect.addFinalizer(() => Effect.sync(() => void (handedBack = true))),
          Stream.map(source.messages, (m) => ({ ...m, ack: Effect.zipRight(Effect.sync(() => void (handedBack && ackedAfter++)), m.ack) }))
        ))
      }
      for (let orderId = 0; orderId < 30; orderId++) yield* source.offerJson({ orderId })
      const fiber = yield* Consumer.run({
        schema: Order,
        handler: (order) =>
          Effect.suspend(() => {
            if (handedBack) startedAfter++
            return order.orderId === 0 ? Effect.fail(new Errors.ServiceUnavailable({ service: "x" })) : Effect.yieldNow()
          }),
        schedule: Schedule.recurs(1),
        concurrency: 3
      }).pipe(
        Effect.provideService(Consumer.MessageSource, watched),
        Effect.provide(DeadLetter.layerMemory()),
        Effect.fork
      )
      yield* Effect.repeatN(Effect.yieldNow(), 2)
      yield* Fiber.interrupt(fiber)
      expect({ startedAfter, ackedAfter }).toEqual({ startedAfter: 0, ackedAfter: 0 })
      expect((yield* source.stats).inFlight).toBe(0)
    }))

  it.effect("a dead-letter store that cannot work at all stops the consumer with its error; the message goes back", () =>
    Effect.gen(function*() {
      const source = yield* Consumer.makeMemorySource(freshQueue())
      const broken = missingDeadLetterTable
      const unusable = yield* failingStore(broken)
      yield* source.offerJson({ orderId: 1 })
      const exit = yield* Effect.exit(alwaysConflict(source, unusable.store))
      expect(exit).toEqual(Exit.fail(broken))
      expect(unusable.sends()).toBe(1) // not retried
      expect(yield* source.stats).toEqual({ pending: 1, inFlight: 0, acked: 0 })
    }))

  it.effect("with an unusable store, a source that has ended still ends the run with the store's error, not success", () =>
    Effect.gen(function*() {
      const source = yield* Consumer.makeMemorySource(freshQueue())
      const broken = missingDeadLetterTable
      const unusable = yield* failingStore(broken)
      yield* source.offerJson({ orderId: 1 })
      yield* source.end
      const exit = yield* Effect.exit(alwaysConflict(source, unusable.store))
      expect(exit).toEqual(Exit.fail(broken))
      expect(yield* source.stats).toEqual({ pending: 1, inFlight: 0, acked: 0 })
    }))

  it.effect("defaultSchedule is Retry.exponential: 100 ms doubling plus up to 100 ms of jitter, capped, 4 retries", () =>
    Effect.gen(function*() {
      const failure = new Errors.ServiceUnavailable({ service: "inventory" })
      let calls = 0
      const retried = yield* Effect.fork(Effect.retry(Effect.suspend(() => {
        calls++
        return Effect.fail(failure)
      }), Consumer.defaultSchedule))
      yield* TestClock.adjust("1 minute")
      expect(Exit.isFailure(yield* Fiber.await(retried))).toBe(true)
      expect(calls).toBe(5)
      for (let run = 0; run < 20; run++) {
        // The delays before the 4 retries (a last output comes with the decision to stop).
        const outputs = Chunk.toReadonlyArray(yield* Schedule.run(Consumer.defaultSchedule, 0, Array(10).fill(failure)))
        outputs.slice(0, 4).forEach((delay, n) => {
          const millis = Duration.toMillis(delay as Duration.Duration)
          expect(millis).toBeGreaterThanOrEqual(100 * 2 ** n)
          expect(millis).toBeLessThanOrEqual(Math.min(100 * 2 ** n + 100, 5000))
        })
      }
    }))
})
