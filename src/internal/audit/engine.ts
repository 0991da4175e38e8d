import ts from "typescript"
import { FileContext } from "./context.js"
import * as errors from "./errors.js"
import * as leaks from "./leaks.js"
import * as retries from "./retries.js"
import type { RuleName } from "./rules.js"
import { ruleByName } from "./rules.js"
import * as swallowed from "./swallowed.js"
import * as timeouts from "./timeouts.js"

/** @internal */
export interface Finding {
  readonly rule: RuleName
  readonly file: string
  readonly line: number
  readonly column: number
  readonly message: string
  readonly fix: string
}

const visitors: ReadonlyArray<(ctx: FileContext, node: ts.Node) => void> = [
  swallowed.visit,
  timeouts.visit,
  retries.visit,
  errors.visit,
  leaks.visit
]

const scriptKind = (fileName: string): ts.ScriptKind =>
  fileName.endsWith(".tsx")
    ? ts.ScriptKind.TSX
    : fileName.endsWith(".jsx")
    ? ts.ScriptKind.JSX
    : /\.[cm]?js$/.test(fileName)
    ? ts.ScriptKind.JS
    : ts.ScriptKind.TS

// --- suppression comments --------------------------------------------------------------------------

/** @internal */
export const suppressionMarker = "effect-resilience-audit-ignore"

interface Suppression {
  readonly rules: ReadonlySet<string>
  /** 1-based line it applies to; undefined for the whole file. */
  readonly line: number | undefined
}

const commentPattern = new RegExp(`(?://|/\\*)\\s*${suppressionMarker}(-file)?(?![\\w-])([^\\n]*)`, "g")
const bodyPattern = /^\s*([\w-]+(?:\s*,\s*[\w-]+)*)\s*(?::\s*(.*))?$/

const literalKinds: ReadonlySet<ts.SyntaxKind> = new Set([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateHead,
  ts.SyntaxKind.TemplateMiddle,
  ts.SyntaxKind.TemplateTail,
  ts.SyntaxKind.RegularExpressionLiteral,
  ts.SyntaxKind.JsxText
])

/** Whether a position is inside a string, template or regex rather than in a comment. */
const insideLiteral = (sf: ts.SourceFile, pos: number): boolean => {
  let node: ts.Node = sf
  for (;;) {
    const child: ts.Node | undefined = ts.forEachChild(node, (c) => c.getStart(sf) <= pos && pos < c.getEnd() ? c : undefined)
    if (child === undefined) return literalKinds.has(node.kind)
    node = child
  }
}

/** Whether `//` at `pos` is text inside a `/* ... *\/` comment (documentation), not a comment of its own. */
const insideBlockComment = (sf: ts.SourceFile, pos: number): boolean => {
  const open = sf.text.lastIndexOf("/*", pos - 1)
  return open !== -1 && sf.text.lastIndexOf("*/", pos - 1) < open && !insideLiteral(sf, open)
}

/** The first line after `line` (0-based) that holds code, 1-based. */
const nextCodeLine = (sf: ts.SourceFile, line: number): number => {
  const lines = sf.getLineStarts()
  for (let l = line + 1; l < lines.length; l++) {
    const text = sf.text.slice(lines[l], lines[l + 1] ?? sf.text.length).trim()
    if (text !== "" && !text.startsWith("//")) return l + 1
  }
  return line + 2
}

const suppressions = (ctx: FileContext): ReadonlyArray<Suppression> => {
  const { sf } = ctx
  if (!sf.text.includes(suppressionMarker)) return []
  const out: Array<Suppression> = []
  for (const match of sf.text.matchAll(commentPattern)) {
    const pos = match.index
    if (insideLiteral(sf, pos) || insideBlockComment(sf, pos)) continue
    const body = (match[2] ?? "").replace(/\*\/.*$/, "")
    const parsed = bodyPattern.exec(body)
    const names = parsed?.[1]?.split(",").map((n) => n.trim()) ?? []
    const reason = parsed?.[2]?.trim() ?? ""
    const unknown = names.filter((n) => !ruleByName.has(n) || n === "invalid-suppression")
    const problem = names.length === 0
      ? "names no rule"
      : unknown.length > 0
      ? `names unknown rule ${unknown.join(", ")}`
      : reason === ""
      ? "gives no reason"
      : undefined
    if (problem !== undefined) {
      ctx.findings.push({ rule: "invalid-suppression", pos, message: `suppression comment ${problem}` })
      continue
    }
    const { line } = sf.getLineAndCharacterOfPosition(pos)
    const ownLine = sf.text.slice(sf.getLineStarts()[line], pos).trim() === ""
    out.push({
      rules: new Set(names),
      line: match[1] !== undefined ? undefined : ownLine ? nextCodeLine(sf, line) : line + 1
    })
  }
  return out
}

// --- running the rules ------------------------------------------------------------------------------

/**
 * Audits one file's text. Pure and synchronous: parses with `ts.createSourceFile` (no Program,
 * no type checker), walks the tree once, then applies suppression comments and `enabled`.
 *
 * @internal
 */
export const auditSource = (
  fileName: string,
  text: string,
  enabled: (rule: RuleName) => boolean = () => true
): Array<Finding> => {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, scriptKind(fileName))
  const ctx = new FileContext(sf)
  const walk = (node: ts.Node): void => {
    for (const visit of visitors) visit(ctx, node)
    ts.forEachChild(node, walk)
  }
  walk(sf)
  const suppressed = suppressions(ctx)
  const seen = new Set<string>()
  const out: Array<Finding> = []
  for (const raw of ctx.findings) {
    if (!enabled(raw.rule)) continue
    const { line, character } = sf.getLineAndCharacterOfPosition(raw.pos)
    const key = `${raw.rule}:${raw.pos}`
    if (seen.has(key)) continue
    seen.add(key)
    if (suppressed.some((s) => s.rules.has(raw.rule) && (s.line === undefined || s.line === line + 1))) continue
    out.push({
      rule: raw.rule,
      file: fileName,
      line: line + 1,
      column: character + 1,
      message: raw.message,
      fix: ruleByName.get(raw.rule)!.fix
    })
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule))
}
