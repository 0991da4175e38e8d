/**
 * Queue throughput, end to end, on one embedded Postgres (or DATABASE_URL):
 *
 * - effect-resilience: PgQueue source + Consumer + Postgres dead-letter store
 * - pg-boss 12.35 (the peer): batch worker, `burstWhenBatchFull`, per-job results with a
 *   dead-letter queue for permanent failures
 * - raw: `DELETE ... FOR UPDATE SKIP LOCKED LIMIT 50 RETURNING` in a loop, failures inserted into
 *   a table; no leases, no retries, at-most-once: the practical limit of any SKIP LOCKED queue
 * - raw leased: ours in plain SQL, on our table and index: one statement deletes the previous
 *   batch's acks and claims the next batch with a lease (`UPDATE ... SET leased_until = now() +
 *   lease`), failures inserted into a table before their ack; at-least-once: the practical limit
 *   of a leased queue, which writes each message twice
 *
 * for 0%, 1% and 10% permanent failures with 1 and 4 consumers. Each run enqueues N messages
 * in batches and ends when every message was processed or dead-lettered; repetitions are
 * interleaved across the four systems and the median is reported. Before each run the
 * database is vacuumed, and analysed after the enqueue, outside the timings (pg-boss crawls
 * otherwise, see DESIGN.md). End to end = enqueue time + consume time.
 *
 * Each system runs in a Node process of its own (forked once, driven over IPC), as a service
 * runs in production and as JMH forks a JVM per benchmark: in one shared process the systems'
 * JIT feedback (all four run `pg`), heap and timers colour each other's numbers. Every process
 * is warmed up (12 runs over the scenarios) before anything is measured.
 *
 *   npx tsx bench/queue.bench.ts
 */
import { PgClient } from "@effect/sql-pg"
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { ConfigError } from "effect"
import { Duration, Effect, Fiber, Layer, Logger, LogLevel, ManagedRuntime, Redacted, Schema } from "effect"
import { PgBoss } from "pg-boss"
import pg from "pg"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Consumer from "../src/Consumer.js"
import * as DeadLetter from "../src/DeadLetter.js"
import * as DeadLetterPostgres from "../src/DeadLetter/Postgres.js"
import * as Errors from "../src/Errors.js"
import * as PgQueue from "../src/PgQueue.js"
import { createDatabase, dropDatabase, randomDatabaseName, startPostgres } from "../test/support/PostgresServer.js"

const N = Number(process.env["BENCH_MESSAGES"] ?? 10_000)
const REPS = Number(process.env["BENCH_REPS"] ?? 5)
const BATCH = 50
const CONCURRENCY = Number(process.env["BENCH_CONCURRENCY"] ?? 10)
const ONLY = process.env["BENCH_SYSTEMS"]?.split(",")
const VERBOSE = process.env["BENCH_VERBOSE"] !== undefined
const WARMUP = Number(process.env["BENCH_WARMUP"] ?? 12)
const failureRates = (process.env["BENCH_RATES"]?.split(",").map(Number) ?? [0, 0.01, 0.1])
const consumerCounts = (process.env["BENCH_CONSUMERS"]?.split(",").map(Number) ?? [1, 4])

const fails = (n: number, rate: number) => n % 100 < rate * 100

interface Result {
  readonly system: string
  readonly rate: number
  readonly consumers: number
  readonly consumePerSec: number
  readonly e2ePerSec: number
  /** Median CPU per message while consuming, in microseconds. */
  readonly nodeMicros: number
  readonly postgresMicros: number | undefined
}


let runSeq = 0
const queueName = (system: string) => `bench_${system}_${++runSeq}`

/**
 * CPU spent between `start` and `stop`: this Node process (main thread plus GC helpers) and every
 * `postgres` process on the machine (Linux /proc; the bench's server is the only one running).
 */
interface CpuSpent {
  readonly nodeMs: number
  readonly postgresMs: number | undefined
}

const ticksPerMs = 100 / 1000 // USER_HZ is 100 on Linux

/** CPU ticks (utime + stime) of every `postgres` process, by pid. */
const postgresTicks = (): Map<string, number> | undefined => {
  try {
    const ticks = new Map<string, number>()
    for (const pid of Fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue
      let stat: string
      try {
        stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
      } catch {
        continue // gone meanwhile
      }
      const close = stat.lastIndexOf(")")
      if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("postgres")) continue
      const fields = stat.slice(close + 2).split(" ")
      ticks.set(pid, Number(fields[11]) + Number(fields[12]))
    }
    return ticks
  } catch {
    return undefined
  }
}

