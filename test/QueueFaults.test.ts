/**
 * Bad input and faults against the real Postgres: poison messages, a consumer killed
 * mid-batch, every backend terminated in the middle of a 10,000-message run, and a replay of
 * 1,000 dead letters while new messages flow. The invariant each time: every message ends
 * either processed or dead-lettered, none lost.
 */
import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { spawn } from "node:child_process"
import * as Path from "node:path"
import { Clock, Duration, Effect, Fiber, Layer, Logger, LogLevel, Schedule, Schema } from "effect"
import pg from "pg"
import * as Consumer from "../src/Consumer.js"
import * as DeadLetterPostgres from "../src/DeadLetter/Postgres.js"
import * as Errors from "../src/Errors.js"
import * as PgQueue from "../src/PgQueue.js"
import * as PgTest from "./support/PgTest.js"

const live = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.withClock(self, Clock.make()).pipe(Logger.withMinimumLogLevel(LogLevel.Error))

const Job = Schema.Struct({ n: Schema.Number })

/** Polls until `check` holds; query failures (a terminated backend) just mean "not yet". */
const waitUntil = <E, R>(check: Effect.Effect<boolean, E, R>, what = "condition") =>
  Effect.repeat(Effect.orElseSucceed(check, () => false), {
    until: (done) => done,
    schedule: Schedule.spaced("25 millis")
  }).pipe(Effect.timeoutFail({ duration: "25 seconds", onTimeout: () => new Error(`timed out waiting for ${what}`) }))

const deadLetterCount = (queue: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ n: string }>`SELECT count(*) AS n FROM effect_resilience_dead_letters WHERE queue_name = ${queue}`,
      (rows) => Number(rows[0]!.n)
    ))

const consumer = <E>(
  queue: string,
  handler: (job: typeof Job.Type, message: Consumer.Message) => Effect.Effect<void, E>,
  options: Partial<Consumer.ConsumerOptions<typeof Job.Type, typeof Job.Encoded, E, never>> & {
    readonly batchSize?: number
  } = {}
) =>
  Consumer.run({ schema: Job, handler, concurrency: 8, ...options }).pipe(
    Effect.provide(
      Layer.merge(
        PgQueue.layerSource({ queue, batchSize: options.batchSize ?? 50, pollInterval: "10 millis", lease: "5 seconds" }),
        DeadLetterPostgres.layer()
      )
    )
  )

const root = Path.resolve(import.meta.dirname, "..")

