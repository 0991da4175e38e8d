import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Cause, Clock, Deferred, Duration, Effect, Exit, Fiber, Layer, Logger, LogLevel, Option, Schedule, Schema, Stream } from "effect"
import * as Consumer from "../src/Consumer.js"
import * as DeadLetter from "../src/DeadLetter.js"
import * as DeadLetterPostgres from "../src/DeadLetter/Postgres.js"
import * as Errors from "../src/Errors.js"
import * as PgError from "../src/PgError.js"
import * as PgQueue from "../src/PgQueue.js"
import * as PgTest from "./support/PgTest.js"

/** The Postgres source polls and leases in database time: these tests run on the live clock. */
const live = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.withClock(self, Clock.make())

let seq = 0
const freshQueue = () => `q-${++seq}`

const Job = Schema.Struct({ n: Schema.Number })

/**
 * The typed failure a consumer stopped with, within `limit` (a retry loop would time out). The
 * limit covers connecting a fresh client too, so it is generous for a loaded machine.
 */
const stoppedWith = <E, R>(consumer: Effect.Effect<void, E, R>, limit: Duration.DurationInput = "15 seconds") =>
  consumer.pipe(
    Effect.timeoutFail({ duration: limit, onTimeout: () => "still running" as const }),
    Effect.exit,
    Effect.map((exit) => (Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined))
  )