/** Ticks spent between two samples: a process that started meanwhile counts from 0, one that ended is lost. */
const ticksBetween = (before: Map<string, number>, after: Map<string, number>): number => {
  let sum = 0
  for (const [pid, ticks] of after) sum += ticks - (before.get(pid) ?? 0)
  return sum
}

const startCpu = () => {
  const node = process.cpuUsage()
  const pg = postgresTicks()
  return (): CpuSpent => {
    const spent = process.cpuUsage(node)
    const pgNow = postgresTicks()
    return {
      nodeMs: (spent.user + spent.system) / 1000,
      postgresMs: pg === undefined || pgNow === undefined ? undefined : ticksBetween(pg, pgNow) / ticksPerMs
    }
  }
}

/** Polls a counter until it reaches N, in real time (no Effect clock involved). */
const until = async (done: () => boolean, what: string) => {
  const deadline = Date.now() + 120_000
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

// --- effect-resilience ------------------------------------------------------------

const Job = Schema.Struct({ n: Schema.Number })

/** Called between the enqueue and the consume phase, outside both timings. */
type Between = () => Promise<void>

// One client for every run, as pg-boss and the raw loop keep theirs: connecting is not part of
// the measurement. Sized for 4 consumers (claims, ack flushes, dead-letter writes, heartbeats).
type OursRuntime = ManagedRuntime.ManagedRuntime<PgClient.PgClient | SqlClient.SqlClient, SqlError | ConfigError.ConfigError>

const oursRuntime = (url: string): OursRuntime =>
  ManagedRuntime.make(
    PgClient.layer({ url: Redacted.make(url), maxConnections: 14, connectTimeout: Duration.seconds(10) })
  )

const runOurs = async (runtime: OursRuntime, rate: number, consumers: number, between: Between) => {
  const queue = queueName("ours")
  let processed = 0
  let dead = 0
  const Counted = Layer.effect(
    DeadLetter.DeadLetter,
    Effect.map(DeadLetterPostgres.make(), (store) => ({
      ...store,
      sendAll: (dls: ReadonlyArray<DeadLetter.NewDeadLetter>) => Effect.tap(store.sendAll(dls), (ids) => void (dead += ids.length))
    }))
  )
  const handler = (job: typeof Job.Type) =>
    fails(job.n, rate)
      ? Effect.fail(new Errors.NotFound({ resource: "job", id: String(job.n) }))
      : Effect.sync(() => void processed++)
  const program = Effect.gen(function*() {
    const t0 = performance.now()
    yield* PgQueue.enqueueBatch(queue, Array.from({ length: N }, (_, n) => ({ n })))
    const enqueued = performance.now() - t0
    yield* Effect.promise(between)
    const t1 = performance.now()
    const cpu = startCpu()
    const fibers = yield* Effect.forEach(Array.from({ length: consumers }), () =>
      Effect.forkDaemon(
        Consumer.run({ schema: Job, handler, concurrency: CONCURRENCY }).pipe(
          Effect.provide(PgQueue.layerSource({ queue, batchSize: BATCH, pollInterval: "5 millis" }))
        )
      ))
    yield* Effect.promise(() => until(() => processed + dead >= N, "ours"))
    const t2 = performance.now()
    const spent = cpu()
    // Stop (and wait for) the consumers before the next run.
    yield* Effect.forEach(fibers, Fiber.interrupt, { discard: true })
    return { consume: t2 - t1, e2e: enqueued + t2 - t1, cpu: spent }
  }).pipe(
    Effect.provide(Counted),
    Logger.withMinimumLogLevel(LogLevel.Error)
  )
  return runtime.runPromise(program)
}

// --- pg-boss ----------------------------------------------------------------------

const runBoss = async (boss: PgBoss, rate: number, consumers: number, between: Between) => {
  const queue = queueName("boss")
  const dlq = `${queue}_dlq`
  await boss.createQueue(dlq)
  await boss.createQueue(queue, { retryLimit: 0, deadLetter: dlq })
  let processed = 0
  let dead = 0
  const t0 = performance.now()
  for (let i = 0; i < N; i += 5000) {
    await boss.insert(queue, Array.from({ length: Math.min(5000, N - i) }, (_, k) => ({ data: { n: i + k } })))
  }
  const enqueued = performance.now() - t0
  await between()
  const t1 = performance.now()
  const cpu = startCpu()
  const workers: Array<string> = []
  for (let c = 0; c < consumers; c++) {
    workers.push(
      await boss.work<{ n: number }>(
        queue,
        { batchSize: BATCH, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5, perJobResults: true },
        async (jobs) =>
          jobs.map((job) => {
            if (fails(job.data.n, rate)) {
              dead++
              return { id: job.id, status: "deadletter" as const, output: { error: "job not found" } }
            }
            processed++
            return { id: job.id, status: "completed" as const }
          })
      )
    )
  }
  await until(() => processed + dead >= N, "pg-boss")
  const t2 = performance.now()
  const spent = cpu()
  await boss.offWork(queue)
  return { consume: t2 - t1, e2e: enqueued + t2 - t1, cpu: spent }
}

// --- raw SKIP LOCKED loop ---------------------------------------------------------

/**
 * A claim statement, run again when Postgres broke a deadlock by aborting it (40P01): `SKIP
 * LOCKED` skips locked rows, but locking the newer version of a row updated meanwhile can wait,
 * and two claims can wait on each other (seen once while benchmarking, four loops). The statement
 * rolled back whole, so the retry is safe; ours retries it as a transient `PgError.Deadlock`.
 */
const claimRows = async (pool: pg.Pool, text: string, values: ReadonlyArray<unknown>) => {
  for (;;) {
    try {
      return (await pool.query<{ id: string; payload: string }>(text, [...values])).rows
    } catch (error) {
      if ((error as { code?: unknown }).code !== "40P01") throw error
    }
  }
}

/** Inserts the N benchmark messages into a plain-SQL queue table, 5,000 per statement. */
const enqueueAll = async (pool: pg.Pool, table: "raw_queue" | "effect_resilience_queue", queue: string) => {
  for (let i = 0; i < N; i += 5000) {
    const payloads = Array.from({ length: Math.min(5000, N - i) }, (_, k) => JSON.stringify({ n: i + k }))
    await pool.query(`INSERT INTO ${table} (queue_name, payload) SELECT $1, unnest($2::text[])`, [queue, payloads])
  }
}

/** The raw loops' dead-letter step: the failing payloads of a batch, in one insert. */
const deadLetterFailures = async (
  pool: pg.Pool,
  queue: string,
  rows: ReadonlyArray<{ readonly payload: string }>,
  rate: number
) => {
  const failed = rows.filter((row) => fails((JSON.parse(row.payload) as { n: number }).n, rate))
  if (failed.length === 0) return
  await pool.query("INSERT INTO raw_dead (queue_name, payload) SELECT $1, unnest($2::text[])", [
    queue,
    failed.map((row) => row.payload)
  ])
}

const runRaw = async (pool: pg.Pool, rate: number, consumers: number, between: Between) => {
  const queue = queueName("raw")
  let done = 0
  const t0 = performance.now()
  await enqueueAll(pool, "raw_queue", queue)
  const enqueued = performance.now() - t0
  await between()
  const t1 = performance.now()
  const cpu = startCpu()
  const loop = async () => {
    while (done < N) {
      const rows = await claimRows(
        pool,
        `DELETE FROM raw_queue WHERE id IN (
           SELECT id FROM raw_queue WHERE queue_name = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING id, payload`,
        [queue, BATCH]
      )
      if (rows.length === 0) {
        await new Promise((r) => setTimeout(r, 1))
        continue
      }
      await deadLetterFailures(pool, queue, rows, rate)
      done += rows.length
    }
  }
  await Promise.all(Array.from({ length: consumers }, loop))
  const t2 = performance.now()
  return { consume: t2 - t1, e2e: enqueued + t2 - t1, cpu: cpu() }
}

// --- raw leased loop ------------------------------------------------------------

// Our claim statement (src/internal/pgQueue.ts `claimWith`) verbatim, lease 30 s as our default.
const leasedClaim = `WITH acked AS (
    DELETE FROM effect_resilience_queue WHERE id = ANY($3::bigint[])
  ), next AS (
    SELECT id FROM effect_resilience_queue
    WHERE queue_name = $1 AND visible_at <= now() AND leased_until <= now()
    ORDER BY visible_at, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  )
  UPDATE effect_resilience_queue q
  SET attempts = q.attempts + 1, leased_until = now() + 30000 * interval '1 millisecond'
  FROM next WHERE q.id = next.id
  RETURNING q.id, q.payload, q.attempts, extract(epoch FROM q.enqueued_at)::float8 * 1000 AS enqueued_ms, q.replay_of`

const runRawLeased = async (pool: pg.Pool, rate: number, consumers: number, between: Between) => {
  const queue = queueName("leased")
  let done = 0
  const t0 = performance.now()
  await enqueueAll(pool, "effect_resilience_queue", queue)
  const enqueued = performance.now() - t0
  await between()
  const t1 = performance.now()
  const cpu = startCpu()
  const loop = async () => {
    // Handled ids, deleted by the next claim (as ours carries its acks).
    let acked: Array<string> = []
    while (done < N) {
      const rows = await claimRows(pool, leasedClaim, [queue, BATCH, acked])
      acked = []
      if (rows.length === 0) {
        await new Promise((r) => setTimeout(r, 1))
        continue
      }
      // Dead-lettered before the ack: a crash in between redelivers, nothing is lost.
      await deadLetterFailures(pool, queue, rows, rate)
      for (const row of rows) acked.push(row.id)
      done += rows.length
    }
    return acked
  }
  const pending = await Promise.all(Array.from({ length: consumers }, loop))
  const t2 = performance.now()
  const spent = cpu()
  // Like ours, the clock stops at the last outcome; the last acks are written after it.
  await pool.query("DELETE FROM effect_resilience_queue WHERE id = ANY($1::bigint[])", [pending.flat()])
  return { consume: t2 - t1, e2e: enqueued + t2 - t1, cpu: spent }
}

// --- one process per system ---------------------------------------------------

type SystemKey = "ours" | "boss" | "raw" | "leased"
const systemNames: Record<SystemKey, string> = {
  ours: "effect-resilience",
  boss: "pg-boss 12.35",
  raw: "raw SKIP LOCKED",
  leased: "raw leased"
}

interface Timing {
  readonly consume: number
  readonly e2e: number
  readonly cpu: CpuSpent
}

/** Parent -> worker: run one scenario. Worker -> parent: `ready` once set up, then one timing per run. */
interface RunRequest {
  readonly rate: number
  readonly consumers: number
}
type WorkerMessage = { readonly _tag: "ready" } | { readonly _tag: "timing"; readonly timing: Timing }

/** A worker process: sets its system up on the shared database, then runs what it is asked to. */
const worker = async (key: SystemKey, url: string) => {
  // Vacuum before the enqueue and analyse after it, on a connection of its own, outside the timings.
  const admin = new pg.Pool({ connectionString: url, max: 1 })
  const analyze = async () => void (await admin.query("ANALYZE"))
  let run: (rate: number, consumers: number) => Promise<Timing>
  let close: () => Promise<void>
  switch (key) {
    case "ours": {
      const runtime = oursRuntime(url)
      run = (rate, c) => runOurs(runtime, rate, c, analyze)
      close = () => runtime.dispose()
      break
    }
    case "boss": {
      const boss = new PgBoss({ connectionString: url, max: 10, supervise: false, schedule: false })
      boss.on("error", (error) => console.error("pg-boss:", error))
      await boss.start()
      run = (rate, c) => runBoss(boss, rate, c, analyze)
      close = () => boss.stop({ graceful: false }).catch(() => {})
      break
    }
    case "raw":
    case "leased": {
      const pool = new pg.Pool({ connectionString: url, max: 8 })
      run = (rate, c) => (key === "raw" ? runRaw : runRawLeased)(pool, rate, c, analyze)
      close = () => pool.end()
      break
    }
  }
  const send = (message: WorkerMessage) => process.send!(message)
  process.on("message", (request: RunRequest | "stop") => {
    if (request === "stop") {
      void close().then(() => admin.end()).then(() => process.exit(0))
      return
    }
    void admin.query("VACUUM")
      .then(() => run(request.rate, request.consumers))
      .then((timing) => send({ _tag: "timing", timing }))
      .catch((error) => {
        console.error(systemNames[key], error)
        process.exit(1)
      })
  })
  send({ _tag: "ready" })
}

/** Forks a worker for `key` and returns a function that runs one scenario in it. */
const startWorker = (key: SystemKey, url: string) =>
  new Promise<{ readonly run: (rate: number, consumers: number) => Promise<Timing>; readonly stop: () => Promise<void> }>(
    (resolve, reject) => {
      const child = ChildProcess.fork(import.meta.filename, ["--worker", key], {
        execArgv: process.execArgv,
        env: { ...process.env, BENCH_WORKER_URL: url }
      })
      let waiting: { readonly done: (timing: Timing) => void; readonly fail: (error: Error) => void } | undefined
      let alive = true
      const exited = new Promise<void>((done) =>
        child.on("exit", (code) => {
          alive = false
          const error = new Error(`${systemNames[key]} worker exited with ${code}`)
          // Not ready yet, or in the middle of a run: the bench stops (and cleans up) with the error.
          if (code !== 0) reject(error)
          if (code !== 0) waiting?.fail(error)
          done()
        })
      )
      child.on("message", (message: WorkerMessage) => {
        if (message._tag === "ready") {
          resolve({
            run: (rate, consumers) =>
              new Promise<Timing>((done, fail) => {
                waiting = { done, fail }
                child.send({ rate, consumers } satisfies RunRequest)
              }),
            stop: () => {
              if (alive) child.send("stop")
              return exited
            }
          })
        } else {
          waiting?.done(message.timing)
          waiting = undefined
        }
      })
    }
  )

// --- main -------------------------------------------------------------------------

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const main = async () => {
  const server = await startPostgres()
  const name = randomDatabaseName("bench_queue")
  const url = await createDatabase(server.url, name)
  const workers: Array<{ readonly stop: () => Promise<void> }> = []
  try {
    // The schemas, before any worker starts: ours (the raw leased loop uses its table too) and
    // the raw loops' tables; pg-boss creates its own when its worker starts.
    const setup = oursRuntime(url)
    await setup.runPromise(PgQueue.migrate)
    await setup.dispose()
    const pool = new pg.Pool({ connectionString: url, max: 1 })
    await pool.query("CREATE TABLE raw_queue (id bigserial PRIMARY KEY, queue_name text NOT NULL, payload text NOT NULL)")
    await pool.query("CREATE INDEX ON raw_queue (queue_name, id)")
    await pool.query("CREATE TABLE raw_dead (id bigserial PRIMARY KEY, queue_name text NOT NULL, payload text NOT NULL)")
    await pool.end()

    const keys = (Object.keys(systemNames) as Array<SystemKey>).filter((key) =>
      ONLY === undefined || ONLY.some((o) => systemNames[key].startsWith(o))
    )
    const systems: Array<readonly [string, (rate: number, consumers: number) => Promise<Timing>]> = []
    for (const key of keys) {
      const started = await startWorker(key, url)
      workers.push(started)
      systems.push([systemNames[key], started.run])
    }
    console.log(`queue benchmark: ${N} messages per run, batch ${BATCH}, median of ${REPS}, one process per system`)
    // Warm-up, not measured: 12 runs per process, cycling through the scenarios (JIT on each
    // path, connection pools). With BENCH_VERBOSE the per-run CPU shows ours settling after ~8
    // runs of 10k messages (37 -> 15 µs per message): one warm-up run left most of the JIT work
    // inside the measured runs, the more the more JavaScript a system runs.
    const scenarios = failureRates.flatMap((rate) => consumerCounts.map((consumers) => [rate, consumers] as const))
    for (let i = 0; i < Math.max(WARMUP, scenarios.length); i++) {
      const [rate, consumers] = scenarios[i % scenarios.length]!
      for (const [, run] of systems) await run(rate, consumers)
    }

    // Repetitions are interleaved across systems, so a load spike on the shared machine hits
    // every system of a row alike instead of one system's whole sample.
    const results: Array<Result> = []
    for (const rate of failureRates) {
      for (const consumers of consumerCounts) {
        const consume = new Map<string, Array<number>>()
        const e2e = new Map<string, Array<number>>()
        const nodeCpu = new Map<string, Array<number>>()
        const postgresCpu = new Map<string, Array<number>>()
        for (let rep = 0; rep < REPS; rep++) {
          for (const [system, run] of systems) {
            // No forced gc() between runs: a full collection made V8 drop and redo its optimized
            // code (5,071 TurboFan compilations in 25 runs instead of 1,362), so every measured run
            // paid a re-warm-up, the more the more JavaScript a system runs. A service never does that.
            const timing = await run(rate, consumers)
            if (VERBOSE) {
              console.log(`    ${system} run ${rep + 1}: ${Math.round(timing.consume)} ms, Node ${((timing.cpu.nodeMs * 1000) / N).toFixed(1)} µs/msg`)
            }
            consume.set(system, [...(consume.get(system) ?? []), timing.consume])
            e2e.set(system, [...(e2e.get(system) ?? []), timing.e2e])
            nodeCpu.set(system, [...(nodeCpu.get(system) ?? []), timing.cpu.nodeMs])
            if (timing.cpu.postgresMs !== undefined) {
              postgresCpu.set(system, [...(postgresCpu.get(system) ?? []), timing.cpu.postgresMs])
            }
          }
        }
        for (const [system] of systems) {
          const result = {
            system,
            rate,
            consumers,
            consumePerSec: N / (median(consume.get(system)!) / 1000),
            e2ePerSec: N / (median(e2e.get(system)!) / 1000),
            nodeMicros: (median(nodeCpu.get(system)!) * 1000) / N,
            postgresMicros: postgresCpu.has(system) ? (median(postgresCpu.get(system)!) * 1000) / N : undefined
          }
          results.push(result)
          console.log(
            `  ${system.padEnd(18)} ${`${rate * 100}%`.padStart(4)} failures, ${consumers} consumer(s): ` +
              `${Math.round(result.consumePerSec)} msg/s consume, ${Math.round(result.e2ePerSec)} msg/s end to end, ` +
              `CPU per message: Node ${result.nodeMicros.toFixed(1)} µs, Postgres ${result.postgresMicros?.toFixed(1) ?? "?"} µs`
          )
        }
      }
    }

    if (keys.length < 4) return
    const rows = failureRates.flatMap((rate) =>
      consumerCounts.map((consumers) => {
        const get = (system: string) => results.find((r) => r.system === system && r.rate === rate && r.consumers === consumers)!
        const ours = get("effect-resilience")
        const boss = get("pg-boss 12.35")
        const raw = get("raw SKIP LOCKED")
        const leased = get("raw leased")
        return [
          `${rate * 100}%`,
          String(consumers),
          Math.round(ours.consumePerSec).toString(),
          Math.round(boss.consumePerSec).toString(),
          Math.round(raw.consumePerSec).toString(),
          Math.round(leased.consumePerSec).toString(),
          (ours.consumePerSec / boss.consumePerSec).toFixed(2),
          (raw.consumePerSec / ours.consumePerSec).toFixed(2),
          (raw.e2ePerSec / ours.e2ePerSec).toFixed(2),
          (leased.consumePerSec / ours.consumePerSec).toFixed(2),
          (ours.consumePerSec / leased.consumePerSec).toFixed(2),
          Math.round(ours.e2ePerSec).toString(),
          Math.round(boss.e2ePerSec).toString(),
          Math.round(raw.e2ePerSec).toString(),
          Math.round(leased.e2ePerSec).toString(),
          ...[ours, boss, raw, leased].map((r) => `${r.nodeMicros.toFixed(1)}/${r.postgresMicros?.toFixed(1) ?? "?"}`)
        ]
      })
    )
    const headers = [
      "failures",
      "consumers",
      "ours msg/s",
      "pg-boss",
      "raw",
      "raw leased",
      "ours/pg-boss",
      "raw/ours",
      "raw/ours e2e",
      "leased/ours",
      "ours/leased",
      "ours e2e",
      "pg-boss e2e",
      "raw e2e",
      "leased e2e",
      "ours cpu",
      "pg-boss cpu",
      "raw cpu",
      "leased cpu"
    ]
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
    const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ")
    console.log(`\n${line(headers)}\n${line(widths.map((w) => "-".repeat(w)))}\n${rows.map(line).join("\n")}`)
    console.log("\nconsume = from the first claim to the last outcome; e2e includes the batched enqueue.")
    console.log("raw: at most once, no lease; raw leased: at least once, a lease, our claim statement.")
    console.log("cpu = Node/Postgres CPU per message while consuming, in µs (median run; Postgres from /proc, Linux only).")
    console.log("ratios on consume rates, except 'raw/ours e2e' (end to end, the issue's own measure).")
    console.log("goal: ours/pg-boss >= 1, raw/ours <= 2")
  } finally {
    // The workers close their connections before the database goes.
    await Promise.all(workers.map((started) => started.stop()))
    await dropDatabase(server.url, name).catch(() => {})
    await server.stop()
  }
}

const workerKey = process.argv[2] === "--worker" ? (process.argv[3] as SystemKey) : undefined
const entry = workerKey === undefined ? main() : worker(workerKey, process.env["BENCH_WORKER_URL"]!)
entry.catch((error) => {
  console.error(error)
  process.exit(1)
})
