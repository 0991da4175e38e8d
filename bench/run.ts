/**
 * Runs every `bench/*.bench.ts` (or the ones named on the command line) in its own process,
 * one after another, so one benchmark's heap and JIT state cannot colour the next.
 *
 *   npm run bench                 # all
 *   npm run bench -- circuitBreaker  # only bench/circuitBreaker.bench.ts
 */
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"

const dir = import.meta.dirname
const wanted = process.argv.slice(2)
const files = Fs.readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort()

if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(", ") || "bench/*.bench.ts"}`)
  process.exit(1)
}

const tsx = Path.join(dir, "..", "node_modules", ".bin", "tsx")
let failed = 0
for (const file of files) {
  console.log(`\n=== ${file} ===`)
  const result = spawnSync(tsx, ["--expose-gc", Path.join(dir, file)], { stdio: "inherit" })
  if (result.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
