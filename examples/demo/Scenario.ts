/**
 * The live scenario behind `npm start`: a misbehaving inventory upstream goes through six phases
 * while the same load hits two versions of an orders service, one written the usual way and one
 * with the library. Everything runs on loopback against a real Postgres; `run` returns what it
 * measured and stops everything it started.
 */
import { FetchHttpClient } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import {
  Clock,
  Duration,
  Effect,
  Either,
  FiberRef,
  FiberSet,
  HashSet,
  Layer,
  Logger,
  LogLevel,
  Metric,
  MetricState,
  Option,
  Random,
  Redacted,
  Schedule,
  Schema,
  Stream
} from "effect"
import * as Http from "node:http"
import * as HttpUpstream from "../../src/Chaos/HttpUpstream.js"
import * as CircuitBreaker from "../../src/CircuitBreaker.js"
import * as Consumer from "../../src/Consumer.js"
import * as DeadLetter from "../../src/DeadLetter.js"
import * as DeadLetterPostgres from "../../src/DeadLetter/Postgres.js"
import * as ErrorLog from "../../src/ErrorLog.js"
import * as Errors from "../../src/Errors.js"
import * as FeatureFlags from "../../src/FeatureFlags.js"
import * as PgQueue from "../../src/PgQueue.js"
import * as ResilientHttp from "../../src/ResilientHttp.js"
import * as Retry from "../../src/Retry.js"
import * as Naive from "./NaiveService.js"
import * as Orders from "./OrdersService.js"
import type { BreakerTransition, Client, PhaseSpan, Sample } from "./Report.js"

export interface Options {
  /** A database the scenario may create tables in. */
  readonly databaseUrl: string
  /** Length of each of the six phases (default 6 s). */
  readonly phaseMillis?: number | undefined
  /** Requests per second sent to each of the two services (default 40). */
  readonly rate?: number | undefined
  /** Seeds the upstream's fault mix and the retry jitter (default 42). */
  readonly seed?: number | undefined
  readonly onProgress?: ((progress: Progress) => void) | undefined
}

export interface ClientProgress {
  readonly sent: number
  readonly failed: number
  readonly degraded: number
}

export interface Progress {
  readonly t: number
  readonly phase: string
  readonly phaseIndex: number
  readonly phases: number
  readonly naive: ClientProgress
  readonly resilient: ClientProgress
  readonly breaker: string
  readonly liveInventory: boolean
  readonly deadLetters: number
}

export interface QueueFacts {
  readonly poisonSent: number
  readonly deadLetteredBeforeReplay: Readonly<Record<string, number>>
  readonly pendingBeforeReplay: number
  readonly replayed: number
  readonly replayFailed: number
  readonly quarantined: number
  readonly pendingAfterReplay: number
  readonly repairedShipped: number
  readonly repairable: number
  readonly shipped: number
  readonly ordersAccepted: number
}

export interface Result {
  readonly phases: ReadonlyArray<PhaseSpan>
  readonly samples: ReadonlyArray<Sample>
  readonly transitions: ReadonlyArray<BreakerTransition>
  readonly killSwitch: ReadonlyArray<{ readonly t: number; readonly on: boolean }>
  readonly retries: number
  readonly budgetRefusals: number
  readonly killSwitchSkips: number
  /** Calls each client made to the upstream, per phase. */
  readonly upstreamCalls: Readonly<Record<Client, Readonly<Record<string, number>>>>
  /** Error responses whose body gave away internals (SQL, constraint names, stack frames). */
  readonly leaks: Readonly<Record<Client, number>>
  /**
   * Orders re-sent after both services had answered them (kept out of the per-phase table: a
   * refused duplicate is neither a success nor an upstream failure).
   */
  readonly duplicates: {
    readonly sent: number
    readonly conflict409: Readonly<Record<Client, number>>
    readonly otherwise: Readonly<Record<Client, Readonly<Record<string, number>>>>
  }
  readonly queue: QueueFacts
  /** Where the three servers listened; all of them are closed once `run` returns. */
  readonly endpoints: { readonly naive: string; readonly resilient: string; readonly upstream: string }
  /** Structured log lines (JSON) the resilient service wrote at WARN and above. */
  readonly logLines: ReadonlyArray<string>
}

