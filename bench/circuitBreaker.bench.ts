/**
 * What a closed circuit breaker adds to a successful call, against the peers, in one process.
 *
 *   npx tsx --expose-gc bench/circuitBreaker.bench.ts [--quick]
 *
 * Rows come in two families, each with its own bare baseline: Effect rows wrap an `Effect`,
 * promise rows wrap a function returning a promise. "added ns/call" is a row's time per call
 * minus its family's bare time, measured in the same round, so it is the wrapper's cost alone.
 * Two modes: sequential (one call after another; the Effect call is synchronous) and with
 * 1,000 calls in flight (1,000 workers, each call resolves on the microtask queue).
 *
 * To add a row (the full-policy rows (c) and (e)), append a `Row` to `rows`: an Effect row
 * gives `wrap(call)` and a promise row gives `wrap(fn)`; setup runs once, before any round.
 */
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleAll, retry, timeout, TimeoutStrategy, wrap } from "cockatiel"
import { Effect, Ref, Scope } from "effect"
import Opossum from "opossum"
import * as CircuitBreaker from "../src/CircuitBreaker.js"
import * as Policy from "../src/Policy.js"
import * as Retry from "../src/Retry.js"

type Mode = "sequential" | "1000 in flight"

interface EffectRow {
  readonly key: string
  readonly label: string
  readonly family: "effect"
  /** Wraps the call once; the wrapped effect is run many times. */
  readonly wrap: (call: Effect.Effect<number>) => Effect.Effect<number, unknown>
}

interface PromiseRow {
  readonly key: string
  readonly label: string
  readonly family: "promise"
  readonly wrap: (fn: () => Promise<number>) => () => Promise<number>
}

type Row = EffectRow | PromiseRow

const quick = process.argv.includes("--quick")
const CALLS = quick ? 50_000 : 300_000
const ROUNDS = quick ? 3 : 11
const IN_FLIGHT = 1_000
const HEAP_CALLS = 1_000_000

const scope = Effect.runSync(Scope.make())
const newBreaker = (name: string, options: Partial<CircuitBreaker.Options> = {}) =>
  Effect.runSync(Scope.extend(CircuitBreaker.make({ name, ...options }), scope))

const ref = Effect.runSync(Ref.make(0))
const breakerB = newBreaker("bench-b")
const breakerTimed = newBreaker("bench-b-timed", {
  trip: CircuitBreaker.timeWindow({ window: "10 seconds", slowCall: { threshold: "1 second", rate: 0.5 } })
})
const opossums: Array<Opossum> = []
const fullPolicy = Policy.make({
  service: "bench",
  timeout: "10 seconds",
  retry: Retry.policy({ operation: "bench", idempotent: true, maxAttempts: 4 }),
  breaker: newBreaker("bench-c")
})

const rows: Array<Row> = [
  { key: "a", label: "bare Effect", family: "effect", wrap: (call) => call },
  {
    key: "floor",
    label: "Effect floor: Ref.get + tapErrorCause",
    family: "effect",
    wrap: (call) => Effect.zipRight(Ref.get(ref), Effect.tapErrorCause(call, () => Effect.void))
  },
  { key: "b", label: "effect-resilience breaker (closed)", family: "effect", wrap: (call) => breakerB.protect(call) },
  {
    key: "b'",
    label: "ours, time window + slow calls",
    family: "effect",
    wrap: (call) => breakerTimed.protect(call)
  },
  {
    key: "c",
    label: "ours, full policy (timeout+retry+breaker)",
    family: "effect",
    wrap: (call) => Policy.apply(call, fullPolicy)
  },
  { key: "-", label: "bare promise", family: "promise", wrap: (fn) => fn },
  {
    key: "e",
    label: "cockatiel wrap(retry, breaker, timeout)",
    family: "promise",
    wrap: (fn) => {
      const policy = wrap(
        retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
        circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }),
        timeout(10_000, TimeoutStrategy.Aggressive)
      )
      return () => policy.execute(fn)
    }
  },
  {
    key: "d",
    label: "cockatiel circuitBreaker",
    family: "promise",
    wrap: (fn) => {
      const policy = circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) })
      return () => policy.execute(fn)
    }
  },
  {
    key: "f",
    label: "opossum (timeout: false)",
    family: "promise",
    wrap: (fn) => {
      const breaker = new Opossum(fn, { timeout: false, resetTimeout: 30_000 })
      opossums.push(breaker)
      return () => breaker.fire() as Promise<number>
    }
  },
  {
    key: "f'",
    label: "opossum (defaults: 10 s timeout)",
    family: "promise",
    wrap: (fn) => {
      const breaker = new Opossum(fn)
      opossums.push(breaker)
      return () => breaker.fire() as Promise<number>
    }
  }
]

// --- drivers -----------------------------------------------------------------------

const syncCall = Effect.sync(() => 1)
const asyncCall = Effect.promise(() => Promise.resolve(1))
const promiseFn = () => Promise.resolve(1)

const effectLoop = (call: Effect.Effect<number, unknown>, n: number): Effect.Effect<void, unknown> =>
  Effect.suspend(() => {
    let i = 0
    return Effect.whileLoop({ while: () => i < n, body: () => call, step: () => void i++ })
  })

const runEffect = (call: Effect.Effect<number, unknown>, mode: Mode, n: number): Promise<void> =>
  Effect.runPromise(
    mode === "sequential"
      ? effectLoop(call, n)
      : Effect.forEach(Array.from({ length: IN_FLIGHT }), () => effectLoop(call, n / IN_FLIGHT), {
        concurrency: "unbounded",
        discard: true
      })
  )