layer(PgTest.layer({ prefix: "queue_faults", maxConnections: 20 }))("queue faults", (it) => {
  it.effect("malformed JSON, schema-invalid and oversized messages are dead-lettered; the consumer keeps going", () =>
    live(Effect.gen(function*() {
      yield* PgQueue.migrate
      const queue = "poison"
      const processed: Array<number> = []
      yield* PgQueue.enqueue(queue, { n: 1 })
      yield* PgQueue.enqueue(queue, "{\"n\": 2", { raw: true })
      yield* PgQueue.enqueue(queue, { n: "three" })
      yield* PgQueue.enqueue(queue, { n: 4, padding: "x".repeat(300_000) })
      // Valid JSON that jsonb refuses (an escaped NUL): kept as raw text.
      yield* PgQueue.enqueue(queue, "{\"n\": \"\\u0000\"}", { raw: true })
      yield* PgQueue.enqueue(queue, { n: 6 })
      const fiber = yield* Effect.fork(consumer(queue, (job) => Effect.sync(() => void processed.push(job.n)), { concurrency: 1 }))
      yield* waitUntil(Effect.map(deadLetterCount(queue), (n) => n === 4), "4 dead letters")
      yield* waitUntil(Effect.succeed(processed.length === 2))
      yield* waitUntil(Effect.map(PgQueue.depth(queue), (n) => n === 0), "empty queue")
      yield* Fiber.interrupt(fiber)
      expect(processed).toEqual([1, 6])
      const dlq = yield* DeadLetterPostgres.make()
      const dead = yield* dlq.list({ queue })
      expect(dead.map((d) => [d.errorCode, d.attempts])).toEqual([
        ["VALIDATION_ERROR", 1],
        ["VALIDATION_ERROR", 1],
        ["VALIDATION_ERROR", 1],
        ["VALIDATION_ERROR", 1]
      ])
      expect(dead[0]!.originalText).toBe("{\"n\": 2")
      expect((dead[2]!.originalMessage as { padding: string }).padding.length).toBe(300_000)
      expect(dead[2]!.error).toMatch(/limit 262144/)
      expect(dead[3]!.originalText).toBe("{\"n\": \"\\u0000\"}")
    })), { timeout: 30_000 })

  it.effect("a consumer killed mid-batch: its leased messages come back after the lease, none lost", () =>
    live(Effect.gen(function*() {
      const db = yield* PgTest.TestDatabase
      const queue = "crash"
      yield* PgQueue.enqueueBatch(queue, Array.from({ length: 30 }, (_, n) => ({ n })))
      // node --import tsx, not the tsx CLI: the CLI forks a second process that SIGKILL would orphan.
      const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/stuckConsumer.ts"], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: db.url, QUEUE: queue },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let started = 0
      child.stdout.on("data", (chunk: Buffer) => (started += (String(chunk).match(/started/g) ?? []).length))
      yield* waitUntil(Effect.sync(() => started >= 5), "the child to start 5 messages")
      // Listening before the kill: an exit reported before the fiber got to listen would be missed.
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      child.kill("SIGKILL")
      yield* Effect.promise(() => exited)
      // The child claimed a batch of 10 (5 in progress, 5 buffered) and died holding it.
      const sql = yield* SqlClient.SqlClient
      const leased = yield* sql<{ n: string }>`SELECT count(*) AS n FROM effect_resilience_queue
        WHERE queue_name = ${queue} AND leased_until > now()`
      expect(Number(leased[0]!.n)).toBeGreaterThanOrEqual(5)

      const seen = new Map<number, number>()
      const fiber = yield* Effect.fork(
        consumer(queue, (job, message) => Effect.sync(() => void seen.set(job.n, message.attempts)))
      )
      yield* waitUntil(Effect.sync(() => seen.size === 30), "all 30 messages")
      yield* Fiber.interrupt(fiber)
      expect([...seen.values()].filter((attempts) => attempts === 2).length).toBeGreaterThanOrEqual(5)
      expect(yield* deadLetterCount(queue)).toBe(0)
    })), { timeout: 60_000 }) // a child process to start, then a lease to wait out

  it.effect("terminating every backend in the middle of 10,000 messages loses none; the consumer recovers", () =>
    live(Effect.gen(function*() {
      const db = yield* PgTest.TestDatabase
      const queue = "storm"
      const total = 10_000
      yield* PgQueue.enqueueBatch(queue, Array.from({ length: total }, (_, n) => ({ n })))
      const processed = new Set<number>()
      // n % 10 == 3: permanent; n % 10 == 7: transient once, then fine; n % 50 == 9: always transient.
      type Failure = Errors.NotFound | Errors.ServiceUnavailable | Errors.NetworkTimeout
      const handler = (job: typeof Job.Type): Effect.Effect<void, Failure> => {
        if (job.n % 10 === 3) return Effect.fail(new Errors.NotFound({ resource: "order", id: String(job.n) }))
        if (job.n % 50 === 9) return Effect.fail(new Errors.ServiceUnavailable({ service: "inventory" }))
        return Effect.sync(() => void processed.add(job.n))
      }
      const flaky = new Set<number>()
      const withFlake = (job: typeof Job.Type): Effect.Effect<void, Failure> =>
        job.n % 10 === 7 && !flaky.has(job.n)
          ? Effect.sync(() => flaky.add(job.n)).pipe(Effect.zipRight(Effect.fail(new Errors.NetworkTimeout({ service: "payments", timeout: Duration.millis(100) }))))
          : handler(job)
      const schedule = Schedule.spaced("5 millis").pipe(Schedule.intersect(Schedule.recurs(2)))
      const fibers = yield* Effect.forEach([1, 2], () =>
        Effect.fork(consumer(queue, withFlake, { schedule, batchSize: 100 })))

      const admin = new pg.Client({ connectionString: PgTest.adminUrl() })
      yield* Effect.promise(() => admin.connect())
      const terminate = Effect.promise(() =>
        admin.query(
          "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [db.name]
        )
      ).pipe(Effect.map((r) => Number(r.rows[0].n)))
      yield* waitUntil(Effect.sync(() => processed.size > 2000), "2,000 processed")
      const killedFirst = yield* terminate
      yield* waitUntil(Effect.sync(() => processed.size > 5000), "5,000 processed")
      const killedSecond = yield* terminate
      yield* Effect.promise(() => admin.end())
      expect(killedFirst).toBeGreaterThan(0)
      expect(killedSecond).toBeGreaterThan(0)

      const permanent = Array.from({ length: total }, (_, n) => n).filter((n) => n % 10 === 3).length
      const exhausted = Array.from({ length: total }, (_, n) => n).filter((n) => n % 50 === 9).length
      yield* waitUntil(Effect.map(PgQueue.depth(queue), (n) => n === 0), "an empty queue")
      yield* Effect.forEach(fibers, Fiber.interrupt)
      const sql = yield* SqlClient.SqlClient
      const dead = yield* sql<{ error_code: string; n: string; attempts: number }>`
        SELECT error_code, count(*) AS n, max(attempts) AS attempts FROM effect_resilience_dead_letters
        WHERE queue_name = ${queue} GROUP BY error_code ORDER BY error_code`
      expect(dead.map((r) => [r.error_code, Number(r.n)])).toEqual([
        ["NOT_FOUND", permanent],
        ["SERVICE_UNAVAILABLE", exhausted]
      ])
      expect(dead.find((r) => r.error_code === "SERVICE_UNAVAILABLE")!.attempts).toBe(3)
      const deadIds = yield* sql<{ n: number }>`SELECT (original_message->>'n')::int AS n
        FROM effect_resilience_dead_letters WHERE queue_name = ${queue}`
      const deadSet = new Set(deadIds.map((r) => r.n))
      // Every message exactly one outcome: processed or dead-lettered, never both, never neither.
      expect(processed.size).toBe(total - permanent - exhausted)
      expect(deadSet.size).toBe(permanent + exhausted)
      for (let n = 0; n < total; n++) expect(processed.has(n) !== deadSet.has(n)).toBe(true)
    })), { timeout: 60_000 })

  it.effect("replaying 1,000 dead letters while new messages flow: all processed, nothing dead-lettered twice", () =>
    live(Effect.gen(function*() {
      const queue = "replay"
      let fixed = false
      const processed = new Set<number>()
      const handler = (job: typeof Job.Type) =>
        job.n < 1000 && !fixed
          ? Effect.fail(new Errors.Conflict({ resource: `order ${job.n}` }))
          : Effect.sync(() => void processed.add(job.n))
      yield* PgQueue.enqueueBatch(queue, Array.from({ length: 1000 }, (_, n) => ({ n })))
      const fibers = yield* Effect.forEach([1, 2], () => Effect.fork(consumer(queue, handler)))
      yield* waitUntil(Effect.map(deadLetterCount(queue), (n) => n === 1000), "1,000 dead letters")
      fixed = true
      const producer = yield* Effect.fork(
        Effect.forEach(
          Array.from({ length: 20 }, (_, k) => k),
          (k) => PgQueue.enqueueBatch(queue, Array.from({ length: 100 }, (_, i) => ({ n: 1000 + k * 100 + i }))),
          { discard: true }
        )
      )
      const dlq = yield* DeadLetterPostgres.make()
      const report = yield* dlq.replay({ queue, limit: 1000 })
      yield* Fiber.join(producer)
      expect(report.replayed.length).toBe(1000)
      yield* waitUntil(Effect.sync(() => processed.size === 3000), "3,000 processed")
      yield* Effect.forEach(fibers, Fiber.interrupt)
      const stats = yield* dlq.stats({ queue })
      expect(stats).toEqual([{ queueName: queue, errorCode: "CONFLICT", total: 1000, pending: 0 }])
      expect(yield* PgQueue.depth(queue)).toBe(0)
    })), { timeout: 30_000 })
})
