import { describe, expect, it } from "vitest"
import * as Report from "../../examples/demo/Report.js"

const phases: ReadonlyArray<Report.PhaseSpan> = [
  { name: "healthy", start: 0, end: 1000 },
  { name: "down", start: 1000, end: 2000 }
]

const samples: ReadonlyArray<Report.Sample> = [
  ...Array.from({ length: 100 }, (_, i): Report.Sample => ({
    t: i * 10,
    client: "naive",
    phase: "healthy",
    outcome: "success",
    latencyMs: i + 1
  })),
  ...Array.from({ length: 10 }, (_, i): Report.Sample => ({
    t: 1000 + i * 100,
    client: "naive",
    phase: "down",
    outcome: "failed",
    code: i < 7 ? "SERVICE_UNAVAILABLE" : "NETWORK_TIMEOUT",
    latencyMs: 5000
  })),
  ...Array.from({ length: 10 }, (_, i): Report.Sample => ({
    t: 1000 + i * 100,
    client: "resilient",
    phase: "down",
    outcome: i < 9 ? "degraded" : "failed",
    code: "CIRCUIT_OPEN",
    latencyMs: 1
  }))
]

describe("demo report", () => {
  it("computes nearest-rank percentiles", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(Report.percentile(sorted, 50)).toBe(50)
    expect(Report.percentile(sorted, 99)).toBe(99)
    expect(Report.percentile(sorted, 100)).toBe(100)
    expect(Report.percentile([7], 99)).toBe(7)
    expect(Report.percentile([], 50)).toBe(0)
  })

  it("summarizes outcomes and failure codes per phase and client", () => {
    const summaries = Report.summarize(samples, phases)
    const naiveDown = summaries.find((s) => s.phase === "down" && s.client === "naive")!
    expect(naiveDown).toMatchObject({ total: 10, success: 0, failed: 10, degraded: 0 })
    expect(naiveDown.failedByCode).toEqual({ SERVICE_UNAVAILABLE: 7, NETWORK_TIMEOUT: 3 })
    const resilientDown = summaries.find((s) => s.phase === "down" && s.client === "resilient")!
    expect(resilientDown).toMatchObject({ total: 10, degraded: 9, failed: 1, p50: 1 })
    const naiveHealthy = summaries.find((s) => s.phase === "healthy" && s.client === "naive")!
    expect(naiveHealthy).toMatchObject({ total: 100, success: 100, p50: 50, p99: 99 })
    expect(Report.renderText(summaries)).toMatch(/down\s+naive\s+10\s+0%\s+0%\s+100%/)
  })

  it("renders one self-contained HTML file with charts and escaped text", () => {
    const html = Report.renderHtml({
      title: "demo <run>",
      samples,
      phases,
      transitions: [{ t: 1100, from: "Closed", to: "Open" }, { t: 1900, from: "Open", to: "HalfOpen" }],
      summaries: Report.summarize(samples, phases),
      markers: [{ t: 1500, label: "kill switch <off>" }],
      notes: ["a & b"]
    })
    expect(html).toContain("<svg")
    expect(html).toContain("<polyline")
    expect(html).toContain("demo &lt;run&gt;")
    expect(html).toContain("a &amp; b")
    expect(html).toContain("<title>Open</title>")
    // The marker is drawn on both charts, at its time, with its label escaped.
    expect(html.match(/<title>kill switch &lt;off&gt;<\/title>/g)).toHaveLength(2)
    // Self-contained: nothing fetched, nothing executed.
    expect(html).not.toMatch(/<script|<link|src=|href=|https?:\/\//i)
  })
})