/** A login role with only `grants`, dropped with everything granted to it when the scope closes. */
const restrictedRole = (grants: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const db = yield* PgTest.TestDatabase
      const role = `queue_role_${Date.now()}_${Math.floor(Math.random() * 1e6)}`
      yield* sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'restricted'`)
      for (const grant of grants) yield* sql.unsafe(`GRANT ${grant} TO ${role}`)
      const url = new URL(db.url)
      url.username = role
      url.password = "restricted"
      return { role, url: url.toString() }
    }),
    ({ role }) =>
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        Effect.zipRight(sql.unsafe(`DROP OWNED BY ${role}`), sql.unsafe(`DROP ROLE ${role}`))).pipe(Effect.orDie)
  ).pipe(Effect.orDie)

const waitUntil = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.repeat(check, { until: (done) => done, schedule: Schedule.spaced("20 millis") })

layer(PgTest.layer({ prefix: "pgqueue", maxConnections: 20 }))("PgQueue", (it) => {
  it.effect("enqueue, batch, delayed, idempotent; claims count attempts", () =>
    Effect.gen(function*() {
      yield* PgQueue.migrate
      yield* PgQueue.migrate
      const queue = freshQueue()
      const first = yield* PgQueue.enqueue(queue, { n: 1 }, { idempotencyKey: "k1" })
      const dup = yield* PgQueue.enqueue(queue, { n: 1 }, { idempotencyKey: "k1" })
      expect(Option.isSome(first)).toBe(true)
      expect(Option.isNone(dup)).toBe(true)
      expect(yield* PgQueue.enqueueBatch(queue, [{ n: 2 }, { n: 3 }])).toBe(2)
      yield* PgQueue.enqueue(queue, { n: 4 }, { delay: "1 hour" })
      const claimed = yield* PgQueue.claim(queue, { batchSize: 10 })
      expect(claimed.map((r) => [JSON.parse(r.payload), r.attempts])).toEqual([[{ n: 1 }, 1], [{ n: 2 }, 1], [{ n: 3 }, 1]])
      expect(yield* PgQueue.claim(queue)).toEqual([]) // leased, and n: 4 is not visible yet
      expect(yield* PgQueue.depth(queue)).toBe(4)
      // The key outlives the message: deleting the row does not allow a second enqueue.
      const sql = yield* SqlClient.SqlClient
      yield* sql`DELETE FROM effect_resilience_queue WHERE id = ${Option.getOrThrow(first)}`
      expect(Option.isNone(yield* PgQueue.enqueue(queue, { n: 1 }, { idempotencyKey: "k1" }))).toBe(true)
      expect(yield* PgQueue.purgeIdempotencyKeys("0 millis")).toBeGreaterThanOrEqual(1)
      expect(Option.isSome(yield* PgQueue.enqueue(queue, { n: 1 }, { idempotencyKey: "k1" }))).toBe(true)
    }))

  it.effect("queue names are validated, never interpolated", () =>
    Effect.gen(function*() {
      expect(PgQueue.isQueueName("orders.v2:eu-1")).toBe(true)
      expect(PgQueue.isQueueName("x'; DROP TABLE effect_resilience_queue; --")).toBe(false)
      const exit = yield* Effect.exit(PgQueue.enqueue("bad name!", {}))
      expect(exit._tag).toBe("Failure")
    }))

  it.effect("an un-acked claim comes back after its lease, with the attempt counted", () =>
    live(Effect.gen(function*() {
      const queue = freshQueue()
      yield* PgQueue.enqueue(queue, { n: 1 })
      // Long enough that a stalled machine cannot let it lapse before the second claim looks.
      const [first] = yield* PgQueue.claim(queue, { lease: "1 second" })
      expect(yield* PgQueue.claim(queue)).toEqual([])
      yield* Effect.sleep("1100 millis")
      const [again] = yield* PgQueue.claim(queue, { lease: "10 seconds" })
      expect(again!.id).toBe(first!.id)
      expect(again!.attempts).toBe(2)
    })))

  it.effect("heartbeats keep a slow message leased; on shutdown held messages are released at once", () =>
    live(Effect.gen(function*() {
      const queue = freshQueue()
      yield* PgQueue.enqueueBatch(queue, [{ n: 1 }, { n: 2 }, { n: 3 }])
      const started: Array<number> = []
      const fiber = yield* Consumer.run({
        schema: Job,
        handler: (job) => Effect.zipRight(Effect.sync(() => started.push(job.n)), Effect.never),
        concurrency: 3
      }).pipe(
        // Heartbeats come every lease / 3: only a stall of 2/3 of the lease (1.3 s here) could let a
        // lease lapse, which a loaded CI machine should never see.
        Effect.provide(Layer.merge(PgQueue.layerSource({ queue, lease: "2 seconds" }), DeadLetter.layerMemory())),
        Effect.fork
      )
      yield* waitUntil(Effect.sync(() => started.length === 3))
      yield* Effect.sleep("4500 millis") // well past the lease: only heartbeats keep the messages
      expect(yield* PgQueue.claim(queue)).toEqual([])
      yield* Fiber.interrupt(fiber)
      const back = yield* PgQueue.claim(queue, { batchSize: 10 })
      expect(back.map((r) => r.attempts)).toEqual([1, 1, 1]) // the interrupted delivery did not count
    })))

  it.effect("four consumers share a queue of 5,000 messages: each processed exactly once", () =>
    live(Effect.gen(function*() {
      const queue = freshQueue()
      const total = 5000
      yield* PgQueue.enqueueBatch(queue, Array.from({ length: total }, (_, n) => ({ n })))
      const seen = new Map<number, number>()
      const consumer = Consumer.run({
        schema: Job,
        handler: (job) => Effect.sync(() => seen.set(job.n, (seen.get(job.n) ?? 0) + 1)),
        concurrency: 4
      }).pipe(Effect.provide(Layer.merge(PgQueue.layerSource({ queue, batchSize: 50 }), DeadLetter.layerMemory())))
      const fibers = yield* Effect.forEach([1, 2, 3, 4], () => Effect.fork(consumer))
      yield* waitUntil(Effect.sync(() => seen.size === total))
      yield* waitUntil(Effect.map(PgQueue.depth(queue), (n) => n === 0))
      yield* Effect.forEach(fibers, Fiber.interrupt)
      expect(seen.size).toBe(total)
      expect([...seen.values()].every((count) => count === 1)).toBe(true)
    })), { timeout: 30_000 })

  it.effect("acks ride on the next claim; those still pending at shutdown are written, not left to the lease", () =>
    live(Effect.gen(function*() {
      const queue = freshQueue()
      yield* PgQueue.enqueueBatch(queue, Array.from({ length: 230 }, (_, n) => ({ n })))
      const seen = new Set<number>()
      const fiber = yield* Consumer.run({ schema: Job, handler: (job) => Effect.sync(() => void seen.add(job.n)) }).pipe(
        // No flusher within the test: only claims and the shutdown flush can delete.
        Effect.provide(Layer.merge(PgQueue.layerSource({ queue, batchSize: 50, ackWindow: "1 hour" }), DeadLetter.layerMemory())),
        Effect.fork
      )
      yield* waitUntil(Effect.sync(() => seen.size === 230))
      yield* Fiber.interrupt(fiber)
      expect(yield* PgQueue.depth(queue)).toBe(0)
    })))

  it.effect("a claimed batch fans out over every worker while the handlers wait", () =>
    live(Effect.gen(function*() {
      const queue = freshQueue()
      yield* PgQueue.enqueueBatch(queue, Array.from({ length: 20 }, (_, n) => ({ n })))
      const gate = yield* Deferred.make<void>()
      let active = 0
      let peak = 0
      // The workers are all waiting for the first claim (a round trip) when its 20 messages come:
      // each worker that takes one wakes the next in line.
      const fiber = yield* Consumer.run({
        schema: Job,
        handler: () =>
          Effect.sync(() => {
            active++
            peak = Math.max(peak, active)
          }).pipe(Effect.zipRight(Deferred.await(gate)), Effect.ensuring(Effect.sync(() => void active--))),
        concurrency: 8
      }).pipe(Effect.provide(Layer.merge(PgQueue.layerSource({ queue, batchSize: 50 }), DeadLetter.layerMemory())), Effect.fork)
      yield* waitUntil(Effect.sync(() => active === 8)).pipe(
        Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => `only ${active} of 8 workers busy` })
      )
      expect(peak).toBe(8)
      yield* Deferred.succeed(gate, undefined)
      yield* waitUntil(Effect.map(PgQueue.depth(queue), (n) => n === 0))
      yield* Fiber.interrupt(fiber)
    })))

  it.effect("a wrapper that rebuilds the messages keeps its own ack: the consumer runs it, and the row is deleted", () =>
    live(Effect.gen(function*() {
      const queue = freshQueue()
      const total = 120
      yield* PgQueue.enqueueBatch(queue, Array.from({ length: total }, (_, n) => ({ n })))
      const source = yield* PgQueue.source({ queue, batchSize: 50 })
      let wrapperAcks = 0
      // The spread copies every own property of the delivery, its fast-ack hook included: the
      // hook must see that this object is not the delivery it handed out.
      const wrapped: Consumer.Source = {
        queue,
        messages: Stream.map(source.messages, (message) => ({
          ...message,
          ack: Effect.zipRight(Effect.sync(() => void wrapperAcks++), message.ack)
        }))
      }
      let handled = 0
      const fiber = yield* Consumer.run({ schema: Job, handler: () => Effect.sync(() => void handled++) }).pipe(
        Effect.provideService(Consumer.MessageSource, wrapped),
        Effect.provide(DeadLetter.layerMemory()),
        Effect.fork
      )
      yield* waitUntil(Effect.sync(() => handled === total))
      yield* waitUntil(Effect.map(PgQueue.depth(queue), (n) => n === 0))
      yield* Fiber.interrupt(fiber)
      expect(wrapperAcks).toBe(total)
    })))

  it.effect("an ack of an earlier delivery of the same row does nothing: the current delivery keeps it", () =>
    live(Effect.gen(function*() {
      const queue = freshQueue()
      yield* PgQueue.enqueueBatch(queue, [{ n: 1 }])
      const source = yield* PgQueue.source({ queue, batchSize: 10, pollInterval: "5 millis" })
      const deliveries: Array<Consumer.Message> = []
      yield* source.messages.pipe(
        Stream.take(2),
        Stream.runForEach((message) =>
          Effect.suspend(() => {
            deliveries.push(message)
            if (deliveries.length === 1) return message.release()
            // The first delivery's ack, and its release, come too late: the row is the second's.
            return Effect.zipRight(deliveries[0]!.ack, deliveries[0]!.release({ delay: "1 hour" }))
          })
        )
      )
      expect(deliveries.map((m) => [m.id, m.attempts])).toEqual([[deliveries[0]!.id, 1], [deliveries[0]!.id, 2]])
      // The stream has stopped: the second delivery, still held, went back to the queue at once.
      expect(yield* PgQueue.depth(queue)).toBe(1)
      const [back] = yield* PgQueue.claim(queue, { batchSize: 10 })
      expect(back?.id).toBe(deliveries[0]!.id)
    })))

  it.effect("release: a delay hides the message in the database until then; countAttempt: false gives the attempt back", () =>
    live(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const queue = freshQueue()
      yield* PgQueue.enqueueBatch(queue, [{ n: 1 }, { n: 2 }])
      const source = yield* PgQueue.source({ queue, batchSize: 10 })
      // Release inside the stream's own run: its shutdown must not hand the messages back itself.
      yield* source.messages.pipe(
        Stream.take(2),
        Stream.runForEach((message) =>
          JSON.parse(message.payload).n === 1
            ? message.release({ delay: "1 hour" })
            : message.release({ countAttempt: false })
        )
      )
      const hidden = yield* sql<{ n: number; hidden: boolean; attempts: number }>`
        SELECT (payload::jsonb ->> 'n')::int AS n, leased_until > now() + interval '59 minutes' AS hidden, attempts
        FROM effect_resilience_queue WHERE queue_name = ${queue} ORDER BY id`
      expect(hidden).toEqual([{ n: 1, hidden: true, attempts: 1 }, { n: 2, hidden: false, attempts: 0 }])
      const [back, ...rest] = yield* PgQueue.claim(queue, { batchSize: 10 })
      expect(rest).toEqual([])
      expect([JSON.parse(back!.payload), back!.attempts]).toEqual([{ n: 2 }, 1])
    })))

  it.effect("a lease is a HOT update: no index covers leased_until, and pages keep room for the new version", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* PgQueue.migrate
      const indexed = yield* sql<{ name: string }>`
        SELECT i.relname AS name FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey)
        WHERE x.indrelid = 'effect_resilience_queue'::regclass AND a.attname = 'leased_until'`
      expect(indexed).toEqual([])
      const options = yield* sql<{ reloptions: Array<string> | null }>`
        SELECT reloptions FROM pg_class WHERE oid = 'effect_resilience_queue'::regclass`
      expect(options[0]!.reloptions).toContain("fillfactor=50")
    }))

  it.scoped("a missing queue table stops the consumer at once with UndefinedObject (42P01), not a retry loop", () =>
    live(Effect.gen(function*() {
      const empty = yield* PgTest.freshDatabase("pgqueue_missing")
      const error = yield* stoppedWith(
        Consumer.run({ schema: Job, handler: () => Effect.void }).pipe(
          Effect.provide(Layer.merge(PgQueue.layerSource({ queue: freshQueue() }), DeadLetter.layerMemory())),
          Effect.provide(PgTest.clientLayer(empty.url)),
          Logger.withMinimumLogLevel(LogLevel.None)
        )
      )
      expect(PgError.isPgError(error)).toBe(true)
      expect(error).toMatchObject({ _tag: "UndefinedObject", sqlstate: "42P01", category: "Permanent" })
    })))

  it.scoped("a dead-letter store without INSERT: typed InsufficientPrivilege (42501), message released, not retried", () =>
    live(Effect.gen(function*() {
      yield* PgQueue.migrate
      const queue = freshQueue()
      yield* PgQueue.enqueue(queue, { n: 1 })
      const { url } = yield* restrictedRole([
        "SELECT, UPDATE, DELETE ON effect_resilience_queue",
        "SELECT ON effect_resilience_dead_letters"
      ])
      let calls = 0
      // Counted, so "not retried" does not rest on how fast the machine runs into the time limit.
      let sends = 0
      const countingStore = Layer.effect(
        DeadLetter.DeadLetter,
        Effect.map(DeadLetterPostgres.make(), (store): DeadLetter.DeadLetterQueue => ({
          ...store,
          sendAll: (dls) =>
            Effect.suspend(() => {
              sends++
              return store.sendAll(dls)
            })
        }))
      )
      const error = yield* stoppedWith(
        Consumer.run({
          schema: Job,
          handler: (job) =>
            Effect.suspend(() => {
              calls++
              return Effect.fail(new Errors.NotFound({ resource: "job", id: String(job.n) }))
            })
        }).pipe(
          Effect.provide(Layer.merge(PgQueue.layerSource({ queue }), countingStore)),
          Effect.provide(PgTest.clientLayer(url)),
          Logger.withMinimumLogLevel(LogLevel.None)
        )
      )
      expect(error).toMatchObject({ _tag: "InsufficientPrivilege", sqlstate: "42501", category: "Permanent" })
      expect(calls).toBe(1)
      expect(sends).toBe(1)
      // Back in the queue at once, and the failed delivery did not count as an attempt.
      const [back] = yield* PgQueue.claim(queue)
      expect(back!.attempts).toBe(1)
    })))

  it.scoped("a claim without UPDATE privilege fails fast too; the store's own errors stay typed", () =>
    live(Effect.gen(function*() {
      const { url } = yield* restrictedRole(["SELECT ON effect_resilience_queue"])
      const error = yield* stoppedWith(
        Consumer.run({ schema: Job, handler: () => Effect.void }).pipe(
          Effect.provide(Layer.merge(PgQueue.layerSource({ queue: freshQueue() }), DeadLetter.layerMemory())),
          Effect.provide(PgTest.clientLayer(url)),
          Logger.withMinimumLogLevel(LogLevel.None)
        )
      )
      expect(error).toMatchObject({ _tag: "InsufficientPrivilege", sqlstate: "42501" })
      const listed = yield* Effect.flip(
        Effect.flatMap(DeadLetterPostgres.make(), (store) => store.list()).pipe(Effect.provide(PgTest.clientLayer(url)))
      )
      expect(listed).toMatchObject({ _tag: "InsufficientPrivilege" })
    })))
})
