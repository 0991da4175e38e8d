/**
 * `npm start`: starts Postgres (embedded, or `DATABASE_URL`), runs the live scenario, prints the
 * report, writes the HTML report and the structured error log, and stops everything.
 *
 * Run: npx tsx examples/demo/main.ts [--duration 36] [--rate 40] [--seed 42] [--out reports]
 */
import { Command, Options, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Schema } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { createDatabase, dropDatabase, randomDatabaseName, startPostgres } from "../../test/support/PostgresServer.js"
import * as Report from "./Report.js"
import * as Scenario from "./Scenario.js"
import { renderFacts } from "./facts.js"

/** A fresh database on an embedded server (or on `DATABASE_URL`'s), dropped and stopped afterwards. */
const scratchDatabase = Effect.gen(function*() {
  const server = yield* Effect.acquireRelease(
    Effect.promise(() => startPostgres()),
    (server) => Effect.promise(() => server.stop())
  )
  const name = randomDatabaseName("demo")
  const url = yield* Effect.acquireRelease(
    Effect.promise(() => createDatabase(server.url, name)),
    () => Effect.promise(() => dropDatabase(server.url, name))
  )
  return { url }
})

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
  Options.withSchema(Schema.Number.pipe(
    Schema.between(6, 3600, { message: () => "--duration must be between 6 and 3600 seconds (one per phase at least)" })
  )),
  Options.withDescription("total seconds of load, split evenly across the six phases (6 to 3600)"),
  Options.withDefault(36)
)
const rate = Options.integer("rate").pipe(
  Options.withSchema(Schema.Number.pipe(
    Schema.between(1, 500, { message: () => "--rate must be between 1 and 500 requests per second" })
  )),
  Options.withDescription("requests per second sent to each of the two services (1 to 500)"),
  Options.withDefault(40)
)
const seed = Options.integer("seed").pipe(
  Options.withDescription(
    "seed of the upstream's fault mix, the retry jitter and the warehouse's flakiness; concurrent " +
      "requests draw from it in the order they happen to run, so runs with one seed are alike, not identical"
  ),
  Options.withDefault(42)
)
const out = Options.directory("out").pipe(
  Options.withDescription("where the HTML report and the error log go"),
  Options.withDefault("reports")
)

const demo = Command.make("demo", { duration, rate, seed, out }, (args) =>
  Effect.gen(function*() {
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
  // The CLI has already printed a usage error; anything else is reported here, once.
  Effect.tapErrorCause((cause) =>
    ValidationError.isValidationError(Cause.squash(cause)) ? Effect.void : Console.error(Cause.pretty(cause))
  ),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
