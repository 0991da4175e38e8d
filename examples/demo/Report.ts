/**
 * What the demo measured, as numbers per phase and client, a text report for the terminal and
 * one self-contained HTML file (inline SVG, no scripts, no network) with a timeline.
 */

export type Client = "naive" | "resilient"
export type Outcome = "success" | "degraded" | "failed"

export interface Sample {
  /** Milliseconds since the scenario started. */
  readonly t: number
  readonly client: Client
  readonly phase: string
  readonly outcome: Outcome
  /** Error code of a failed or degraded call. */
  readonly code?: string | undefined
  readonly latencyMs: number
}

export interface BreakerTransition {
  readonly t: number
  readonly from: string
  readonly to: string
}

export interface PhaseSpan {
  readonly name: string
  readonly start: number
  readonly end: number
}

export interface Counters {
  readonly retries: number
  readonly budgetRefusals: number
}

export interface PhaseSummary {
  readonly phase: string
  readonly client: Client
  readonly total: number
  readonly success: number
  readonly degraded: number
  readonly failed: number
  readonly failedByCode: Readonly<Record<string, number>>
  readonly p50: number
  readonly p99: number
}

/** Nearest-rank percentile of already sorted values; 0 for none. */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return 0
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

export const summarize = (
  samples: ReadonlyArray<Sample>,
  phases: ReadonlyArray<PhaseSpan>
): ReadonlyArray<PhaseSummary> =>
  phases.flatMap((span) =>
    (["naive", "resilient"] as const).map((client) => {
      const rows = samples.filter((s) => s.phase === span.name && s.client === client)
      const latencies = rows.map((s) => s.latencyMs).sort((a, b) => a - b)
      const failedByCode: Record<string, number> = {}
      for (const s of rows) {
        if (s.outcome === "failed") failedByCode[s.code ?? "UNKNOWN"] = (failedByCode[s.code ?? "UNKNOWN"] ?? 0) + 1
      }
      return {
        phase: span.name,
        client,
        total: rows.length,
        success: rows.filter((s) => s.outcome === "success").length,
        degraded: rows.filter((s) => s.outcome === "degraded").length,
        failed: rows.filter((s) => s.outcome === "failed").length,
        failedByCode,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99)
      }
    })
  )

const pct = (n: number, total: number) => total === 0 ? "   -" : `${((100 * n) / total).toFixed(0).padStart(3)}%`

const codes = (byCode: Readonly<Record<string, number>>) =>
  Object.entries(byCode).sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code}:${n}`).join(" ") || "-"

/** The terminal report: one row per phase and client, naive and resilient side by side. */
export const renderText = (summaries: ReadonlyArray<PhaseSummary>): string => {
  const header = `${"phase".padEnd(14)} ${"client".padEnd(10)} ${"calls".padStart(5)} ${"ok".padStart(4)} ${
    "degr".padStart(4)
  } ${"fail".padStart(4)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)}  failures by code`
  const lines = summaries.map((s) =>
    `${s.phase.padEnd(14)} ${s.client.padEnd(10)} ${String(s.total).padStart(5)} ${pct(s.success, s.total)} ${
      pct(s.degraded, s.total)
    } ${pct(s.failed, s.total)} ${s.p50.toFixed(1).padStart(7)} ${s.p99.toFixed(1).padStart(7)}  ${codes(s.failedByCode)}`
  )
  return [header, "-".repeat(header.length), ...lines].join("\n")
}

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** A moment worth a vertical line on every chart, such as a kill switch flip. */
export interface Marker {
  readonly t: number
  readonly label: string
}

interface ChartInput {
  readonly samples: ReadonlyArray<Sample>
  readonly phases: ReadonlyArray<PhaseSpan>
  readonly transitions: ReadonlyArray<BreakerTransition>
  readonly markers?: ReadonlyArray<Marker> | undefined
}

const markerLines = (input: ChartInput, x: (t: number) => number, top: number, height: number): string =>
  (input.markers ?? []).map((m) =>
    `<line x1="${x(m.t).toFixed(1)}" y1="${top}" x2="${x(m.t).toFixed(1)}" y2="${top + height}" stroke="#1565c0" stroke-dasharray="4 3"><title>${
      escape(m.label)
    }</title></line><text x="${(x(m.t) + 3).toFixed(1)}" y="${top + height - 4}" font-size="10" fill="#1565c0">${escape(m.label)}</text>`
  ).join("\n")

const colors = { naive: "#d9534f", resilient: "#2e7d32" } as const
const stateColors: Record<string, string> = { Closed: "#c8e6c9", Open: "#ffcdd2", HalfOpen: "#fff9c4" }

/** Buckets samples of one client into `width`-ms windows and maps each window to a value. */
const series = (
  samples: ReadonlyArray<Sample>,
  client: Client,
  end: number,
  bucket: number,
  value: (rows: ReadonlyArray<Sample>) => number | undefined
): ReadonlyArray<readonly [number, number]> => {
  const points: Array<readonly [number, number]> = []
  for (let start = 0; start < end; start += bucket) {
    const rows = samples.filter((s) => s.client === client && s.t >= start && s.t < start + bucket)
    const v = value(rows)
    if (v !== undefined) points.push([start + bucket / 2, v])
  }
  return points
}

const chart = (
  title: string,
  input: ChartInput,
  end: number,
  value: (rows: ReadonlyArray<Sample>) => number | undefined,
  unit: string
): string => {
  const W = 900, H = 180, left = 50, top = 20, plotW = W - left - 10, plotH = H - top - 30
  const bucket = Math.max(100, Math.round(end / 120))
  const all = (["naive", "resilient"] as const).map((c) => [c, series(input.samples, c, end, bucket, value)] as const)
  const max = Math.max(1e-9, ...all.flatMap(([, pts]) => pts.map(([, v]) => v)))
  const x = (t: number) => left + (t / Math.max(1, end)) * plotW
  const y = (v: number) => top + plotH - (v / max) * plotH
  const bands = input.phases.map((p, i) =>
    `<rect x="${x(p.start).toFixed(1)}" y="${top}" width="${(x(p.end) - x(p.start)).toFixed(1)}" height="${plotH}" fill="${
      i % 2 === 0 ? "#f5f5f5" : "#ffffff"
    }"/><text x="${(x(p.start) + 3).toFixed(1)}" y="${top + 12}" font-size="10" fill="#555">${escape(p.name)}</text>`
  )
  const lines = all.map(([client, pts]) =>
    pts.length === 0 ? "" : `<polyline fill="none" stroke="${colors[client]}" stroke-width="1.5" points="${
      pts.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ")
    }"/>`
  )
  return `<h2>${escape(title)}</h2><svg width="${W}" height="${H}" role="img" aria-label="${escape(title)}">
${bands.join("\n")}
<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#999"/>
<text x="4" y="${top + 10}" font-size="10">${max.toFixed(max < 10 ? 2 : 0)}${escape(unit)}</text>
<text x="4" y="${top + plotH}" font-size="10">0</text>
${lines.join("\n")}
${markerLines(input, x, top, plotH)}
</svg>`
}

