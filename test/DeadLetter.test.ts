import { describe, expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Clock, Effect, Fiber, Metric, Option, Schedule, Schema, TestClock } from "effect"
import * as Consumer from "../src/Consumer.js"
import * as DeadLetter from "../src/DeadLetter.js"
import * as DeadLetterPostgres from "../src/DeadLetter/Postgres.js"
import * as Errors from "../src/Errors.js"
import * as PgQueue from "../src/PgQueue.js"
import * as PgTest from "./support/PgTest.js"

let seq = 0
const freshQueue = () => `dlq-${Date.now().toString(36)}-${++seq}`

const failure = (queueName: string, payload: string, overrides: Partial<DeadLetter.NewDeadLetter> = {}): DeadLetter.NewDeadLetter => ({
  queueName,
  payload,
  error: "order not found",
  errorType: "NotFound",
  errorCode: "NOT_FOUND",
  errorCategory: "Permanent",
  attempts: 1,
  firstFailure: new Date(1_000),
  lastFailure: new Date(2_000),
  ...overrides
})

interface It<R> {
  readonly effect: (name: string, self: () => Effect.Effect<void, unknown, R>) => void
}

/** The behaviour both stores must share. */
const contract = <R>(it: It<R>, store: Effect.Effect<DeadLetter.DeadLetterQueue, never, R>) => {
  it.effect("stores the seed's fields and keeps malformed payloads byte for byte", () =>
    Effect.gen(function*() {
      const dlq = yield* store
      const queue = freshQueue()
      const id = yield* dlq.send(failure(queue, "{\"orderId\":1}", { metadata: { tenant: "a" }, messageId: "m-1" }))
      const raw = "{\"orderId\": 2, oops"
      const rawId = yield* dlq.send(failure(queue, raw, { errorCode: "VALIDATION_ERROR", errorType: "ValidationFailed" }))
      const entry = Option.getOrThrow(yield* dlq.get(id))
      expect(entry).toMatchObject({
        queueName: queue,
        messageId: "m-1",
        originalMessage: { orderId: 1 },
        originalText: null,
        error: "order not found",
        errorType: "NotFound",
        errorCode: "NOT_FOUND",
        errorCategory: "Permanent",
        attempts: 1,
        metadata: { tenant: "a" },
        replayedAt: null,
        replayOf: null
      })
      expect(entry.firstFailure.getTime()).toBe(1_000)
      expect(entry.lastFailure.getTime()).toBe(2_000)
      const malformed = Option.getOrThrow(yield* dlq.get(rawId))
      expect(malformed.originalText).toBe(raw)
      expect(malformed.originalMessage).toBe(raw)
      expect(Option.isNone(yield* dlq.get("999999999"))).toBe(true)
    }))

  it.effect("stores a redelivered message once (idempotent per message id)", () =>
    Effect.gen(function*() {
      const dlq = yield* store
      const queue = freshQueue()
      const first = yield* dlq.send(failure(queue, "{}", { messageId: "42" }))
      const again = yield* dlq.send(failure(queue, "{}", { messageId: "42", attempts: 3 }))
      expect(again).toBe(first)
      expect((yield* dlq.list({ queue })).length).toBe(1)
    }))

  it.effect("sendAll writes a batch and answers ids in order: keyed and keyless, an existing message resolves to its row", () =>
    Effect.gen(function*() {
      const dlq = yield* store
      const queue = freshQueue()
      const earlier = yield* dlq.send(failure(queue, "{\"n\":0}", { messageId: "m-0" }))
      const ids = yield* dlq.sendAll([
        failure(queue, "{\"n\":1}", { messageId: "m-1" }),
        failure(queue, "not json", { errorCode: "VALIDATION_ERROR" }),
        failure(queue, "{\"n\":0}", { messageId: "m-0", attempts: 5 }),
        failure(queue, "{\"n\":2}", { messageId: "m-2" })
      ])
      expect(ids).toHaveLength(4)
      expect(ids[2]).toBe(earlier)
      expect(new Set(ids).size).toBe(4)
      const entries = yield* Effect.forEach(ids, (id) => Effect.map(dlq.get(id), Option.getOrThrow))
      expect(entries.map((e) => [e.messageId, e.originalText ?? JSON.stringify(e.originalMessage), e.attempts])).toEqual([
        ["m-1", "{\"n\":1}", 1],
        [null, "not json", 1],
        ["m-0", "{\"n\":0}", 1],
        ["m-2", "{\"n\":2}", 1]
      ])
      expect((yield* dlq.list({ queue })).length).toBe(4)
      expect(yield* dlq.sendAll([])).toEqual([])
    }))

  it.effect("lists by queue, code and time range; counts by queue and code; purges by filter", () =>
    Effect.gen(function*() {
      const dlq = yield* store
      const a = freshQueue()
      const b = freshQueue()
      yield* dlq.send(failure(a, "1"))
      yield* dlq.send(failure(a, "2", { errorCode: "VALIDATION_ERROR" }))
      yield* dlq.send(failure(a, "3", { errorCode: "VALIDATION_ERROR" }))
      yield* dlq.send(failure(b, "4"))
      expect((yield* dlq.list({ queue: a })).map((e) => e.originalMessage)).toEqual([1, 2, 3])
      expect((yield* dlq.list({ queue: a, code: "VALIDATION_ERROR" })).map((e) => e.originalMessage)).toEqual([2, 3])
      expect((yield* dlq.list({ queue: a, limit: 2 })).length).toBe(2)
      const all = yield* dlq.list({ queue: a })
      const created = all[0]!.createdAt.getTime()
      expect((yield* dlq.list({ queue: a, since: new Date(created) })).length).toBe(3)
      expect((yield* dlq.list({ queue: a, until: new Date(created) })).length).toBe(0)
      expect((yield* dlq.list({ queue: a, since: new Date(created + 60_000) })).length).toBe(0)
      const stats = (yield* dlq.stats()).filter((s) => s.queueName === a || s.queueName === b)
      expect(stats).toEqual([
        { queueName: a, errorCode: "NOT_FOUND", total: 1, pending: 1 },
        { queueName: a, errorCode: "VALIDATION_ERROR", total: 2, pending: 2 },
        { queueName: b, errorCode: "NOT_FOUND", total: 1, pending: 1 }
      ])
      expect(yield* dlq.purge({ queue: a, code: "VALIDATION_ERROR" })).toBe(2)
      expect((yield* dlq.list({ queue: a })).map((e) => e.originalMessage)).toEqual([1])
      expect((yield* dlq.list({ queue: b })).length).toBe(1)
    }))

  it.effect("replays through a processor: marked only when it worked; a failure is appended, the original kept", () =>
    Effect.gen(function*() {
      const dlq = yield* store
      const queue = freshQueue()
      const ok = yield* dlq.send(failure(queue, "{\"n\":1}"))
      const bad = yield* dlq.send(failure(queue, "{\"n\":2}"))
      const seen: Array<unknown> = []
      const processor: DeadLetter.Processor = (entry) =>
        Effect.suspend(() => {
          seen.push(entry.originalMessage)
          return (entry.originalMessage as { n: number }).n === 2
            ? Effect.fail(new Errors.ServiceUnavailable({ service: "billing" }))
            : Effect.void
        })
      const report = yield* dlq.replay({ queue }, { processor })
      expect(report).toEqual({ replayed: [ok], failed: [{ id: bad, error: "billing is unavailable" }] })
      expect(seen).toEqual([{ n: 1 }, { n: 2 }])
      const okEntry = Option.getOrThrow(yield* dlq.get(ok))
      const badEntry = Option.getOrThrow(yield* dlq.get(bad))
      expect(okEntry.replayedAt).not.toBeNull()
      expect(badEntry.replayedAt).toBeNull()
      expect(badEntry.error).toBe("order not found")
      expect(badEntry.metadata["replay_failures"]).toMatchObject([{ error: "billing is unavailable" }])
      // Only pending entries are replayed again.
      seen.length = 0
      const second = yield* dlq.replay({ queue }, { processor })
      expect(seen).toEqual([{ n: 2 }])
      expect(second.failed.length).toBe(1)
      expect((Option.getOrThrow(yield* dlq.get(bad)).metadata["replay_failures"] as Array<unknown>).length).toBe(2)
      expect((yield* dlq.stats({ queue }))[0]).toMatchObject({ total: 2, pending: 1 })
    }))

  it.effect("history follows replayOf back to the first failure", () =>
    Effect.gen(function*() {
      const dlq = yield* store
      const queue = freshQueue()
      const first = yield* dlq.send(failure(queue, "{}", { messageId: "a" }))
      const second = yield* dlq.send(failure(queue, "{}", { messageId: "b", replayOf: first, error: "again" }))
      const history = yield* dlq.history(second)
      expect(history.map((e) => [e.id, e.error])).toEqual([[second, "again"], [first, "order not found"]])
    }))
}

