/**
 * The audit over real open-source TypeScript: the published sources of `effect` and
 * `@effect/platform` (installed with npm). Reports files/second for the whole pipeline (walk,
 * read, parse, rules) and, for comparison, for `ts.createSourceFile` alone on the same texts.
 *
 *   npm run bench -- audit
 */
import { NodeContext } from "@effect/platform-node"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import ts from "typescript"
import * as Audit from "../src/Audit.js"

const root = Path.resolve(import.meta.dirname, "..")
const targets = ["node_modules/effect/src", "node_modules/@effect/platform/src"]
const runs = 5

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const auditOnce = () =>
  Effect.runPromise(Audit.auditPaths(targets, { cwd: root }).pipe(Effect.provide(NodeContext.layer)))

const main = async () => {
  const first = await auditOnce() // warm-up: JIT, file cache
  const files = first.files
  const bytes = (await Effect.runPromise(
    Effect.succeed(targets.flatMap((t) => Fs.readdirSync(Path.join(root, t), { recursive: true, encoding: "utf8" }).map((f) => Path.join(root, t, f))))
  )).filter((f) => /\.ts$/.test(f) && !f.endsWith(".d.ts")).reduce((n, f) => n + Fs.statSync(f).size, 0)

  const times: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await auditOnce()
    times.push(performance.now() - start)
  }

  // Parse-only baseline over the same texts, already in memory.
  const texts = targets.flatMap((t) =>
    Fs.readdirSync(Path.join(root, t), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
      .map((f) => [f, Fs.readFileSync(Path.join(root, t, f), "utf8")] as const)
  )
  const parseTimes: Array<number> = []
  const auditTimes: Array<number> = []
  for (let i = 0; i < runs; i++) {
    let start = performance.now()
    for (const [f, text] of texts) ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true)
    parseTimes.push(performance.now() - start)
    start = performance.now()
    for (const [f, text] of texts) Audit.auditSource(f, text)
    auditTimes.push(performance.now() - start)
  }

  const total = median(times)
  console.log(`targets: ${targets.join(", ")}`)
  console.log(`${files} files, ${(bytes / 1e6).toFixed(1)} MB, ${first.findings.length} findings`)
  console.log(`audit (walk + read + parse + rules): median ${total.toFixed(0)} ms of ${runs} runs -> ${(files / (total / 1000)).toFixed(0)} files/s`)
  const parse = median(parseTimes)
  const inMemory = median(auditTimes)
  console.log(`in memory: parse only ${parse.toFixed(0)} ms (${(texts.length / (parse / 1000)).toFixed(0)} files/s), parse + rules ${inMemory.toFixed(0)} ms (${(texts.length / (inMemory / 1000)).toFixed(0)} files/s)`)
}

main().catch((e) => {
  console.error("benchmark failed", e)
  process.exit(1)
})
