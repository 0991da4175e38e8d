import { FileSystem, Path } from "@effect/platform"
import { Effect, Schema } from "effect"
import * as Errors from "../../Errors.js"
import type { Finding } from "./engine.js"
import { auditSource } from "./engine.js"
import type { RuleName } from "./rules.js"
import { ruleNames } from "./rules.js"

// --- configuration ----------------------------------------------------------------------------------

/** @internal */
export const configFileName = ".effect-resilience-audit.json"

/** @internal */
export const RuleSetting = Schema.Union(Schema.Boolean, Schema.Literal("on", "off", "error"))

/** @internal */
export const AuditConfig = Schema.Struct({
  rules: Schema.optional(Schema.partial(Schema.Record({ key: Schema.Literal(...ruleNames), value: RuleSetting }))),
  ignore: Schema.optional(Schema.Array(Schema.String))
})

/** @internal */
export type AuditConfig = typeof AuditConfig.Type

/** @internal */
export class InvalidAuditConfig extends Errors.Permanent<InvalidAuditConfig>()("InvalidAuditConfig", {
  path: Schema.String,
  reason: Schema.String
}, { code: "AUDIT_INVALID_CONFIG", message: (e) => `invalid audit config ${e.path}: ${e.reason}` }) {}

/** @internal */
export class AuditPathNotFound extends Errors.Permanent<AuditPathNotFound>()("AuditPathNotFound", {
  path: Schema.String
}, { code: "AUDIT_PATH_NOT_FOUND", status: 404, message: (e) => `no such file or directory: ${e.path}` }) {}

/** @internal */
export const isEnabled = (config: AuditConfig) => (rule: RuleName): boolean => {
  const setting = config.rules?.[rule]
  return setting === undefined || setting === true || setting === "on" || setting === "error"
}

const decodeConfig = Schema.decodeUnknown(Schema.parseJson(AuditConfig), { onExcessProperty: "error" })

/**
 * Reads the config: an explicit path must exist; otherwise `.effect-resilience-audit.json` in
 * `cwd` is used when present, and the defaults (every rule on, nothing ignored) when not.
 *
 * @internal
 */
export const loadConfig = (
  options: { readonly path?: string | undefined; readonly cwd?: string | undefined } = {}
): Effect.Effect<AuditConfig, InvalidAuditConfig, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.resolve(options.cwd ?? ".", options.path ?? configFileName)
    const exists = yield* fs.exists(file).pipe(
      Effect.mapError((e) => new InvalidAuditConfig({ path: file, reason: e.message }))
    )
    if (!exists) {
      if (options.path === undefined) return {}
      return yield* new InvalidAuditConfig({ path: file, reason: "file not found" })
    }
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError((e) => new InvalidAuditConfig({ path: file, reason: e.message }))
    )
    return yield* decodeConfig(text).pipe(
      Effect.mapError((e) => new InvalidAuditConfig({ path: file, reason: e.message }))
    )
  })

// --- ignore globs -------------------------------------------------------------------------------------

/**
 * A gitignore-flavoured glob: `*` within a segment, `**` across segments, a pattern without a
 * slash matches at any depth, and a pattern that matches a directory covers what is below it.
 *
 * @internal
 */
export const globToRegExp = (glob: string): RegExp => {
  let pattern = glob.replace(/^\.\//, "").replace(/\/$/, "")
  const anywhere = !pattern.includes("/")
  let out = ""
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === "*" && pattern[i + 1] === "*") {
      const slash = pattern[i + 2] === "/"
      out += slash ? "(?:.*/)?" : ".*"
      i += slash ? 2 : 1
    } else if (c === "*") out += "[^/]*"
    else if (c === "?") out += "[^/]"
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&")
  }
  pattern = out
  return new RegExp(`^${anywhere ? "(?:.*/)?" : ""}${pattern}(?:/.*)?$`)
}

// --- finding files -------------------------------------------------------------------------------------

const sourceFile = /\.(?:[cm]?tsx?|[cm]?jsx?)$/
const declarationFile = /\.d\.[cm]?ts$/
/** Directories a walk never enters unless they are named explicitly. */
const skippedDirectories: ReadonlySet<string> = new Set(["node_modules", ".git", "dist", "coverage"])

/** @internal */
export interface Report {
  readonly files: number
  readonly findings: ReadonlyArray<Finding>
}

/**
 * Collects the source files under `paths` (files or directories), relative to `cwd` with `/`
 * separators, minus the config's ignore globs.
 *
 * @internal
 */
export const collectFiles = (
  paths: ReadonlyArray<string>,
  options: { readonly cwd?: string | undefined; readonly ignore?: ReadonlyArray<string> | undefined } = {}
): Effect.Effect<ReadonlyArray<string>, AuditPathNotFound, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const cwd = path.resolve(options.cwd ?? ".")
    const ignores = (options.ignore ?? []).map(globToRegExp)
    const relative = (abs: string) => path.relative(cwd, abs).split(path.sep).join("/") || "."
    const ignored = (abs: string) => ignores.some((re) => re.test(relative(abs)))
    const out: Array<string> = []
    const walk = (abs: string, explicit: boolean): Effect.Effect<void, AuditPathNotFound> =>
      Effect.gen(function*() {
        const info = yield* fs.stat(abs).pipe(Effect.mapError(() => new AuditPathNotFound({ path: relative(abs) })))
        if (!explicit && ignored(abs)) return
        if (info.type === "Directory") {
          if (!explicit && skippedDirectories.has(path.basename(abs))) return
          const entries = yield* fs.readDirectory(abs).pipe(Effect.mapError(() => new AuditPathNotFound({ path: relative(abs) })))
          for (const entry of entries.sort()) yield* walk(path.join(abs, entry), false)
        } else if (info.type === "File" && (explicit || (sourceFile.test(abs) && !declarationFile.test(abs)))) {
          if (explicit && ignored(abs)) return
          out.push(relative(abs))
        }
      })
    for (const p of paths.length === 0 ? ["."] : paths) yield* walk(path.resolve(cwd, p), true)
    return out
  })

/**
 * Audits every source file under `paths` with a config.
 *
 * @internal
 */
export const auditPaths = (
  paths: ReadonlyArray<string>,
  options: { readonly config?: AuditConfig | undefined; readonly cwd?: string | undefined } = {}
): Effect.Effect<Report, AuditPathNotFound, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const config = options.config ?? {}
    const cwd = path.resolve(options.cwd ?? ".")
    const files = yield* collectFiles(paths, { cwd, ignore: config.ignore })
    const enabled = isEnabled(config)
    const perFile = yield* Effect.forEach(files, (file) =>
      fs.readFileString(path.resolve(cwd, file)).pipe(
        Effect.mapError(() => new AuditPathNotFound({ path: file })),
        Effect.map((text) => auditSource(file, text, enabled))
      ), { concurrency: 16 })
    return { files: files.length, findings: perFile.flat() }
  })

// --- output -------------------------------------------------------------------------------------------

/** `file:line:column rule-name message (fix)`, one line per finding, then a summary line. @internal */
export const formatHuman = (report: Report): string => {
  const lines = report.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.rule} ${f.message} (fix: ${f.fix})`)
  const n = report.findings.length
  lines.push(
    n === 0
      ? `effect-resilience audit: ${report.files} files, no findings`
      : `effect-resilience audit: ${n} finding${n === 1 ? "" : "s"} in ${report.files} files`
  )
  return lines.join("\n")
}

/** @internal */
export const formatJson = (report: Report): string =>
  JSON.stringify({ files: report.files, findings: report.findings }, null, 2)