describe("DeadLetter memory store", () => {
  contract(it, DeadLetter.makeMemory())

  it.effect("monitor sets the depth gauge and alerts once per crossing (threshold and growth)", () =>
    Effect.gen(function*() {
      const dlq = yield* DeadLetter.makeMemory()
      const queue = freshQueue()
      const alerts: Array<DeadLetter.Alert> = []
      const fiber = yield* DeadLetter.monitor({
        interval: "1 second",
        threshold: 5,
        growth: { count: 3, window: "10 seconds" },
        onAlert: (alert) => Effect.sync(() => alerts.push(alert))
      }).pipe(Effect.provideService(DeadLetter.DeadLetter, dlq), Effect.fork)
      const gauge = Metric.tagged(DeadLetter.depthGauge, "queue", queue)
      const sendN = (n: number) => Effect.forEach(Array.from({ length: n }, (_, i) => failure(queue, String(i))), dlq.send)
      yield* sendN(2)
      yield* TestClock.adjust("1 second")
      expect((yield* Metric.value(gauge)).value).toBe(2)
      expect(alerts).toEqual([])
      yield* sendN(2) // 4: grew by 3 or more within the window? 2 -> 4 is +2, no
      yield* TestClock.adjust("1 second")
      expect(alerts).toEqual([])
      yield* sendN(1) // 5: threshold reached, and +3 within 10 s
      yield* TestClock.adjust("1 second")
      expect(alerts.map((a) => [a.reason, a.depth])).toEqual([["threshold", 5], ["growth", 5]])
      yield* sendN(3) // still above: no new alert
      yield* TestClock.adjust("1 second")
      expect(alerts.length).toBe(2)
      yield* dlq.purge({ queue })
      yield* TestClock.adjust("1 second")
      expect((yield* Metric.value(gauge)).value).toBe(0)
      yield* TestClock.adjust("20 seconds")
      yield* sendN(6) // re-armed: crosses again
      yield* TestClock.adjust("1 second")
      expect(alerts.map((a) => a.reason)).toEqual(["threshold", "growth", "threshold", "growth"])
      yield* Fiber.interrupt(fiber)
    }))
})

