import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { promisify } from "node:util"
import { afterAll, vi } from "vitest"
import * as Audit from "../src/Audit.js"
import { main } from "../src/internal/audit/cli.js"
import { globToRegExp } from "../src/internal/audit/files.js"

const root = Path.resolve(import.meta.dirname, "..")
const fixtures = Path.join(root, "test", "fixtures", "audit")
const fixtureFiles = Fs.readdirSync(fixtures).filter((f) => f.endsWith(".ts")).sort()

/** `// expect: rule-a, rule-b` and `// ok: rule-a (why)` annotations of a fixture, as "line rule". */
const annotations = (text: string, kind: "expect" | "ok"): Array<string> =>
  text.split("\n").flatMap((line, i) => {
    const m = new RegExp(`// ${kind}: ([\\w, -]+?)(?: \\(.*\\))?$`).exec(line)
    return m === null ? [] : m[1]!.split(",").map((rule) => `${i + 1} ${rule.trim()}`)
  })

const tmpDirs: Array<string> = []
const tmpProject = (files: Record<string, string>): string => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "audit-"))
  tmpDirs.push(dir)
  for (const [name, text] of Object.entries(files)) {
    Fs.mkdirSync(Path.dirname(Path.join(dir, name)), { recursive: true })
    Fs.writeFileSync(Path.join(dir, name), text)
  }
  return dir
}
afterAll(() => tmpDirs.forEach((d) => Fs.rmSync(d, { recursive: true, force: true })))

const rulesOf = (text: string, fileName = "x.ts") => Audit.auditSource(fileName, text).map((f) => f.rule)

describe("Audit fixtures", () => {
  it.each(fixtureFiles)("%s: exactly the annotated findings, look-alikes untouched", (file) => {
    const text = Fs.readFileSync(Path.join(fixtures, file), "utf8")
    const actual = Audit.auditSource(file, text).map((f) => `${f.line} ${f.rule}`).sort()
    expect(actual).toEqual(annotations(text, "expect").sort())
  })

  it("every rule has positive and look-alike cases", () => {
    const texts = fixtureFiles.map((f) => Fs.readFileSync(Path.join(fixtures, f), "utf8"))
    const rulesIn = (kind: "expect" | "ok") =>
      new Set(texts.flatMap((t) => annotations(t, kind)).map((a) => a.split(" ")[1]))
    for (const rule of Audit.ruleNames) {
      expect(rulesIn("expect"), rule).toContain(rule)
      expect(rulesIn("ok"), rule).toContain(rule)
    }
  })

  it("every finding names its fix and a 1-based position", () => {
    const [finding] = Audit.auditSource("a.ts", "\n  fetch(url)\n")
    expect(finding).toMatchObject({ rule: "missing-timeout", file: "a.ts", line: 2, column: 3 })
    expect(finding!.fix).toBe(Audit.rules.find((r) => r.name === "missing-timeout")!.fix)
  })
})

describe("Audit import resolution", () => {
  const catchAll = "eff.pipe(X.catchAll(() => X.succeed(0)))"
  it.each([
    [`import { Effect as X } from "effect"`, catchAll],
    [`import * as X from "effect/Effect"`, catchAll],
    [`import * as Fx from "effect"`, "eff.pipe(Fx.Effect.catchAll(() => Fx.Effect.succeed(0)))"],
    [`import { catchAll as c, succeed } from "effect/Effect"`, "c(eff, () => succeed(0))"]
  ])("%s", (imports, code) => {
    expect(rulesOf(`${imports}\n${code}`)).toEqual(["catch-all-to-success"])
  })

  it("ignores look-alike names that are not Effect's", () => {
    expect(rulesOf(`import * as X from "./mine.js"\n${catchAll}`)).toEqual([])
    expect(rulesOf(`const X = { catchAll: (f) => f, succeed: (a) => a }\n${catchAll}`)).toEqual([])
  })

  it("follows pipe(...) and .pipe(...) to the retried request", () => {
    const imports = `import { Effect, Schedule, pipe } from "effect"\nconst s = Schedule.exponential("1 second").pipe(Schedule.jittered, Schedule.recurs(3), Schedule.whileInput(f))\n`
    expect(rulesOf(`${imports}pipe(axios.post(u, b, { timeout: 1 }), Effect.retry(s))`)).toEqual(["non-idempotent-retry"])
    expect(rulesOf(`${imports}pipe(axios.get(u, { timeout: 1 }), Effect.retry(s))`)).toEqual([])
  })

  it("reads .tsx and .js files", () => {
    expect(rulesOf("const A = () => <div onClick={() => { try { go() } catch {} }} />", "a.tsx")).toEqual(["swallowed-error"])
    expect(rulesOf("module.exports = () => { throw new Error('x') }", "a.cjs")).toEqual(["uncategorized-error"])
  })
})

