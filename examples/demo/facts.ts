/**
 * The headline facts of a scenario run, one sentence each, for the terminal and the HTML report.
 */
import type { PhaseSummary } from "./Report.js"
import type { Result } from "./Scenario.js"

const percent = (n: number, total: number) => total === 0 ? "0%" : `${((100 * n) / total).toFixed(1)}%`

const seconds = (t: number) => `${(t / 1000).toFixed(1)}s`

const totals = (summaries: ReadonlyArray<PhaseSummary>, client: PhaseSummary["client"]) =>
  summaries.filter((s) => s.client === client).reduce(
    (acc, s) => ({ total: acc.total + s.total, failed: acc.failed + s.failed, degraded: acc.degraded + s.degraded }),
    { total: 0, failed: 0, degraded: 0 }
  )

const statuses = (otherwise: Result["duplicates"]["otherwise"]) => {
  const parts = (["naive", "resilient"] as const).flatMap((client) =>
    Object.entries(otherwise[client]).map(([status, n]) => `${client} answered ${status} ${n}x`)
  )
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`
}

const phaseAt = (result: Result, t: number) =>
  result.phases.find((p) => t >= p.start && t < p.end)?.name ?? "after the load"

export const renderFacts = (result: Result, summaries: ReadonlyArray<PhaseSummary>): ReadonlyArray<string> => {
  const naive = totals(summaries, "naive")
  const resilient = totals(summaries, "resilient")
  const opened = result.transitions.filter((t) => t.from === "Closed" && t.to === "Open").length
  const reopened = result.transitions.filter((t) => t.from === "HalfOpen" && t.to === "Open").length
  const closed = result.transitions.filter((t) => t.to === "Closed").length
  const q = result.queue
  const byCode = Object.entries(q.deadLetteredBeforeReplay).map(([code, n]) => `${code} ${n}`).join(", ") || "none"
  const down = (client: "naive" | "resilient") => result.upstreamCalls[client]["down"] ?? 0
  return [
    `failed requests: naive ${naive.failed} of ${naive.total} (${percent(naive.failed, naive.total)}), ` +
    `resilient ${resilient.failed} of ${resilient.total} (${percent(resilient.failed, resilient.total)}); ` +
    `the resilient service degraded ${resilient.degraded} answers (stale cache, default, kill switch) instead of failing`,
    `circuit breaker: opened ${opened}x, re-opened by a failed probe ${reopened}x, closed ${closed}x: ${
      result.transitions.length === 0 ? "no transitions" : [
        ...result.transitions.slice(0, 6).map((t) => `${t.from}->${t.to} at ${seconds(t.t)} (${phaseAt(result, t.t)})`),
        ...(result.transitions.length > 6 ? [`${result.transitions.length - 6} more in the HTML timeline`] : [])
      ].join(", ")
    }`,
    `retries spent: ${result.retries}; retries refused by the retry budget: ${result.budgetRefusals}`,
    `kill switch inventory_live: ${
      result.killSwitch.map((k) => `${k.on ? "on" : "off"} at ${seconds(k.t)}`).join(", ") || "never flipped"
    }; upstream calls it skipped: ${result.killSwitchSkips}`,
    `upstream calls while it was down: naive ${down("naive")}, resilient ${down("resilient")}`,
    `duplicate orders (re-sent after both services answered them): ${result.duplicates.sent}; ` +
    `answered 409 by resilient ${result.duplicates.conflict409.resilient}, by naive ${result.duplicates.conflict409.naive}` +
    statuses(result.duplicates.otherwise),
    `error responses leaking internals (SQL, constraint names, stack frames): naive ${result.leaks.naive}, resilient ${result.leaks.resilient}`,
    `orders accepted ${q.ordersAccepted}, shipped ${q.shipped}; poison messages sent ${q.poisonSent}, dead-lettered: ${byCode}`,
    `dead-letter queue depth before replay ${q.pendingBeforeReplay}, after replay ${q.pendingAfterReplay}: ` +
    `${q.replayed} replayed (${q.repairedShipped} of ${q.repairable} repairable shipped, ${q.quarantined} quarantined for a human), ` +
    `${q.replayFailed} failed again`,
    `structured error log: ${result.logLines.length} JSON lines at WARN and above`
  ]
}