const breakerBand = (input: ChartInput, end: number): string => {
  const W = 900, left = 50, plotW = W - left - 10
  const x = (t: number) => left + (t / Math.max(1, end)) * plotW
  const spans: Array<{ state: string; start: number; end: number }> = []
  let state = "Closed", since = 0
  for (const tr of [...input.transitions].sort((a, b) => a.t - b.t)) {
    spans.push({ state, start: since, end: tr.t })
    state = tr.to
    since = tr.t
  }
  spans.push({ state, start: since, end })
  return `<h2>Breaker state (resilient client)</h2><svg width="${W}" height="40" role="img" aria-label="breaker state">
${
    spans.map((s) =>
      `<rect x="${x(s.start).toFixed(1)}" y="5" width="${Math.max(0.5, x(s.end) - x(s.start)).toFixed(1)}" height="20" fill="${
        stateColors[s.state] ?? "#e0e0e0"
      }"><title>${escape(s.state)}</title></rect>`
    ).join("\n")
  }
<text x="4" y="20" font-size="10">state</text>
</svg><p class="legend">${
    Object.entries(stateColors).map(([s, c]) => `<span style="background:${c}">&nbsp;${s}&nbsp;</span>`).join(" ")
  }</p>`
}

/** One HTML file with everything inline: no scripts, no external resources. */
export const renderHtml = (input: ChartInput & {
  readonly title: string
  readonly summaries: ReadonlyArray<PhaseSummary>
  readonly notes: ReadonlyArray<string>
}): string => {
  const end = Math.max(1, ...input.phases.map((p) => p.end), ...input.samples.map((s) => s.t))
  const errorRate = (rows: ReadonlyArray<Sample>) =>
    rows.length === 0 ? undefined : (100 * rows.filter((s) => s.outcome === "failed").length) / rows.length
  const p50 = (rows: ReadonlyArray<Sample>) =>
    rows.length === 0 ? undefined : percentile(rows.map((s) => s.latencyMs).sort((a, b) => a - b), 50)
  const table = `<table><thead><tr><th>phase</th><th>client</th><th>calls</th><th>success</th><th>degraded</th><th>failed</th><th>p50 ms</th><th>p99 ms</th><th>failures by code</th></tr></thead><tbody>${
    input.summaries.map((s) =>
      `<tr class="${s.client}"><td>${escape(s.phase)}</td><td>${s.client}</td><td>${s.total}</td><td>${s.success}</td><td>${s.degraded}</td><td>${s.failed}</td><td>${
        s.p50.toFixed(1)
      }</td><td>${s.p99.toFixed(1)}</td><td>${escape(codes(s.failedByCode))}</td></tr>`
    ).join("")
  }</tbody></table>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(input.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
td:first-child,td:nth-child(2),td:last-child{text-align:left}tr.naive td{background:#fff5f5}tr.resilient td{background:#f4fbf4}
.legend span{font-size:12px;margin-right:6px}.key span{display:inline-block;width:12px;height:3px;margin:0 4px 3px 12px}
</style></head><body>
<h1>${escape(input.title)}</h1>
<p class="key">clients:<span style="background:${colors.naive}"></span>naive<span style="background:${colors.resilient}"></span>resilient</p>
${chart("Error rate (% of calls failed)", input, end, errorRate, "%")}
${chart("Latency p50 (ms)", input, end, p50, " ms")}
${breakerBand(input, end)}
<h2>Per phase</h2>
${table}
<ul>${input.notes.map((n) => `<li>${escape(n)}</li>`).join("")}</ul>
</body></html>
`
}
