/**
 * An audit of TypeScript and Effect code for the error-handling anti-patterns of the seed's
 * table: swallowed errors, errors signalled by null, catch-alls deep in the program, requests
 * without timeouts, unbounded / unjittered / indiscriminate retries, hand-written retry loops,
 * uncategorised errors, error details in responses and unstructured error logs.
 *
 * It works on the syntax tree (the TypeScript compiler API, one `createSourceFile` per file, no
 * type checker), so it follows import aliases (`import { Effect as E }`, `import * as Eff from
 * "effect/Effect"`) and both `pipe(x, f)` and `x.pipe(f)`. The same engine backs the
 * `effect-resilience audit [paths]` command.
 *
 * Suppress one finding with a comment on the line before (or at the end of the line):
 * `// effect-resilience-audit-ignore rule-name: why this is safe`. The reason is mandatory.
 *
 * @since 0.1.0
 */
import type { FileSystem, Path } from "@effect/platform"
import type { Effect } from "effect"
import * as cli from "./internal/audit/cli.js"
import * as engine from "./internal/audit/engine.js"
import * as files from "./internal/audit/files.js"
import * as internal from "./internal/audit/rules.js"

/**
 * The name of a rule, as used in output, config and suppression comments.
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * const rule: Audit.RuleName = "missing-timeout"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type RuleName = internal.RuleName

/**
 * A rule: what it finds, why that hurts, and the fix.
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * const info: Audit.RuleInfo | undefined = Audit.rules.find((r) => r.name === "unbounded-retry")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RuleInfo extends internal.RuleInfo {}

/**
 * Every rule, in the order of the README's table.
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * for (const rule of Audit.rules) console.log(`${rule.name}: ${rule.fix}`)
 * ```
 *
 * @since 0.1.0
 * @category rules
 */
export const rules: ReadonlyArray<RuleInfo> = internal.rules

/**
 * The rule names.
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * Audit.ruleNames.includes("retry-everything") // true
 * ```
 *
 * @since 0.1.0
 * @category rules
 */
export const ruleNames: ReadonlyArray<RuleName> = internal.ruleNames

/**
 * One finding: where (1-based line and column), which rule, what exactly, and the fix.
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * const show = (f: Audit.Finding) => `${f.file}:${f.line}:${f.column} ${f.rule} ${f.message}`
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Finding extends engine.Finding {}

/**
 * The result of auditing paths: how many files were read and what was found.
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * const clean = (r: Audit.Report) => r.findings.length === 0
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Report extends files.Report {}

/**
 * The config file's schema (`.effect-resilience-audit.json`):
 * `{ "rules": { "rule-name": "off" | "on" | false | true }, "ignore": ["glob", ...] }`.
 * Unknown rule names and unknown keys are rejected, so a typo cannot silently turn a rule off.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Audit } from "effect-resilience"
 *
 * const config = Schema.decodeUnknownSync(Audit.AuditConfig)({
 *   rules: { "uncategorized-error": "off" },
 *   ignore: ["scripts/**", "*.generated.ts"]
 * })
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const AuditConfig = files.AuditConfig

/**
 * @since 0.1.0
 * @category config
 */
export type AuditConfig = files.AuditConfig

/**
 * The file `loadConfig` looks for in the working directory.
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * Audit.configFileName // ".effect-resilience-audit.json"
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const configFileName: string = files.configFileName

/**
 * The config file is unreadable, not JSON, or names an unknown rule or key.
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * new Audit.InvalidAuditConfig({ path: ".effect-resilience-audit.json", reason: "unknown rule" }).code
 * // "AUDIT_INVALID_CONFIG"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const InvalidAuditConfig = files.InvalidAuditConfig

/**
 * @since 0.1.0
 * @category errors
 */
export type InvalidAuditConfig = files.InvalidAuditConfig

/**
 * A path given to the audit does not exist.
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * new Audit.AuditPathNotFound({ path: "srcc" }).message // "no such file or directory: srcc"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const AuditPathNotFound = files.AuditPathNotFound

/**
 * @since 0.1.0
 * @category errors
 */
export type AuditPathNotFound = files.AuditPathNotFound

/**
 * Audits one file's text, synchronously. `fileName` picks the dialect (`.ts`, `.tsx`, `.js`...)
 * and is copied into the findings. Suppression comments in the text are honoured; the config's
 * `rules` switch rules off (its `ignore` globs apply to paths, see `auditPaths`).
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * const findings = Audit.auditSource("client.ts", `const r = await fetch(url)`)
 * findings[0]?.rule // "missing-timeout"
 * ```
 *
 * @since 0.1.0
 * @category auditing
 */
export const auditSource = (fileName: string, text: string, config: AuditConfig = {}): ReadonlyArray<Finding> =>
  engine.auditSource(fileName, text, files.isEnabled(config))

/**
 * Audits every TypeScript/JavaScript file under `paths` (files or directories; default `.`),
 * skipping `node_modules`, `dist`, `.git`, `coverage`, declaration files and the config's
 * ignore globs. Paths in findings are relative to `cwd` (default: the process's).
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { Audit } from "effect-resilience"
 *
 * const program = Effect.gen(function*() {
 *   const config = yield* Audit.loadConfig()
 *   const report = yield* Audit.auditPaths(["src"], { config })
 *   yield* Effect.log(Audit.formatHuman(report))
 * }).pipe(Effect.provide(NodeContext.layer))
 * ```
 *
 * @since 0.1.0
 * @category auditing
 */
export const auditPaths: (
  paths: ReadonlyArray<string>,
  options?: { readonly config?: AuditConfig | undefined; readonly cwd?: string | undefined }
) => Effect.Effect<Report, AuditPathNotFound, FileSystem.FileSystem | Path.Path> = files.auditPaths

/**
 * Reads the config: `path` if given (it must exist), else `.effect-resilience-audit.json` in
 * `cwd` when present, else the defaults (every rule on).
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { Audit } from "effect-resilience"
 *
 * const config = Audit.loadConfig({ path: "audit.json" }).pipe(Effect.provide(NodeContext.layer))
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const loadConfig: (
  options?: { readonly path?: string | undefined; readonly cwd?: string | undefined }
) => Effect.Effect<AuditConfig, InvalidAuditConfig, FileSystem.FileSystem | Path.Path> = files.loadConfig

/**
 * Human-readable output: `file:line:column rule-name message (fix: ...)` per finding, then a
 * summary line.
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * Audit.formatHuman({ files: 3, findings: [] }) // "effect-resilience audit: 3 files, no findings"
 * ```
 *
 * @since 0.1.0
 * @category output
 */
export const formatHuman: (report: Report) => string = files.formatHuman

/**
 * JSON output: `{ "files": n, "findings": [{ rule, file, line, column, message, fix }] }`.
 *
 * @example
 * ```ts
 * import { Audit } from "effect-resilience"
 *
 * JSON.parse(Audit.formatJson({ files: 1, findings: [] })).files // 1
 * ```
 *
 * @since 0.1.0
 * @category output
 */
export const formatJson: (report: Report) => string = files.formatJson

/**
 * The `audit` subcommand (@effect/cli), to embed in another command-line tool.
 *
 * @example
 * ```ts
 * import { Command } from "@effect/cli"
 * import { Audit } from "effect-resilience"
 *
 * const tool = Command.make("my-tool").pipe(Command.withSubcommands([Audit.command]))
 * ```
 *
 * @since 0.1.0
 * @category cli
 */
export const command = cli.auditCommand
