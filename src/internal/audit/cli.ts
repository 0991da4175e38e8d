import { Args, Command, Options, ValidationError } from "@effect/cli"
import type { CliApp } from "@effect/cli"
import { Console, Effect, Option, Schema } from "effect"
import * as Errors from "../../Errors.js"
import { auditPaths, formatHuman, formatJson, loadConfig } from "./files.js"

/** Raised by the command when the audit found something, so the process exits with 1. @internal */
export class FindingsReported extends Errors.Permanent<FindingsReported>()("FindingsReported", {
  count: Schema.Number
}, { code: "AUDIT_FINDINGS_REPORTED", message: (e) => `${e.count} audit findings` }) {}

const paths = Args.text({ name: "paths" }).pipe(
  Args.withDescription("files or directories to audit (default: the current directory)"),
  Args.repeated
)
const json = Options.boolean("json").pipe(Options.withDescription("print the findings as JSON"))
const config = Options.file("config").pipe(
  Options.withDescription("config file (default: ./.effect-resilience-audit.json when present)"),
  Options.optional
)

/** `effect-resilience audit [--json] [--config file] [paths...]`. @internal */
export const auditCommand = Command.make("audit", { paths, json, config }, (args) =>
  Effect.gen(function*() {
    const loaded = yield* loadConfig({ path: Option.getOrUndefined(args.config) })
    const report = yield* auditPaths(args.paths, { config: loaded })
    yield* Console.log(args.json ? formatJson(report) : formatHuman(report))
    if (report.findings.length > 0) return yield* new FindingsReported({ count: report.findings.length })
  })).pipe(Command.withDescription("find error-handling anti-patterns in TypeScript and Effect code"))

/** The `effect-resilience` root command; other tools of the package add their subcommands here. @internal */
export const rootCommand = Command.make("effect-resilience").pipe(Command.withSubcommands([auditCommand]))

/**
 * Runs the CLI on `argv` (as in `process.argv`) and yields the process exit code: 0 clean,
 * 1 findings, 2 bad usage, config or path.
 *
 * @internal
 */
export const main = (argv: ReadonlyArray<string>): Effect.Effect<number, never, CliApp.CliApp.Environment> =>
  Command.run(rootCommand, { name: "effect-resilience", version: "0.1.0" })(argv).pipe(
    Effect.as(0),
    Effect.catchTags({
      FindingsReported: () => Effect.succeed(1),
      InvalidAuditConfig: (e) => Console.error(e.message).pipe(Effect.as(2)),
      AuditPathNotFound: (e) => Console.error(e.message).pipe(Effect.as(2))
    }),
    // The CLI has already printed usage help for a validation error.
    Effect.catchIf(ValidationError.isValidationError, () => Effect.succeed(2))
  )
