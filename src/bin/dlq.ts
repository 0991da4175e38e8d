#!/usr/bin/env node
/**
 * `effect-resilience-dlq`: inspect, replay and purge the Postgres dead-letter queue.
 *
 *   DATABASE_URL=postgres://... effect-resilience-dlq list --queue orders --code VALIDATION_ERROR
 *   effect-resilience-dlq show 42
 *   effect-resilience-dlq replay 42            # one dead letter, back to its source queue
 *   effect-resilience-dlq replay --all --queue orders --limit 500
 *   effect-resilience-dlq stats --json
 *   effect-resilience-dlq purge --queue orders --until 2026-01-01 --yes
 *
 * Every command prints a table, or JSON with `--json`. Exit code 1 on any failure.
 *
 * @since 0.1.0
 */
import { Args, Command, Options } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { Cause, Config, Console, Duration, Effect, Layer, Option, Schema } from "effect"
import * as DeadLetter from "../DeadLetter.js"
import * as DeadLetterPostgres from "../DeadLetter/Postgres.js"
import * as Errors from "../Errors.js"

/** Some dead letters could not be replayed: the command exits 1 after printing which. */
class ReplayFailed extends Errors.Permanent<ReplayFailed>()("ReplayFailed", { count: Schema.Number }, {
  code: "REPLAY_FAILED",
  message: (e) => `${e.count} replay(s) failed`
}) {}

// --- output -----------------------------------------------------------------------

const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s)
const iso = (d: Date | null) => (d === null ? "-" : d.toISOString())
const preview = (e: DeadLetter.Entry) => clip(e.originalText ?? JSON.stringify(e.originalMessage), 40)

const print = (json: boolean, value: unknown, text: () => string) =>
  Console.log(json ? JSON.stringify(value, null, 2) : text())

const listTable = (entries: ReadonlyArray<DeadLetter.Entry>) =>
  entries.length === 0 ? "no dead letters" : table(
    ["id", "queue", "code", "category", "attempts", "last failure", "replayed", "error", "message"],
    entries.map((e) => [
      e.id,
      e.queueName,
      e.errorCode,
      e.errorCategory,
      String(e.attempts),
      iso(e.lastFailure),
      e.replayedAt === null ? "no" : "yes",
      clip(e.error, 40),
      preview(e)
    ])
  )

// --- options ----------------------------------------------------------------------

const json = Options.boolean("json").pipe(Options.withDescription("print JSON instead of a table"))
const queue = Options.text("queue").pipe(Options.optional, Options.withDescription("only this queue"))
const code = Options.text("code").pipe(Options.optional, Options.withDescription("only this error code"))
const since = Options.date("since").pipe(Options.optional, Options.withDescription("created at or after (ISO date)"))
const until = Options.date("until").pipe(Options.optional, Options.withDescription("created before (ISO date)"))
const limit = (n: number) => Options.integer("limit").pipe(Options.withDefault(n), Options.withDescription("at most this many"))

const filterOf = (o: {
  readonly queue: Option.Option<string>
  readonly code: Option.Option<string>
  readonly since?: Option.Option<Date>
  readonly until?: Option.Option<Date>
}): DeadLetter.Filter => ({
  queue: Option.getOrUndefined(o.queue),
  code: Option.getOrUndefined(o.code),
  since: o.since === undefined ? undefined : Option.getOrUndefined(o.since),
  until: o.until === undefined ? undefined : Option.getOrUndefined(o.until)
})

const withStore = <A, E>(f: (dlq: DeadLetter.DeadLetterQueue) => Effect.Effect<A, E>) =>
  Effect.flatMap(DeadLetter.DeadLetter, f)

// --- commands ---------------------------------------------------------------------

const list = Command.make(
  "list",
  { json, queue, code, since, until, limit: limit(50), all: Options.boolean("all").pipe(Options.withDescription("include replayed")) },
  (o) =>
    withStore((dlq) =>
      Effect.flatMap(
        dlq.list({ ...filterOf(o), limit: o.limit, replayed: o.all ? undefined : false }),
        (entries) => print(o.json, entries, () => listTable(entries))
      )
    )
).pipe(Command.withDescription("list dead letters (pending only unless --all)"))

const show = Command.make("show", { json, id: Args.text({ name: "id" }) }, (o) =>
  withStore((dlq) =>
    Effect.gen(function*() {
      const history = yield* dlq.history(o.id)
      if (history.length === 0) return yield* new Errors.NotFound({ resource: "dead letter", id: o.id })
      yield* print(o.json, { entry: history[0], history: history.slice(1) }, () => {
        const e = history[0]!
        const fields: Array<[string, string]> = [
          ["id", e.id],
          ["queue", e.queueName],
          ["message id", e.messageId ?? "-"],
          ["error", e.error],
          ["error type", e.errorType],
          ["error code", e.errorCode],
          ["category", e.errorCategory],
          ["attempts", String(e.attempts)],
          ["first failure", iso(e.firstFailure)],
          ["last failure", iso(e.lastFailure)],
          ["created", iso(e.createdAt)],
          ["replayed", iso(e.replayedAt)],
          ["replay of", e.replayOf ?? "-"],
          ["metadata", JSON.stringify(e.metadata)],
          ["message", e.originalText === null ? JSON.stringify(e.originalMessage, null, 2) : `(not JSON) ${e.originalText}`]
        ]
        const body = fields.map(([k, v]) => `${k.padEnd(14)} ${v}`).join("\n")
        return history.length > 1 ? `${body}\n\nearlier failures:\n${listTable(history.slice(1))}` : body
      })
    })
  )).pipe(Command.withDescription("show one dead letter and the failures it was replayed from"))

