/**
 * `npm start`: starts Postgres (embedded, or `DATABASE_URL`), runs the live scenario, prints the
 * report, writes the HTML report and the structured error log, and stops everything.
 *
 * Run: npx tsx examples/demo/main.ts [--duration 36] [--rate 40] [--seed 42] [--out reports]
 */
import { Command, Options } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Exit } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { createDatabase, dropDatabase, randomDatabaseName, startPostgres } from "../../test/support/PostgresServer.js"
import * as Report from "./Report.js"
import * as Scenario from "./Scenario.js"
import { renderFacts } from "./facts.js"

/** A fresh database on an embedded server (or on `DATABASE_URL`'s), dropped and stopped afterwards. */
const scratchDatabase = Effect.acquireRelease(
  Effect.promise(async () => {
    const server = await startPostgres()
    const name = randomDatabaseName("demo")
    return { server, name, url: await createDatabase(server.url, name) }
  }),
  ({ name, server }) =>
    Effect.promise(async () => {
      await dropDatabase(server.url, name)
      await server.stop()
    })
)

const tty = process.stdout.isTTY === true

const showProgress = (p: Scenario.Progress) => {
  const pct = (n: number, total: number) => total === 0 ? "  0%" : `${Math.round((100 * n) / total).toString().padStart(3)}%`
  const line = `[${(p.t / 1000).toFixed(0).padStart(3)}s] ${`${p.phaseIndex + 1}/${p.phases} ${p.phase}`.padEnd(16)} ` +
    `naive ${String(p.naive.sent).padStart(5)} req ${pct(p.naive.failed, p.naive.sent)} failed | ` +
    `resilient ${String(p.resilient.sent).padStart(5)} req ${pct(p.resilient.failed, p.resilient.sent)} failed ` +
    `${pct(p.resilient.degraded, p.resilient.sent)} degraded | breaker ${p.breaker.padEnd(8)} ` +
    `live-inventory ${p.liveInventory ? "on " : "off"} | DLQ ${p.deadLetters}`
  process.stdout.write(tty ? `\r\x1b[K${line}` : `${line}\n`)
}

const duration = Options.integer("duration").pipe(
  Options.withDescription("total seconds of load, split evenly across the six phases"),
  Options.withDefault(36)
)
const rate = Options.integer("rate").pipe(
  Options.withDescription("requests per second sent to each of the two services"),
  Options.withDefault(40)
)
const seed = Options.integer("seed").pipe(
  Options.withDescription("seed of the upstream's fault mix and of the retry jitter"),
  Options.withDefault(42)
)
const out = Options.directory("out").pipe(
  Options.withDescription("where the HTML report and the error log go"),
  Options.withDefault("reports")
)

const demo = Command.make("demo", { duration, rate, seed, out }, (args) =>
  Effect.gen(function*() {
    if (args.duration < 6 || args.rate < 1) return yield* Effect.dieMessage("--duration must be >= 6 and --rate >= 1")
    yield* Console.log(`effect-resilience demo: ${args.duration}s of load at ${args.rate} req/s per service, seed ${args.seed}`)
    yield* Console.log("starting Postgres, the chaos upstream and the two orders services...")
    const database = yield* scratchDatabase
    const result = yield* Scenario.run({
      databaseUrl: database.url,
      phaseMillis: Math.round((args.duration * 1000) / Scenario.phases.length),
      rate: args.rate,
      seed: args.seed,
      onProgress: showProgress
    })
    if (tty) process.stdout.write("\n")
    const summaries = Report.summarize(result.samples, result.phases)
    const facts = renderFacts(result, summaries)
    yield* Console.log(`\n${Report.renderText(summaries)}\n\n${facts.join("\n")}`)

    Fs.mkdirSync(args.out, { recursive: true })
    const html = Path.resolve(args.out, "demo-report.html")
    const log = Path.resolve(args.out, "demo-errors.jsonl")
    const markers = result.killSwitch.map((k) => ({ t: k.t, label: `kill switch ${k.on ? "on" : "off"}` }))
    Fs.writeFileSync(html, Report.renderHtml({ title: "effect-resilience demo", ...result, markers, summaries, notes: facts }))
    Fs.writeFileSync(log, result.logLines.join("\n") + "\n")
    yield* Console.log(`\nHTML report: ${html}\nerror log (${result.logLines.length} JSON lines): ${log}`)
  }).pipe(Effect.scoped))

const cli = Command.run(demo, { name: "effect-resilience demo", version: "0.1.0" })

cli(process.argv).pipe(
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    // Everything the demo started has been stopped by now (the scope closed): exit at once
    // instead of waiting for idle keep-alive sockets to time out.
    teardown: (exit, onExit) => {
      const code = Exit.isSuccess(exit) ? 0 : 1
      onExit(code)
      process.exit(code)
    }
  })
)
