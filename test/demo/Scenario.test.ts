/**
 * A short run of the `npm start` scenario against the real Postgres of the test run: the
 * headline facts the demo exists to show must hold, and nothing it started may outlive it.
 */
import { Effect } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Report from "../../examples/demo/Report.js"
import * as Scenario from "../../examples/demo/Scenario.js"
import { adminUrl } from "../support/PgTest.js"
import { createDatabase, dropDatabase, randomDatabaseName } from "../support/PostgresServer.js"

const name = randomDatabaseName("demo_scenario")
let result: Scenario.Result
let summaries: ReadonlyArray<Report.PhaseSummary>

const totals = (client: Report.Client) =>
  summaries.filter((s) => s.client === client).reduce(
    (acc, s) => ({ total: acc.total + s.total, failed: acc.failed + s.failed, degraded: acc.degraded + s.degraded }),
    { total: 0, failed: 0, degraded: 0 }
  )

beforeAll(async () => {
  const url = await createDatabase(adminUrl(), name)
  result = await Effect.runPromise(Scenario.run({ databaseUrl: url, phaseMillis: 1_500, rate: 25, seed: 7 }))
  summaries = Report.summarize(result.samples, result.phases)
}, 120_000)

afterAll(() => dropDatabase(adminUrl(), name))

describe("the demo scenario", () => {
  it("sends the same load to both services through all six phases", () => {
    expect(result.phases.map((p) => p.name)).toEqual(Scenario.phases.map((p) => p.name))
    const naive = totals("naive")
    const resilient = totals("resilient")
    expect(naive.total).toBe(6 * Math.round(25 * 1.5))
    expect(resilient.total).toBe(naive.total)
  })

  it("the resilient service fails far less than the naive one", () => {
    const naive = totals("naive")
    const resilient = totals("resilient")
    expect(naive.failed / naive.total).toBeGreaterThan(0.2)
    expect(resilient.failed * 10).toBeLessThan(naive.failed)
    // It degrades instead: answers from the stale cache, the default or the kill switch.
    expect(resilient.degraded).toBeGreaterThan(0)
    const down = summaries.find((s) => s.phase === "down" && s.client === "naive")!
    expect(down.failed / down.total).toBeGreaterThan(0.9)
  })

  it("the breaker opened during the faults and closed again after them", () => {
    const opened = result.transitions.findIndex((t) => t.to === "Open")
    expect(opened).toBeGreaterThanOrEqual(0)
    const closedAfter = result.transitions.slice(opened).some((t) => t.to === "Closed")
    expect(closedAfter).toBe(true)
    expect(result.transitions.at(-1)?.to).toBe("Closed")
    // Failing fast: while the upstream was down the resilient service barely called it.
    expect(result.upstreamCalls.resilient["down"] ?? 0).toBeLessThan((result.upstreamCalls.naive["down"] ?? 0) / 3)
    expect(result.retries).toBeGreaterThan(0)
  })

  it("the kill switch was flipped off and on, and skipped upstream calls meanwhile", () => {
    expect(result.killSwitch.map((k) => k.on)).toEqual([false, true])
    expect(result.killSwitchSkips).toBeGreaterThan(0)
  })

  it("duplicates are a 409 without leaking internals; the naive service leaks", () => {
    expect(result.duplicates.sent).toBeGreaterThan(0)
    expect(result.duplicates.conflict409.resilient).toBe(result.duplicates.sent)
    expect(result.duplicates.conflict409.naive).toBe(0)
    expect(result.leaks.resilient).toBe(0)
    expect(result.leaks.naive).toBeGreaterThan(0)
  })

  it("every poison message is dead-lettered, and the replay empties the dead-letter queue", () => {
    const q = result.queue
    expect(q.poisonSent).toBe(12)
    const deadLettered = Object.values(q.deadLetteredBeforeReplay).reduce((a, b) => a + b, 0)
    expect(deadLettered).toBe(q.poisonSent)
    expect(q.pendingBeforeReplay).toBe(q.poisonSent)
    expect(q.replayed).toBe(q.poisonSent)
    expect(q.replayFailed).toBe(0)
    expect(q.pendingAfterReplay).toBe(0)
    expect(q.repairedShipped).toBe(q.repairable)
    expect(q.quarantined).toBe(q.poisonSent - q.repairable)
    // Nothing vanished: every accepted order was shipped, plus the repaired poison.
    expect(q.shipped).toBe(q.ordersAccepted + q.repairedShipped)
  })

  it("writes one structured JSON log line per failure it reports", () => {
    expect(result.logLines.length).toBeGreaterThan(0)
    for (const line of result.logLines) {
      const entry = JSON.parse(line) as Record<string, unknown>
      expect(["WARN", "ERROR", "FATAL"]).toContain(entry["level"])
    }
  })

  it("leaves nothing running", async () => {
    for (const url of Object.values(result.endpoints)) {
      await expect(fetch(url, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow()
    }
    const client = new pg.Client({ connectionString: adminUrl() })
    await client.connect()
    try {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [name])
      expect(rows[0].n).toBe(0)
    } finally {
      await client.end()
    }
  })
})