const runPromise = async (fn: () => Promise<number>, mode: Mode, n: number): Promise<void> => {
  const worker = async (calls: number) => {
    for (let i = 0; i < calls; i++) await fn()
  }
  if (mode === "sequential") await worker(n)
  else await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker(n / IN_FLIGHT)))
}

interface Prepared {
  readonly row: Row
  readonly run: (mode: Mode, n: number) => Promise<void>
}

const prepare = (row: Row): Prepared => {
  if (row.family === "effect") {
    const sync = row.wrap(syncCall)
    const async = row.wrap(asyncCall)
    return { row, run: (mode, n) => runEffect(mode === "sequential" ? sync : async, mode, n) }
  }
  const wrapped = row.wrap(promiseFn)
  return { row, run: (mode, n) => runPromise(wrapped, mode, n) }
}

/**
 * Best of the rounds: other processes on a shared machine only ever add time, so the fastest
 * round is the closest to the code's own cost (the median is printed alongside).
 */
const best = (xs: ReadonlyArray<number>): number => Math.min(...xs)

const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const timeNs = async (f: () => Promise<void>): Promise<number> => {
  const start = process.hrtime.bigint()
  await f()
  return Number(process.hrtime.bigint() - start)
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.()

// --- measurement --------------------------------------------------------------------

interface Result {
  readonly row: Row
  readonly mode: Mode
  readonly nsPerCall: number
  readonly addedNs: number
  readonly medianAddedNs: number
}

const measure = async (prepared: ReadonlyArray<Prepared>, mode: Mode): Promise<Array<Result>> => {
  for (const p of prepared) await p.run(mode, CALLS) // warm-up: JIT and inline caches
  const samples = new Map<Row, Array<number>>(prepared.map((p) => [p.row, []]))
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no row always runs right after a GC-heavy one.
    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[(i + round) % prepared.length]!
      gc()
      samples.get(p.row)!.push((await timeNs(() => p.run(mode, CALLS))) / CALLS)
    }
  }
  const bareOf = (stat: (xs: ReadonlyArray<number>) => number) => ({
    effect: stat(samples.get(rows.find((r) => r.key === "a")!)!),
    promise: stat(samples.get(rows.find((r) => r.key === "-")!)!)
  })
  const bare = bareOf(best)
  const bareMedian = bareOf(median)
  return prepared.map(({ row }) => {
    const ns = best(samples.get(row)!)
    return {
      row,
      mode,
      nsPerCall: ns,
      addedNs: ns - bare[row.family],
      medianAddedNs: median(samples.get(row)!) - bareMedian[row.family]
    }
  })
}

const heapGrowth = async (): Promise<{ before: number; after: number }> => {
  const breaker = newBreaker("bench-heap")
  const call = breaker.protect(syncCall)
  await runEffect(call, "sequential", 100_000)
  gc()
  gc()
  const before = process.memoryUsage().heapUsed
  await runEffect(call, "sequential", HEAP_CALLS)
  gc()
  gc()
  return { before, after: process.memoryUsage().heapUsed }
}

const pad = (s: string, n: number) => s.padEnd(n)
const num = (x: number, digits = 0) =>
  x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

const main = async () => {
  const prepared = rows.map(prepare)
  const results: Array<Result> = []
  for (const mode of ["sequential", "1000 in flight"] as const) results.push(...(await measure(prepared, mode)))
  const heap = await heapGrowth()
  for (const b of opossums) b.shutdown()
  await Effect.runPromise(Scope.close(scope, Effect.void.pipe(Effect.exit) as never))

  console.log(`\ncircuit breaker, closed, successful calls (${CALLS.toLocaleString()} calls, best of ${ROUNDS} rounds)`)
  console.log(`node ${process.version}, ${process.arch}\n`)
  console.log(
    `${pad("row", 46)}${pad("mode", 16)}${"calls/s".padStart(14)}${"ns/call".padStart(10)}${"added ns".padStart(10)}${
      "(median)".padStart(10)
    }`
  )
  for (const r of results) {
    console.log(
      `${pad(`(${r.row.key}) ${r.row.label}`, 46)}${pad(r.mode, 16)}${num(1e9 / r.nsPerCall).padStart(14)}${
        num(r.nsPerCall).padStart(10)
      }${(r.row.key === "a" || r.row.key === "-" ? "-" : num(r.addedNs)).padStart(10)}${
        (r.row.key === "a" || r.row.key === "-" ? "" : num(r.medianAddedNs)).padStart(10)
      }`
    )
  }
  const added = (key: string, mode: Mode) => results.find((r) => r.row.key === key && r.mode === mode)!.addedNs
  console.log("")
  for (const mode of ["sequential", "1000 in flight"] as const) {
    const ours = added("b", mode)
    console.log(
      `${pad(mode, 16)} ours ${num(ours)} ns | vs opossum ${num(ours / added("f", mode), 2)}x, with its default timeout ${
        num(ours / added("f'", mode), 2)
      }x (goal < 1) | vs floor ${num(ours / added("floor", mode), 2)}x (goal <= 1.5) | vs cockatiel ${
        num(ours / added("d", mode), 2)
      }x`
    )
  }
  for (const mode of ["sequential", "1000 in flight"] as const) {
    const ours = added("c", mode)
    console.log(
      `${pad(mode, 16)} full policy ${num(ours)} ns | vs cockatiel wrap(retry, breaker, timeout) ${
        num(ours / added("e", mode), 2)
      }x (goal <= 1)`
    )
  }
  const growth = heap.after - heap.before
  console.log(
    `\nheap after ${HEAP_CALLS.toLocaleString()} calls through one breaker: ${num(heap.before / 1024)} KB -> ${
      num(heap.after / 1024)
    } KB (${growth >= 0 ? "+" : ""}${num(growth / 1024)} KB, ${num(growth / HEAP_CALLS, 3)} bytes/call)`
  )
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