interface Phase {
  readonly name: string
  readonly behavior: HttpUpstream.Behavior
}

const stock = HttpUpstream.ok({ sku: "any", stock: 12 })

/** The upstream's six moods, in order. */
export const phases: ReadonlyArray<Phase> = [
  { name: "healthy", behavior: HttpUpstream.delay("5 millis", stock) },
  { name: "flaky-503", behavior: HttpUpstream.mix([7, stock], [3, HttpUpstream.status(503)]) },
  { name: "slow", behavior: HttpUpstream.delay("1200 millis", stock) },
  { name: "down", behavior: HttpUpstream.reset },
  { name: "rate-limited", behavior: HttpUpstream.mix([6, stock], [4, HttpUpstream.rateLimited(1)]) },
  { name: "recovered", behavior: HttpUpstream.delay("5 millis", stock) }
]

const skus = Array.from({ length: 20 }, (_, i) => `sku-${i + 1}`)

/** The buggy producer's messages, one kind after another. */
const poison = [
  { kind: "truncated JSON", raw: (id: number) => `{"orderId": ${id}, "sku": "sku-1", "qty": `, repairable: false },
  { kind: "legacy format", raw: (id: number) => JSON.stringify({ orderId: String(id), sku: "sku-2", qty: "1" }), repairable: true },
  { kind: "unknown sku", raw: (id: number) => JSON.stringify({ orderId: id, sku: "sku-new", qty: 1 }), repairable: true },
  {
    kind: "handler crash",
    raw: (id: number) => JSON.stringify({ orderId: id, sku: Orders.crashingSku, qty: 1 }),
    repairable: true
  }
] as const

/** The producer's previous format: numbers as strings. Replay repairs these. */
const LegacyOrderEvent = Schema.Struct({ orderId: Schema.NumberFromString, sku: Schema.String, qty: Schema.NumberFromString })
const decodeRepairable = Schema.decodeUnknownOption(Schema.Union(Orders.OrderEvent, LegacyOrderEvent))

const leakPattern = /duplicate key|constraint|violates|INSERT |SELECT |\bat .+:\d+:\d+|node_modules|\/src\//

interface Sent {
  readonly client: Client
  readonly status: number
  readonly body: string
  readonly latencyMs: number
}

