/**
 * What a successful call pays for retry, timeout and bulkhead machinery it does not use.
 *
 *   npx tsx --expose-gc bench/retry.bench.ts      (or: npm run bench -- retry)
 *
 * Effect rows run N calls sequentially inside one fiber (so the runtime's entry cost is not
 * counted); promise rows run N awaited calls in one async loop. Each row is measured in several
 * interleaved rounds and the best round is printed (on a shared, loaded machine the minimum is
 * the steadiest estimate of a call's own cost; the median is printed beside it), with the
 * nanoseconds added over the row's own bare baseline.
 */
import { bulkhead as cockatielBulkhead, ExponentialBackoff, handleAll, retry as cockatielRetry, timeout as cockatielTimeout, TimeoutStrategy } from "cockatiel"
import { Duration, Effect } from "effect"
import * as Bulkhead from "../src/Bulkhead.js"
import * as Retry from "../src/Retry.js"
import * as Timeout from "../src/Timeout.js"

const N = Number(process.env.N ?? 50_000)
const ROUNDS = Number(process.env.ROUNDS ?? 7)
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

const loop = <A, E>(call: Effect.Effect<A, E>, n: number): Effect.Effect<void, E> =>
  Effect.suspend(() => {
    const go = (i: number): Effect.Effect<void, E> => i === n ? Effect.void : Effect.flatMap(call, () => go(i + 1))
    return go(0)
  })

const timeEffect = async <A, E>(call: Effect.Effect<A, E>): Promise<number> => {
  await Effect.runPromise(loop(call, Math.min(N, 5_000)))
  gc()
  const t0 = process.hrtime.bigint()
  await Effect.runPromise(loop(call, N))
  return Number(process.hrtime.bigint() - t0) / N
}

const timePromise = async (call: () => Promise<unknown>): Promise<number> => {
  for (let i = 0; i < Math.min(N, 5_000); i++) await call()
  gc()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < N; i++) await call()
  return Number(process.hrtime.bigint() - t0) / N
}

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const best = (xs: Array<number>) => Math.min(...xs)

interface Row {
  readonly group: string
  readonly name: string
  readonly baseline?: string
  readonly run: () => Promise<number>
}

// --- the calls -----------------------------------------------------------------

const bare = Effect.succeed(42)
const barePromise = () => Promise.resolve(42)

const policy = Retry.policy({ operation: "bench", idempotent: true })
const budgeted = Retry.policy({ operation: "bench-budget", idempotent: true, budget: Retry.unsafeMakeBudget() })
const ourRetry = Retry.retry(bare, policy)
const ourRetryBudget = Retry.retry(bare, budgeted)
const effectRetryTimes = Effect.retry(bare, { times: 3 })
const effectRetrySchedule = Effect.retry(bare, Retry.exponential())
const cockatielRetryPolicy = cockatielRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() })

const ourTimeout = Timeout.timeout(bare, { service: "bench", duration: "5 seconds" })
const effectTimeout = Effect.timeout(bare, Duration.seconds(5))
const effectTimeoutFail = Effect.timeoutFail(bare, { duration: Duration.seconds(5), onTimeout: () => "timeout" })
const raceFirst = Effect.raceFirst(bare, Effect.zipRight(Effect.sleep(Duration.seconds(5)), Effect.fail("timeout")))
const cockatielTimeoutPolicy = cockatielTimeout(5_000, TimeoutStrategy.Aggressive)

const ourBulkhead = Bulkhead.unsafeMake({ name: "bench", maxConcurrent: 10, maxQueue: 100 })
const ourBulkheaded = Bulkhead.withBulkhead(bare, ourBulkhead)
const semaphore = Effect.runSync(Effect.makeSemaphore(10))
const semaphored = semaphore.withPermits(1)(bare)
const cockatielBulkheadPolicy = cockatielBulkhead(10, 100)

