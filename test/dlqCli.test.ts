/**
 * The `dlq` CLI, run as a child process (node --import tsx) against this file's database.
 */
import { expect, layer } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as Path from "node:path"
import { Effect } from "effect"
import * as DeadLetterPostgres from "../src/DeadLetter/Postgres.js"
import * as PgQueue from "../src/PgQueue.js"
import * as PgTest from "./support/PgTest.js"

const root = Path.resolve(import.meta.dirname, "..")

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const dlq = (url: string, ...args: ReadonlyArray<string>) =>
  Effect.async<Run>((resume) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/bin/dlq.ts", ...args],
      { cwd: root, env: { ...process.env, DATABASE_URL: url, NO_COLOR: "1" }, timeout: 60_000 },
      (error, stdout, stderr) => resume(Effect.succeed({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }))
    )
  })

const sample = (queueName: string, payload: string, errorCode: string) => {
  const at = new Date("2026-01-02T03:04:05.000Z")
  return {
    queueName,
    payload,
    error: `failed with ${errorCode}`,
    errorType: "Test",
    errorCode,
    errorCategory: "Permanent" as const,
    attempts: 1,
    firstFailure: at,
    lastFailure: at
  }
}

layer(PgTest.layer({ prefix: "dlq_cli" }))("dlq CLI", (it) => {
  it.effect("list, show, stats, replay and purge (with its confirmation) from the command line", () =>
    Effect.gen(function*() {
      const { url } = yield* PgTest.TestDatabase
      yield* PgQueue.migrate
      const store = yield* DeadLetterPostgres.make()
      const a1 = yield* store.send(sample("alpha", "{\"orderId\":1}", "NOT_FOUND"))
      const a2 = yield* store.send(sample("alpha", "{broken", "VALIDATION_ERROR"))
      yield* store.send(sample("beta", "{\"orderId\":3}", "NOT_FOUND"))

      // Each run starts a process: the read-only ones go in parallel.
      const [listed, table, shown, stats, refused] = yield* Effect.all([
        dlq(url, "list", "--json"),
        dlq(url, "list", "--queue", "alpha", "--code", "VALIDATION_ERROR"),
        dlq(url, "show", a2),
        dlq(url, "stats", "--json"),
        dlq(url, "purge", "--queue", "beta")
      ], { concurrency: "unbounded" })
      expect(listed.code).toBe(0)
      expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((e) => e.id)).toEqual([a1, a2, "3"])
      expect(table.stdout).toMatch(/^id\s+queue\s+code/m)
      expect(table.stdout).toMatch(new RegExp(`^${a2}\\s+alpha\\s+VALIDATION_ERROR\\s+Permanent\\s+1`, "m"))
      expect(table.stdout).not.toMatch(/NOT_FOUND/)
      expect(shown.stdout).toMatch(/error code\s+VALIDATION_ERROR/)
      expect(shown.stdout).toContain("(not JSON) {broken")
      expect(JSON.parse(stats.stdout)).toEqual([
        { queueName: "alpha", errorCode: "NOT_FOUND", total: 1, pending: 1 },
        { queueName: "alpha", errorCode: "VALIDATION_ERROR", total: 1, pending: 1 },
        { queueName: "beta", errorCode: "NOT_FOUND", total: 1, pending: 1 }
      ])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain("add --yes to confirm")
      expect((yield* store.list({ queue: "beta" })).length).toBe(1)

      const [[one, all], purged] = yield* Effect.all([
        Effect.all([dlq(url, "replay", a1, "--json"), dlq(url, "replay", "--all", "--queue", "alpha")]),
        dlq(url, "purge", "--queue", "beta", "--yes", "--json")
      ], { concurrency: "unbounded" })
      expect(JSON.parse(one.stdout)).toEqual({ replayed: [a1], failed: [] })
      expect(all.stdout).toContain("replayed 1 dead letter(s)")
      expect(yield* PgQueue.depth("alpha")).toBe(2)
      expect(yield* PgQueue.depth("beta")).toBe(0)
      expect(JSON.parse(purged.stdout)).toEqual({ purged: 1 })
      expect((yield* store.list({ queue: "beta" })).length).toBe(0)
    }), { timeout: 120_000 }) // a dozen child processes, some in parallel: generous for a loaded machine
})