const replay = Command.make(
  "replay",
  {
    json,
    queue,
    code,
    limit: limit(1000),
    all: Options.boolean("all").pipe(Options.withDescription("replay every pending dead letter matching the filter")),
    id: Args.text({ name: "id" }).pipe(Args.optional)
  },
  (o) =>
    withStore((dlq) =>
      Effect.gen(function*() {
        if (Option.isNone(o.id) && !o.all) {
          return yield* new Errors.ValidationFailed({ field: "id", reason: "give a dead-letter id, or --all" })
        }
        const filter: DeadLetter.Filter = Option.isSome(o.id)
          ? { ids: [o.id.value] }
          : { ...filterOf(o), limit: o.limit }
        const report = yield* dlq.replay(filter)
        yield* print(o.json, report, () =>
          [
            `replayed ${report.replayed.length} dead letter(s) to their source queue`,
            ...report.failed.map((f) => `failed ${f.id}: ${f.error}`)
          ].join("\n"))
        if (report.failed.length > 0) return yield* Effect.fail(new ReplayFailed({ count: report.failed.length }))
      })
    )
).pipe(Command.withDescription("send dead letters back to their source queue (marked replayed only if that worked)"))

const stats = Command.make("stats", { json, queue }, (o) =>
  withStore((dlq) =>
    Effect.flatMap(dlq.stats({ queue: Option.getOrUndefined(o.queue) }), (rows) =>
      print(o.json, rows, () =>
        rows.length === 0 ? "no dead letters" : table(
          ["queue", "code", "pending", "total"],
          [
            ...rows.map((r) => [r.queueName, r.errorCode, String(r.pending), String(r.total)]),
            ["(all)", "", String(rows.reduce((n, r) => n + r.pending, 0)), String(rows.reduce((n, r) => n + r.total, 0))]
          ]
        )))
  )).pipe(Command.withDescription("count dead letters by queue and error code"))

const purge = Command.make(
  "purge",
  {
    json,
    queue,
    code,
    since,
    until,
    replayed: Options.boolean("replayed").pipe(Options.withDescription("only dead letters already replayed")),
    yes: Options.boolean("yes").pipe(Options.withDescription("confirm: delete for good"))
  },
  (o) =>
    withStore((dlq) =>
      Effect.gen(function*() {
        const filter: DeadLetter.Filter = { ...filterOf(o), replayed: o.replayed ? true : undefined }
        if (!o.yes) {
          const matching = (yield* dlq.stats(filter)).reduce((n, s) => n + s.total, 0)
          return yield* new Errors.ValidationFailed({
            field: "yes",
            reason: `purge deletes ${matching} dead letter(s) for good: add --yes to confirm`
          })
        }
        const purged = yield* dlq.purge(filter)
        yield* print(o.json, { purged }, () => `purged ${purged} dead letter(s)`)
      })
    )
).pipe(Command.withDescription("delete dead letters matching the filter (requires --yes)"))

const dlq = Command.make("dlq").pipe(
  Command.withDescription("inspect, replay and purge the dead-letter queue (reads DATABASE_URL)"),
  Command.withSubcommands([list, show, replay, stats, purge])
)

const cli = Command.run(dlq, { name: "effect-resilience-dlq", version: "0.1.0" })

const Database = Layer.unwrapEffect(Effect.map(Config.redacted("DATABASE_URL"), (url) =>
  DeadLetterPostgres.layer().pipe(
    Layer.provideMerge(PgClient.layer({ url, connectTimeout: Duration.seconds(10), maxConnections: 2 })),
    // The tables may not exist yet on a fresh database: an empty queue is an answer, not an error.
    Layer.tap((context) => Effect.provide(DeadLetter.migrate, context))
  )))

const describe = (error: unknown): string => {
  if (Errors.isCategorized(error)) return `${error.code}: ${error.message}`
  if (error instanceof Error) return error.message
  return String(error)
}

cli(process.argv).pipe(
  Effect.provide(Layer.merge(Database, NodeContext.layer)),
  // One readable line on stderr and exit code 1, not a stack trace.
  Effect.catchAllCause((cause) =>
    Cause.isInterruptedOnly(cause)
      ? Effect.void
      : Effect.zipRight(
        Console.error(`dlq: ${describe(Cause.squash(cause))}`),
        Effect.sync(() => {
          process.exitCode = 1
        })
      )
  ),
  NodeRuntime.runMain
)