const post = (client: Client, url: string, body: unknown): Effect.Effect<Sent> =>
  Effect.promise(async (interrupted) => {
    const started = performance.now()
    try {
      const response = await fetch(`${url}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.any([interrupted, AbortSignal.timeout(20_000)])
      })
      const text = await response.text()
      return { client, status: response.status, body: text, latencyMs: performance.now() - started }
    } catch {
      return { client, status: 0, body: "", latencyMs: performance.now() - started }
    }
  })

/** A string field of a JSON response body; a body that is not JSON has none. */
const jsonField = (body: string, field: string): string | undefined =>
  Either.getOrUndefined(Either.try(() => {
    const value = (JSON.parse(body) as Record<string, unknown>)[field]
    return typeof value === "string" ? value : undefined
  }))

/**
 * The failure code a client sees: the problem document's `code`, or for the naive service's bare
 * 500 what its message says happened.
 */
const failureCode = (sent: Sent): string => {
  if (sent.status === 0) return "NO_RESPONSE"
  const code = jsonField(sent.body, "code")
  if (code !== undefined) return code
  const message = jsonField(sent.body, "error") ?? ""
  const upstream = /inventory answered (\d+)/.exec(message)
  if (upstream !== null) return `500_UPSTREAM_${upstream[1]}`
  if (/fetch failed|ECONNRESET|socket/i.test(message)) return "500_UPSTREAM_UNREACHABLE"
  if (/duplicate key/.test(message)) return "500_DUPLICATE_KEY"
  return `HTTP_${sent.status}`
}

const classify = (sent: Sent): Pick<Sample, "outcome" | "code"> => {
  if (sent.status === 201) {
    const stock = jsonField(sent.body, "stock")
    return stock === "live" ? { outcome: "success" } : { outcome: "degraded", code: `STOCK_${stock ?? "?"}` }
  }
  return { outcome: "failed", code: failureCode(sent) }
}

const counterTotal = (name: string, tag: readonly [string, string]) =>
  Effect.map(Metric.snapshot, (pairs) =>
    pairs.reduce((sum, pair) =>
      pair.metricKey.name === name &&
        pair.metricKey.tags.some((t) => t.key === tag[0] && t.value === tag[1]) &&
        MetricState.isCounterState(pair.metricState)
        ? sum + Number(pair.metricState.count)
        : sum, 0))

const retryCounters = Effect.all({
  retries: counterTotal("effect_resilience_retries_total", ["operation", "inventory.request"]),
  refusals: counterTotal("effect_resilience_retry_budget_refused_total", ["operation", "inventory.request"]),
  skips: counterTotal("effect_resilience_feature_flag_skips_total", ["flag", Orders.liveInventoryFlag])
})

const waitUntil = <E, R>(label: string, check: Effect.Effect<boolean, E, R>) =>
  check.pipe(
    Effect.repeat({ until: (done) => done, schedule: Schedule.spaced("50 millis") }),
    Effect.timeoutFail({
      duration: "60 seconds",
      onTimeout: () => new Error(`the scenario gave up waiting: ${label}`)
    }),
    Effect.orDie
  )

const scenario = (options: Options) =>
  Effect.gen(function*() {
    const phaseMillis = options.phaseMillis ?? 6_000
    const rate = options.rate ?? 40
    const sql = yield* SqlClient.SqlClient
    const dlq = yield* DeadLetter.DeadLetter
    const flags = yield* FeatureFlags.Memory
    yield* PgQueue.migrate
    yield* Orders.migrate
    yield* sql`CREATE TABLE IF NOT EXISTS order_events_quarantine (
      dead_letter_id bigint PRIMARY KEY, payload text NOT NULL, quarantined_at timestamptz NOT NULL DEFAULT now())`

    // --- the misbehaving upstream and the two services ----------------------------------
    const upstream = yield* HttpUpstream.make(phases[0]!.behavior)
    const naive = yield* Effect.acquireRelease(
      Effect.promise(() => Naive.start(options.databaseUrl, upstream.url)),
      (service) => Effect.promise(() => service.close())
    )
    const breaker = yield* CircuitBreaker.make({
      name: "inventory",
      // Wide enough that 30% of 503s (retried) or 40% of 429s do not trip it; a dead upstream does.
      trip: CircuitBreaker.countWindow({ size: 50, failureRate: 0.6, minimumCalls: 20 }),
      breakDuration: Duration.millis(Math.min(1_500, Math.round(phaseMillis / 4))),
      halfOpenProbes: 2,
      // A 429 is the upstream pacing us, not failing: Retry-After handles it, the breaker ignores it.
      isFailure: (error) => CircuitBreaker.defaultIsFailure(error) && !(error instanceof Errors.RateLimited)
    })
    const inventory = yield* ResilientHttp.make({
      service: "inventory",
      baseUrl: upstream.url,
      timeout: "250 millis",
      retry: {
        maxAttempts: 3,
        base: "50 millis",
        maxDelay: "1500 millis",
        budget: yield* Retry.makeBudget({ ratio: 0.2, minPerSecond: 2, capacity: 10 })
      },
      breaker,
      cache: yield* ResilientHttp.makeMemoryCache(),
      headers: { "x-client": "resilient" }
    }).pipe(Effect.provide(FetchHttpClient.layer))
    const server = yield* NodeHttpServer.make(() => Http.createServer(), { port: 0, host: "127.0.0.1" })
    yield* server.serve(Orders.router(inventory))
    const resilientUrl = `http://127.0.0.1:${(server.address as { port: number }).port}`

    // --- the order-events consumer ------------------------------------------------------
    const warehouse: Orders.Warehouse = {
      catalogue: new Set([...skus, Orders.crashingSku]),
      bugFixed: false,
      flakiness: 0.05,
      failedOnce: new Set()
    }
    yield* Consumer.run({ schema: Orders.OrderEvent, handler: Orders.shipping(warehouse), concurrency: 4 }).pipe(
      Effect.provide(PgQueue.layerSource({ queue: Orders.eventsQueue, pollInterval: "50 millis" })),
      Effect.forkScoped
    )

    // Warm both services up (connections, JIT) so the first phase measures them, not the start.
    yield* Effect.forEach(
      Array.from({ length: 10 }, (_, i) => ({ orderId: 1_000_000 + i, sku: skus[i % skus.length]!, qty: 1 })),
      (order) => Effect.all([post("naive", naive.url, order), post("resilient", resilientUrl, order)]),
      { concurrency: 5 }
    )
    yield* breaker.reset

    // --- what we record ------------------------------------------------------------------
    const t0 = yield* Clock.currentTimeMillis
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => now - t0)
    const samples: Array<Sample> = []
    const transitions: Array<BreakerTransition> = []
    const killSwitch: Array<{ t: number; on: boolean }> = []
    const spans: Array<PhaseSpan> = []
    const leaks: Record<Client, number> = { naive: 0, resilient: 0 }
    const conflict409: Record<Client, number> = { naive: 0, resilient: 0 }
    const otherwise: Record<Client, Record<string, number>> = { naive: {}, resilient: {} }
    let duplicatesSent = 0
    // Orders both services have answered, the resilient one with 201: safe to re-send.
    const answered = new Map<number, number>()
    const created: Array<number> = []
    const calls: Record<Client, Record<string, number>> = { naive: {}, resilient: {} }
    let current = { name: phases[0]!.name, index: 0 }
    const before = yield* retryCounters

    yield* breaker.changes.pipe(
      Stream.runForEach((change) => Effect.sync(() => transitions.push({ t: change.at - t0, from: change.from, to: change.to }))),
      Effect.forkScoped
    )

    const pendingDeadLetters = Effect.map(
      dlq.stats({ queue: Orders.eventsQueue }),
      (stats) => stats.reduce((n, s) => n + s.pending, 0)
    )
    const progressOf = (client: Client): ClientProgress => {
      let sent = 0, failed = 0, degraded = 0
      for (const s of samples) {
        if (s.client !== client) continue
        sent++
        if (s.outcome === "failed") failed++
        else if (s.outcome === "degraded") degraded++
      }
      return { sent, failed, degraded }
    }
    const report = Effect.gen(function*() {
      const onProgress = options.onProgress
      if (onProgress === undefined) return
      onProgress({
        t: yield* elapsed,
        phase: current.name,
        phaseIndex: current.index,
        phases: phases.length,
        naive: progressOf("naive"),
        resilient: progressOf("resilient"),
        breaker: yield* breaker.state,
        liveInventory: yield* FeatureFlags.isEnabled(Orders.liveInventoryFlag),
        // effect-resilience-audit-ignore catch-all-to-success: a progress line only; the final report queries again and fails loudly
        deadLetters: yield* Effect.orElseSucceed(pendingDeadLetters, () => -1)
      })
    })
    yield* report.pipe(Effect.repeat(Schedule.spaced("1 second")), Effect.forkScoped)

    // --- the load ----------------------------------------------------------------------
    const requests = yield* FiberSet.make<void>()
    const fire = (client: Client, url: string, order: Orders.OrderRequest, duplicate: boolean, phase: string) =>
      Effect.flatMap(elapsed, (t) =>
        FiberSet.run(
          requests,
          Effect.map(post(client, url, order), (sent) => {
            if (sent.status >= 400 && leakPattern.test(sent.body)) leaks[client]++
            if (duplicate) {
              if (sent.status === 409) conflict409[client]++
              else otherwise[client][String(sent.status)] = (otherwise[client][String(sent.status)] ?? 0) + 1
              return
            }
            const seen = (answered.get(order.orderId) ?? 0) + (client === "resilient" && sent.status === 201 ? 10 : 1)
            answered.set(order.orderId, seen)
            if (seen === 11) created.push(order.orderId)
            // Timed by when it was sent, so it lands in the phase (and chart band) that caused it.
            samples.push({ t, client, phase, ...classify(sent), latencyMs: sent.latencyMs })
          })
        ))
    let poisonSent = 0
    const sendPoison = Effect.suspend(() => {
      const which = poison[poisonSent % poison.length]!
      const id = 900_000 + poisonSent++
      return PgQueue.enqueue(Orders.eventsQueue, which.raw(id), { raw: true })
    })
    const setLiveInventory = (on: boolean) =>
      Effect.zipRight(
        flags.set(Orders.liveInventoryFlag, on, "oncall"),
        Effect.flatMap(elapsed, (t) => Effect.sync(() => killSwitch.push({ t, on })))
      )

    const interval = 1_000 / rate
    const ticks = Math.max(1, Math.round((rate * phaseMillis) / 1_000))
    let seq = 0
    for (const [index, phase] of phases.entries()) {
      const start = yield* elapsed
      const previous = spans.at(-1)
      if (previous !== undefined) spans[spans.length - 1] = { ...previous, end: start }
      current = { name: phase.name, index }
      // Each call is counted by the phase that answered it.
      yield* upstream.set((request) => {
        const client = request.headers["x-client"] === "naive" ? "naive" : "resilient"
        calls[client][phase.name] = (calls[client][phase.name] ?? 0) + 1
        return phase.behavior
      })
      if (phase.name === "rate-limited") yield* setLiveInventory(true)
      for (let k = 0; k < ticks; k++) {
        const wait = start + k * interval - (yield* elapsed)
        if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
        if (k === 0 || k === Math.floor(ticks / 2)) yield* sendPoison
        // The operator flips the kill switch halfway through the outage.
        if (phase.name === "down" && k === Math.floor(ticks / 2)) yield* setLiveInventory(false)
        const i = seq++
        // A client re-sending an order it placed a few seconds ago (not one still in flight).
        // Every 20th request re-sends an order both services already answered.
        const duplicate = i % 20 === 19 && created.length > 0
        if (duplicate) duplicatesSent++
        const orderId = duplicate ? created[Math.floor(created.length / 2)]! : i + 1
        const order = { orderId, sku: skus[i % skus.length]!, qty: 1 + (i % 3) }
        yield* fire("naive", naive.url, order, duplicate, phase.name)
        yield* fire("resilient", resilientUrl, order, duplicate, phase.name)
      }
      spans.push({ name: phase.name, start, end: start + ticks * interval })
    }
    yield* FiberSet.awaitEmpty(requests)
    yield* report

    // --- drain, then fix and replay the dead letters --------------------------------------
    const drained = Effect.map(PgQueue.depth(Orders.eventsQueue), (n) => n === 0)
    yield* waitUntil("the order-events queue to drain", drained)
    const beforeReplay = yield* dlq.stats({ queue: Orders.eventsQueue })
    const pendingBeforeReplay = beforeReplay.reduce((n, s) => n + s.pending, 0)

    // The fix ships: the new SKU is in the catalogue and the crash is gone. Messages in the old
    // format are repaired; what cannot be parsed at all goes to a table for a human.
    warehouse.catalogue.add("sku-new")
    warehouse.bugFixed = true
    let quarantined = 0
    const repair = (entry: DeadLetter.Entry) =>
      Option.match(decodeRepairable(entry.originalMessage), {
        onSome: (event): Effect.Effect<unknown, unknown, SqlClient.SqlClient> => PgQueue.enqueue(entry.queueName, event),
        onNone: () =>
          Effect.tap(
            sql`INSERT INTO order_events_quarantine (dead_letter_id, payload)
                VALUES (${entry.id}, ${entry.originalText ?? JSON.stringify(entry.originalMessage)})`,
            () => Effect.sync(() => quarantined++)
          )
      }).pipe(Effect.provideService(SqlClient.SqlClient, sql))
    const replay = yield* dlq.replay({ queue: Orders.eventsQueue }, { processor: repair })
    yield* waitUntil("the replayed messages to be processed", drained)
    const pendingAfterReplay = yield* pendingDeadLetters
    yield* report

    const after = yield* retryCounters
    const [{ shipped }] = yield* sql<{ shipped: string }>`SELECT count(*) AS shipped FROM shipments`
    const [{ repaired }] = yield* sql<{ repaired: string }>`SELECT count(*) AS repaired FROM shipments
        WHERE order_id BETWEEN 900000 AND 999999`
    const [{ accepted }] = yield* sql<{ accepted: string }>`SELECT count(*) AS accepted FROM orders`


    return {
      endpoints: { naive: naive.url, resilient: resilientUrl, upstream: upstream.url },
      phases: spans,
      samples,
      transitions,
      killSwitch,
      retries: after.retries - before.retries,
      budgetRefusals: after.refusals - before.refusals,
      killSwitchSkips: after.skips - before.skips,
      upstreamCalls: calls,
      leaks,
      duplicates: { sent: duplicatesSent, conflict409, otherwise },
      queue: {
        poisonSent,
        deadLetteredBeforeReplay: Object.fromEntries(beforeReplay.map((s) => [s.errorCode, s.total])),
        pendingBeforeReplay,
        replayed: replay.replayed.length,
        replayFailed: replay.failed.length,
        quarantined,
        pendingAfterReplay,
        repairedShipped: Number(repaired),
        repairable: Array.from({ length: poisonSent }, (_, i) => poison[i % poison.length]!).filter((p) => p.repairable)
          .length,
        shipped: Number(shipped),
        ordersAccepted: Number(accepted)
      }
    }
  })

/**
 * Runs the scenario against the database at `options.databaseUrl` and returns what it measured.
 * Every server, fiber and connection it starts is stopped before it returns.
 */
export const run = (options: Options): Effect.Effect<Result> =>
  Effect.suspend(() => {
    const logLines: Array<string> = []
    const capture = Logger.make<unknown, void>((entry) => {
      if (LogLevel.greaterThanEqual(entry.logLevel, LogLevel.Warning)) logLines.push(ErrorLog.jsonLogger.log(entry))
    })
    const Database = PgClient.layer({
      url: Redacted.make(options.databaseUrl),
      maxConnections: 20,
      connectTimeout: Duration.seconds(10)
    })
    const Env = Layer.mergeAll(
      DeadLetterPostgres.layer(),
      FeatureFlags.layerMemory({ [Orders.liveInventoryFlag]: true })
    ).pipe(Layer.provideMerge(Database))
    return scenario(options).pipe(
      Effect.scoped,
      Effect.provide(Env),
      // The service's logs go to the report's log file, not over the progress display.
      Effect.locally(FiberRef.currentLoggers, HashSet.make(capture)),
      Effect.withRandom(Random.make(options.seed ?? 42)),
      Effect.map((result) => ({ ...result, logLines })),
      Effect.orDie
    )
  })