layer(PgTest.layer({ prefix: "deadletter" }))("DeadLetter Postgres store", (it) => {
  const pgStore = Effect.zipRight(PgQueue.migrate.pipe(Effect.orDie), DeadLetterPostgres.make())
  contract(it, pgStore)

  it.effect("migrations are idempotent and create the seed's indexes", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* DeadLetter.migrate
      yield* DeadLetter.migrate
      const indexes = yield* sql<{ indexname: string }>`SELECT indexname FROM pg_indexes
        WHERE tablename = 'effect_resilience_dead_letters' ORDER BY indexname`
      expect(indexes.map((i) => i.indexname)).toEqual([
        "effect_resilience_dead_letters_code",
        "effect_resilience_dead_letters_message",
        "effect_resilience_dead_letters_not_replayed",
        "effect_resilience_dead_letters_pkey",
        "effect_resilience_dead_letters_queue"
      ])
    }))

  it.effect("writes what jsonb and text cannot hold without failing the batch: odd payloads kept exactly as text", () =>
    Effect.gen(function*() {
      const dlq = yield* pgStore
      const queue = freshQueue()
      const huge = "{\"orderId\":1e1000000}" // JavaScript reads Infinity; numeric overflows
      const loneEscape = "{\"name\":\"\\ud800\"}" // jsonb refuses an escaped lone surrogate
      const nulEscape = "{\"name\":\"a\\u0000b\"}" // jsonb refuses \u0000
      const pair = "{\"name\":\"\\ud83d\\ude00\"}" // an escaped pair is fine
      const plain = "{\"orderId\":12345678901234567890}" // kept digit for digit, not as a double
      const payloads = [huge, loneEscape, nulEscape, pair, plain]
      const ids = yield* dlq.sendAll(payloads.map((payload, i) =>
        failure(queue, payload, {
          messageId: `odd-${i}`,
          // an error text and metadata with NUL and a lone surrogate, which Postgres cannot store
          error: "bad \u0000 byte \ud800",
          metadata: { note: "x\u0000y" }
        })
      ))
      expect(new Set(ids).size).toBe(5)
      const entries = yield* Effect.forEach(ids, (id) => Effect.map(dlq.get(id), Option.getOrThrow))
      expect(entries.map((e) => e.originalText)).toEqual([huge, loneEscape, nulEscape, null, null])
      expect(entries[3]!.originalMessage).toEqual({ name: "\ud83d\ude00" })
      const sql = yield* SqlClient.SqlClient
      const [exact] = yield* sql<{ n: string }>`SELECT original_message->>'orderId' AS n FROM effect_resilience_dead_letters WHERE id = ${ids[4]!}`
      expect(exact!.n).toBe("12345678901234567890")
      expect(entries[0]!.error).toBe("bad \uFFFD byte \uFFFD")
      expect(entries[0]!.metadata).toEqual({ note: "x\uFFFDy" })
      // Replay sends the text payloads back exactly, the JSON ones as jsonb prints them.
      const report = yield* dlq.replay({ queue })
      expect(report.replayed).toHaveLength(5)
      const queued = yield* sql<{ payload: string }>`SELECT payload FROM effect_resilience_queue WHERE queue_name = ${queue} ORDER BY id`
      expect(queued.map((q) => q.payload)).toEqual([
        huge,
        loneEscape,
        nulEscape,
        "{\"name\": \"\ud83d\ude00\"}",
        "{\"orderId\": 12345678901234567890}"
      ])
    }))

  it.effect("a dead letter that cannot be serialised fails its own send with a typed error; the store keeps working", () =>
    Effect.gen(function*() {
      const dlq = yield* pgStore
      const queue = freshQueue()
      const bigint = { count: 1n } as unknown as Record<string, unknown>
      const keyed = yield* Effect.flip(dlq.send(failure(queue, "{}", { messageId: "big", metadata: bigint })))
      expect(keyed._tag).toBe("DeadLetterStoreFailed")
      const keyless = yield* Effect.flip(dlq.send(failure(queue, "{}", { metadata: bigint })))
      expect(keyless._tag).toBe("DeadLetterStoreFailed")
      // Sent together with it, in the same group commit, another call is still written.
      const [bad, good] = yield* Effect.all([
        Effect.either(dlq.send(failure(queue, "{}", { messageId: "big-2", metadata: bigint }))),
        Effect.either(dlq.send(failure(queue, "{}", { messageId: "fine" })))
      ], { concurrency: "unbounded" })
      expect(bad!._tag).toBe("Left")
      expect(good!._tag).toBe("Right")
      // The group commit's writer was not left stuck: later sends are written.
      const ids = yield* dlq.sendAll([failure(queue, "{}", { messageId: "after" }), failure(queue, "{}")])
      expect(ids).toHaveLength(2)
      expect((yield* dlq.stats({ queue }))[0]!.total).toBe(3)
    }))

  // Live clock: the Postgres source polls and leases in real (database) time.
  it.effect("replays back to the source queue atomically; a replayed message that fails again keeps its history", () =>
    Effect.gen(function*() {
      const dlq = yield* pgStore
      const queue = freshQueue()
      const Order = Schema.Struct({ orderId: Schema.Number })
      const run = Consumer.run({
        schema: Order,
        handler: (order) => Effect.fail(new Errors.NotFound({ resource: "order", id: String(order.orderId) }))
      }).pipe(Effect.provideService(DeadLetter.DeadLetter, dlq), Effect.provide(PgQueue.layerSource({ queue, pollInterval: "10 millis" })))
      yield* PgQueue.enqueue(queue, { orderId: 5 })
      yield* PgQueue.enqueue(queue, "not json {", { raw: true })
      const waitFor = (n: number) =>
        Effect.repeat(dlq.stats({ queue }), {
          until: (stats) => stats.reduce((t, s) => t + s.total, 0) >= n,
          schedule: Schedule.spaced("20 millis")
        })
      const first = yield* Effect.fork(run)
      yield* waitFor(2)
      yield* Fiber.interrupt(first)
      const [notFound, invalid] = yield* dlq.list({ queue })
      expect([notFound!.errorCode, invalid!.errorCode]).toEqual(["NOT_FOUND", "VALIDATION_ERROR"])

      const report = yield* dlq.replay({ queue, limit: 10 })
      expect(report.replayed).toEqual([notFound!.id, invalid!.id])
      expect(yield* PgQueue.depth(queue)).toBe(2)
      expect((yield* dlq.replay({ queue })).replayed).toEqual([]) // nothing pending any more

      const second = yield* Effect.fork(run)
      yield* waitFor(4)
      yield* Fiber.interrupt(second)
      const entries = yield* dlq.list({ queue })
      expect(entries.map((e) => [e.errorCode, e.replayedAt !== null])).toEqual([
        ["NOT_FOUND", true],
        ["VALIDATION_ERROR", true],
        ["NOT_FOUND", false],
        ["VALIDATION_ERROR", false]
      ])
      const history = yield* dlq.history(entries[3]!.id)
      expect(history.map((e) => e.id)).toEqual([entries[3]!.id, invalid!.id])
      expect(history[0]!.originalText).toBe("not json {")
    }).pipe(Effect.withClock(Clock.make())), { timeout: 20_000 })

  it.effect("a processor's writes commit with the replayed mark, or roll back with it", () =>
    Effect.gen(function*() {
      const dlq = yield* pgStore
      const sql = yield* SqlClient.SqlClient
      const queue = freshQueue()
      yield* sql`CREATE TABLE IF NOT EXISTS replay_side_effects (dead_letter_id bigint)`
      const id = yield* dlq.send(failure(queue, "{}"))
      const failing: DeadLetter.Processor = (entry) =>
        sql`INSERT INTO replay_side_effects VALUES (${entry.id})`.pipe(
          Effect.zipRight(Effect.fail(new Error("downstream said no")))
        )
      expect((yield* dlq.replay({ ids: [id] }, { processor: failing })).failed).toEqual([{ id, error: "downstream said no" }])
      expect(yield* sql`SELECT * FROM replay_side_effects WHERE dead_letter_id = ${id}`).toEqual([])
      const working: DeadLetter.Processor = (entry) => sql`INSERT INTO replay_side_effects VALUES (${entry.id})`
      expect((yield* dlq.replay({ ids: [id] }, { processor: working })).replayed).toEqual([id])
      expect((yield* sql`SELECT * FROM replay_side_effects WHERE dead_letter_id = ${id}`).length).toBe(1)
    }))
})