describe("Audit suppression", () => {
  it("a -file suppression covers the whole file, for the rules it names", () => {
    const text = [
      "// effect-resilience-audit-ignore-file uncategorized-error: a script whose errors end the process",
      "throw new Error('a')",
      "export const f = () => { throw new Error('b') }",
      "try { go() } catch {}"
    ].join("\n")
    expect(Audit.auditSource("a.ts", text).map((f) => `${f.line} ${f.rule}`)).toEqual(["4 swallowed-error"])
  })

  it("a suppression covers its own line only, not the lines after the next one", () => {
    const text = "// effect-resilience-audit-ignore missing-timeout: local\nfetch(a)\nfetch(b)"
    expect(Audit.auditSource("a.ts", text).map((f) => f.line)).toEqual([3])
  })
})

describe("Audit config", () => {
  it("switches rules off", () => {
    const text = "try { go() } catch {}\nthrow new Error('x')"
    expect(Audit.auditSource("a.ts", text, { rules: { "swallowed-error": "off" } }).map((f) => f.rule))
      .toEqual(["uncategorized-error"])
    expect(Audit.auditSource("a.ts", text, { rules: { "uncategorized-error": false, "swallowed-error": "on" } }).map((f) => f.rule))
      .toEqual(["swallowed-error"])
  })

  it("globs: * within a segment, ** across, bare names at any depth, directories cover their files", () => {
    expect(globToRegExp("scripts/**").test("scripts/a/b.ts")).toBe(true)
    expect(globToRegExp("src/*.ts").test("src/a/b.ts")).toBe(false)
    expect(globToRegExp("src/**/*.gen.ts").test("src/a/b/c.gen.ts")).toBe(true)
    expect(globToRegExp("src/**/*.gen.ts").test("src/c.gen.ts")).toBe(true)
    expect(globToRegExp("*.generated.ts").test("deep/x/y.generated.ts")).toBe(true)
    expect(globToRegExp("fixtures").test("test/fixtures/a.ts")).toBe(true)
    expect(globToRegExp("a.ts").test("ba.ts")).toBe(false)
  })

  it.effect("applies ignore globs and skips node_modules, dist and declaration files", () =>
    Effect.gen(function*() {
      const bad = "throw new Error('x')\n"
      const dir = tmpProject({
        "src/a.ts": bad,
        "src/gen/b.ts": bad,
        "src/c.d.ts": bad,
        "node_modules/lib/index.ts": bad,
        "dist/index.js": bad,
        "scripts/run.mjs": bad,
        "README.md": bad
      })
      const all = yield* Audit.auditPaths(["."], { cwd: dir })
      expect(all.findings.map((f) => f.file).sort()).toEqual(["scripts/run.mjs", "src/a.ts", "src/gen/b.ts"])
      const some = yield* Audit.auditPaths([], { cwd: dir, config: { ignore: ["src/gen/**", "*.mjs"] } })
      expect(some).toMatchObject({ files: 1, findings: [{ file: "src/a.ts", line: 1, column: 1 }] })
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("loads the config file, rejects unknown rules and keys, and a missing explicit file", () =>
    Effect.gen(function*() {
      const dir = tmpProject({
        ".effect-resilience-audit.json": JSON.stringify({ rules: { "missing-timeout": "off" }, ignore: ["x/**"] }),
        "typo.json": JSON.stringify({ rules: { "missing-timeouts": "off" } }),
        "extra.json": JSON.stringify({ rulez: {} }),
        "broken.json": "{"
      })
      expect(yield* Audit.loadConfig({ cwd: dir })).toEqual({ rules: { "missing-timeout": "off" }, ignore: ["x/**"] })
      expect(yield* Audit.loadConfig({ cwd: tmpProject({}) })).toEqual({})
      for (const path of ["typo.json", "extra.json", "broken.json", "absent.json"]) {
        const result = yield* Effect.either(Audit.loadConfig({ cwd: dir, path }))
        expect(Either.isLeft(result) && result.left._tag, path).toBe("InvalidAuditConfig")
      }
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("a missing path is an AuditPathNotFound", () =>
    Effect.gen(function*() {
      const result = yield* Effect.either(Audit.auditPaths(["nope"], { cwd: tmpProject({}) }))
      expect(Either.isLeft(result) && result.left).toMatchObject({ _tag: "AuditPathNotFound", path: "nope" })
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("Audit CLI", () => {
  const bad = "export const f = async () => { try { return await fetch(u, { signal: s }) } catch { return null } }\n"
  const column = bad.indexOf("catch {") + 1
  const runCli = (args: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const out: Array<string> = []
      const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")))
      const err = vi.spyOn(console, "error").mockImplementation((...a) => void out.push(a.join(" ")))
      const code = yield* main(["node", "effect-resilience", "audit", ...args]).pipe(
        Effect.provide(NodeContext.layer),
        Effect.ensuring(Effect.sync(() => {
          log.mockRestore()
          err.mockRestore()
        }))
      )
      return { code, output: out.join("\n") }
    })

  it.effect("exits 1 with file:line:column rule message (fix) lines when there are findings", () =>
    Effect.gen(function*() {
      const dir = tmpProject({ "a.ts": bad, "clean.ts": "export const x = 1\n" })
      const { code, output } = yield* runCli([dir])
      expect(code).toBe(1)
      expect(output).toContain(`${Path.relative(process.cwd(), Path.join(dir, "a.ts"))}:1:${column} error-as-null catch block`)
      expect(output).toMatch(/\(fix: fail with a domain error/)
      expect(output).toContain("1 finding in 2 files")
    }))

  it.effect("exits 0 on clean code and prints JSON with --json", () =>
    Effect.gen(function*() {
      const clean = yield* runCli([tmpProject({ "a.ts": "export const x = 1\n" })])
      expect(clean).toMatchObject({ code: 0 })
      const json = yield* runCli(["--json", tmpProject({ "a.ts": bad })])
      expect(json.code).toBe(1)
      const parsed = JSON.parse(json.output)
      expect(parsed.files).toBe(1)
      expect(parsed.findings).toEqual([expect.objectContaining({ rule: "error-as-null", line: 1, column })])
    }))

  it.effect("honours --config and exits 2 on a bad config or path", () =>
    Effect.gen(function*() {
      const dir = tmpProject({
        "a.ts": bad,
        "off.json": JSON.stringify({ rules: { "error-as-null": "off" } }),
        "bad.json": JSON.stringify({ rules: { "no-such-rule": "off" } })
      })
      expect(yield* runCli(["--config", Path.join(dir, "off.json"), dir])).toMatchObject({ code: 0 })
      const badConfig = yield* runCli(["--config", Path.join(dir, "bad.json"), dir])
      expect(badConfig.code).toBe(2)
      expect(badConfig.output).toContain("invalid audit config")
      expect(yield* runCli([Path.join(dir, "missing")])).toMatchObject({ code: 2 })
    }))

  it("the installed bin sets the process exit code", async () => {
    const dir = tmpProject({ "a.ts": bad })
    const tsx = Path.join(root, "node_modules", ".bin", "tsx")
    const bin = Path.join(root, "src", "bin", "effect-resilience.ts")
    const failed = await promisify(execFile)(tsx, [bin, "audit", "--json", dir], { cwd: root }).then(
      () => ({ code: 0, stdout: "" }),
      (e: { code: number; stdout: string }) => e
    )
    expect(failed.code).toBe(1)
    expect(JSON.parse(failed.stdout).findings).toHaveLength(1)
  }, 60_000)
})

describe("Audit of this project", () => {
  it.effect("src/ and examples/ have no findings", () =>
    Effect.gen(function*() {
      const config = yield* Audit.loadConfig({ cwd: root })
      const report = yield* Audit.auditPaths(["src", "examples"], { cwd: root, config })
      expect(report.files).toBeGreaterThan(5)
      expect(Audit.formatHuman(report)).toBe(`effect-resilience audit: ${report.files} files, no findings`)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("flags the demo's deliberately naive service, which the project config skips", () =>
    Effect.gen(function*() {
      const naive = "examples/demo/NaiveService.ts"
      const config = yield* Audit.loadConfig({ cwd: root })
      expect(config.ignore).toContain(naive)
      const report = yield* Audit.auditPaths([naive], { cwd: root })
      expect([...new Set(report.findings.map((f) => f.rule))].sort()).toEqual([
        "error-details-in-response",
        "missing-timeout",
        "uncategorized-error"
      ])
    }).pipe(Effect.provide(NodeContext.layer)))
})