const rows: Array<Row> = [
  { group: "baseline", name: "bare Effect.succeed", run: () => timeEffect(bare) },
  { group: "baseline", name: "bare Promise.resolve", run: () => timePromise(barePromise) },
  { group: "retry", name: "Retry.retry (success)", baseline: "bare Effect.succeed", run: () => timeEffect(ourRetry) },
  { group: "retry", name: "Retry.retry + budget (success)", baseline: "bare Effect.succeed", run: () => timeEffect(ourRetryBudget) },
  { group: "retry", name: "Effect.retry({ times: 3 })", baseline: "bare Effect.succeed", run: () => timeEffect(effectRetryTimes) },
  { group: "retry", name: "Effect.retry(Retry.exponential())", baseline: "bare Effect.succeed", run: () => timeEffect(effectRetrySchedule) },
  { group: "retry", name: "cockatiel retry", baseline: "bare Promise.resolve", run: () => timePromise(() => cockatielRetryPolicy.execute(barePromise)) },
  { group: "timeout", name: "Timeout.timeout (success)", baseline: "bare Effect.succeed", run: () => timeEffect(ourTimeout) },
  { group: "timeout", name: "Effect.timeout", baseline: "bare Effect.succeed", run: () => timeEffect(effectTimeout) },
  { group: "timeout", name: "Effect.timeoutFail", baseline: "bare Effect.succeed", run: () => timeEffect(effectTimeoutFail) },
  { group: "timeout", name: "Effect.raceFirst(self, sleep)", baseline: "bare Effect.succeed", run: () => timeEffect(raceFirst) },
  { group: "timeout", name: "cockatiel timeout (aggressive)", baseline: "bare Promise.resolve", run: () => timePromise(() => cockatielTimeoutPolicy.execute(barePromise)) },
  { group: "bulkhead", name: "Bulkhead.withBulkhead", baseline: "bare Effect.succeed", run: () => timeEffect(ourBulkheaded) },
  { group: "bulkhead", name: "Effect semaphore.withPermits(1)", baseline: "bare Effect.succeed", run: () => timeEffect(semaphored) },
  { group: "bulkhead", name: "cockatiel bulkhead", baseline: "bare Promise.resolve", run: () => timePromise(() => cockatielBulkheadPolicy.execute(barePromise)) }
]

const main = async () => {
  const samples = new Map<string, Array<number>>(rows.map((r) => [r.name, []]))
  // Interleave rounds so drift (thermal, GC, JIT) spreads over every row.
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of rows) samples.get(row.name)!.push(await row.run())
  }
  const ns = new Map([...samples].map(([k, v]) => [k, best(v)]))
  const med = new Map([...samples].map(([k, v]) => [k, median(v)]))
  const added = (row: Row) => row.baseline === undefined ? 0 : Math.max(0, ns.get(row.name)! - ns.get(row.baseline)!)
  console.log(`node ${process.version}, N=${N} sequential calls, best of ${ROUNDS} rounds (median beside it)`)
  console.log(`${"row".padEnd(36)} ${"ns/call".padStart(9)} ${"added ns".padStart(9)} ${"calls/s".padStart(11)} ${"median ns".padStart(10)}`)
  let group = ""
  for (const row of rows) {
    if (row.group !== group) console.log(`-- ${group = row.group}`)
    const t = ns.get(row.name)!
    console.log(
      `${row.name.padEnd(36)} ${t.toFixed(0).padStart(9)} ${added(row).toFixed(0).padStart(9)} ` +
        `${Math.round(1e9 / t).toLocaleString("en").padStart(11)} ${med.get(row.name)!.toFixed(0).padStart(10)}`
    )
  }
  const byName = (name: string) => added(rows.find((r) => r.name === name)!)
  const ratio = (a: string, b: string) => `${(byName(a) / Math.max(1, byName(b))).toFixed(3)}`
  console.log("\nratios of added cost (lower is better for the first):")
  console.log(`  Retry.retry / Effect.retry({ times: 3 })        ${ratio("Retry.retry (success)", "Effect.retry({ times: 3 })")}`)
  console.log(`  Retry.retry / cockatiel retry                    ${ratio("Retry.retry (success)", "cockatiel retry")}`)
  console.log(`  Retry.retry + budget / Effect.retry({ times: 3 }) ${ratio("Retry.retry + budget (success)", "Effect.retry({ times: 3 })")}`)
  console.log(`  Timeout.timeout / Effect.timeout                 ${ratio("Timeout.timeout (success)", "Effect.timeout")}`)
  console.log(`  Timeout.timeout / cockatiel timeout              ${ratio("Timeout.timeout (success)", "cockatiel timeout (aggressive)")}`)
  console.log(`  Bulkhead / Effect semaphore                      ${ratio("Bulkhead.withBulkhead", "Effect semaphore.withPermits(1)")}`)
  console.log(`  Bulkhead / cockatiel bulkhead                    ${ratio("Bulkhead.withBulkhead", "cockatiel bulkhead")}`)
}

main()

