/**
 * The short examples are executed, not just type-checked: each must exit 0 and print the
 * lines that show its pattern working.
 */
import { execFile } from "node:child_process"
import * as Path from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import { inject } from "vitest"

const run = promisify(execFile)
const root = Path.resolve(import.meta.dirname, "..")
const tsx = Path.join(root, "node_modules", ".bin", "tsx")

/** Example file -> lines its output must contain. */
const examples: Record<string, ReadonlyArray<string | RegExp>> = {
  "examples/errors.ts": [
    /SERVICE_UNAVAILABLE\s+Transient\s+HTTP 503/,
    /NOT_FOUND\s+Permanent\s+HTTP 404/,
    /INTERNAL_ERROR\s+\(unknown\)\s+HTTP 500\s+unexpected/,
    "402: payment declined: card expired",
    "fatal error ends the program: yes"
  ],
  "examples/dlq.ts": [
    "shipped: 1, 3 (order 3 after 2 retries)",
    /dead letter \d+: NOT_FOUND\s+attempts=1\s+product plum not found/,
    "stats: orders VALIDATION_ERROR pending=2",
    "replayed 1 dead letter(s)",
    "after replay, shipped: 1, 3, 2"
  ]
}

describe("examples", () => {
  it.each(Object.entries(examples))("%s runs and shows its pattern", async (file, expected) => {
    const { stdout, stderr } = await run(tsx, [file], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, DATABASE_URL: inject("databaseUrl") }
    })
    const output = stdout + stderr
    for (const line of expected) {
      if (typeof line === "string") expect(output).toContain(line)
      else expect(output).toMatch(line)
    }
  })
})
