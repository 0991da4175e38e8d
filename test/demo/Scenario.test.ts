/**
 * A short run of the `npm start` scenario against the real Postgres of the test run: the
 * headline facts the demo exists to show must hold, and nothing it started may outlive it.
 */
import { Effect } from "effect"
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { promisify } from "node:util"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Report from "../../examples/demo/Report.js"
import * as Scenario from "../../examples/demo/Scenario.js"
import { adminUrl } from "../support/PgTest.js"
import { createDatabase, dropDatabase, randomDatabaseName } from "../support/PostgresServer.js"

const run = promisify(execFile)
const root = Path.resolve(import.meta.dirname, "../..")
const tsx = Path.join(root, "node_modules", ".bin", "tsx")
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
  result = await Effect.runPromise(Scenario.run({ databaseUrl: url, phaseMillis: 2_000, rate: 25, seed: 7 }))
  summaries = Report.summarize(result.samples, result.phases)
}, 120_000)

afterAll(() => dropDatabase(adminUrl(), name))

describe("the demo scenario", () => {
  it("sends the same load to both services through all six phases", () => {
    expect(result.phases.map((p) => p.name)).toEqual(Scenario.phases.map((p) => p.name))
    const naive = totals("naive")
    const resilient = totals("resilient")
    // Duplicates are counted apart, so each phase has its 50 ticks minus the re-sent orders.
    expect(naive.total + result.duplicates.sent).toBe(6 * 25 * 2)
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
    expect(result.upstreamCalls.resilient["down"] ?? 0).toBeLessThan((result.upstreamCalls.naive["down"] ?? 0) / 2)
    expect(result.retries).toBeGreaterThan(0)
  })

  it("the kill switch was flipped off and on, and skipped upstream calls meanwhile", () => {
    expect(result.killSwitch.map((k) => k.on)).toEqual([false, true])
    expect(result.killSwitchSkips).toBeGreaterThan(0)
  })

  it("duplicates are a 409 without leaking internals; the naive service leaks", () => {
    expect(result.duplicates.sent).toBeGreaterThan(0)
    expect(result.duplicates.conflict409.resilient).toBe(result.duplicates.sent)
    expect(result.duplicates.otherwise.resilient).toEqual({})
    expect(result.duplicates.conflict409.naive).toBe(0)
    expect(result.duplicates.otherwise.naive["500"]).toBeGreaterThan(0)
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

  it("writes its WARN-and-above log lines as JSON, dead letters and refused duplicates among them", () => {
    const entries = result.logLines.map((line) => JSON.parse(line) as Record<string, unknown>)
    for (const entry of entries) expect(["WARN", "ERROR", "FATAL"]).toContain(entry["level"])
    const deadLettered = entries.filter((e) => e["message"] === "message_dead_lettered")
    expect(deadLettered.length).toBeGreaterThanOrEqual(result.queue.poisonSent)
    expect(entries.filter((e) => e["error_code"] === "DB_UNIQUE_VIOLATION")).toHaveLength(result.duplicates.sent)
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

describe("npm start", () => {
  it("runs a short scenario, writes both reports and exits 0 on its own", async () => {
    const out = Fs.mkdtempSync(Path.join(Os.tmpdir(), "demo-report-"))
    try {
      // No kill, no forced exit in main.ts: a fiber or timer left behind would keep the process
      // alive until the 90 s timeout below fails the test.
      const { stdout } = await run(tsx, ["examples/demo/main.ts", "--duration", "6", "--rate", "5", "--out", out], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: adminUrl() },
        timeout: 90_000
      })
      expect(stdout).toMatch(/failed requests: naive \d+ of \d+/)
      expect(stdout).toContain(`HTML report: ${Path.join(out, "demo-report.html")}`)
      const html = Fs.readFileSync(Path.join(out, "demo-report.html"), "utf8")
      expect(html).toContain("<svg")
      expect(html).not.toMatch(/<script|<link|src=|https?:\/\//i)
      const log = Fs.readFileSync(Path.join(out, "demo-errors.jsonl"), "utf8").trim().split("\n")
      expect(log.length).toBeGreaterThan(0)
      for (const line of log) expect(() => JSON.parse(line)).not.toThrow()
    } finally {
      Fs.rmSync(out, { recursive: true, force: true })
    }
  }, 120_000)

  it("refuses a duration too short for six phases with a usage error", async () => {
    const failed = await run(tsx, ["examples/demo/main.ts", "--duration", "2"], { cwd: root, timeout: 60_000 }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error
    )
    expect(failed?.code).not.toBe(0)
    expect(`${failed?.stdout}${failed?.stderr}`).toMatch(/duration/i)
    expect(`${failed?.stdout}${failed?.stderr}`).not.toMatch(/\n\s+at /)
  }, 60_000)
})
