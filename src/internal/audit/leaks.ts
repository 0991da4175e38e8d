import ts from "typescript"
import type { FileContext } from "./context.js"
import { calleeName, isFunctionLike, isStringy, rootIdentifier, skipParens } from "./context.js"

// --- which identifiers hold a caught error ---------------------------------------------------------

/** Effect combinators whose handler receives an unknown failure, cause or defect. */
const effectCatchers: ReadonlySet<string> = new Set([
  "catchAll",
  "catchAllCause",
  "catchAllDefect",
  "catchSome",
  "catchSomeCause",
  "catchSomeDefect",
  "catchIf",
  "mapError",
  "tapError",
  "tapErrorCause",
  "tapDefect",
  "orElse"
])

const paramNames = (fn: ts.SignatureDeclaration): ReadonlyArray<string | undefined> =>
  fn.parameters.map((p) => ts.isIdentifier(p.name) ? p.name.text : undefined)

/** A function that is handed a caught error: `.catch(h)`, `.then(_, h)`, `Effect.catchAll(h)`, `(err, req, res, next) => ...`. */
const isErrorHandler = (ctx: FileContext, fn: ts.SignatureDeclaration): boolean => {
  const names = paramNames(fn)
  if (names.length === 4 && /^err/i.test(names[0] ?? "")) return true
  const call = fn.parent
  if (!ts.isCallExpression(call) || !call.arguments.includes(fn as ts.Expression)) return false
  const name = calleeName(call.expression)
  if (name === "catch" && !ts.isIdentifier(skipParens(call.expression))) return true
  if (name === "then" && call.arguments[1] === fn) return true
  const member = ctx.effectCall(call)
  return member !== undefined && effectCatchers.has(member)
}

/** Whether an identifier is bound, in its scope, to a caught error (catch variable or handler parameter). */
const holdsCaughtError = (ctx: FileContext, id: ts.Identifier): boolean => {
  for (let n: ts.Node = id.parent; !ts.isSourceFile(n); n = n.parent) {
    if (ts.isCatchClause(n)) {
      const v = n.variableDeclaration
      if (v !== undefined && ts.isIdentifier(v.name) && v.name.text === id.text) return true
    } else if (ts.isFunctionLike(n) && paramNames(n).includes(id.text)) {
      return isErrorHandler(ctx, n)
    }
  }
  return false
}

const caughtIdentifier = (ctx: FileContext, expr: ts.Expression): boolean => {
  expr = skipParens(expr)
  return ts.isIdentifier(expr) && holdsCaughtError(ctx, expr)
}

/** `String(err)`, `err.toString()`, `inspect(err)`, `JSON.stringify(err)`. */
const stringifiesCaught = (ctx: FileContext, call: ts.CallExpression): boolean => {
  const callee = skipParens(call.expression)
  const name = calleeName(callee)
  if (name === "toString" && ts.isPropertyAccessExpression(callee)) return caughtIdentifier(ctx, callee.expression)
  const arg = call.arguments[0]
  return arg !== undefined && (name === "String" || name === "inspect" || name === "stringify") &&
    caughtIdentifier(ctx, arg)
}

/** What a payload exposes of an error, if anything: a stack, `Cause.pretty`, a raw error or its message. */
const exposure = (ctx: FileContext, payload: ts.Node): string | undefined => {
  let found: string | undefined
  const walk = (node: ts.Node): void => {
    if (found !== undefined || isFunctionLike(node)) return
    if (ts.isPropertyAccessExpression(node)) {
      if (node.name.text === "stack") found = `\`${node.getText(ctx.sf)}\``
      else if (node.name.text === "message" && caughtIdentifier(ctx, node.expression)) found = `\`${node.getText(ctx.sf)}\``
    } else if (ts.isCallExpression(node)) {
      if (ctx.memberOf(node.expression, "effect/Cause") === "pretty") found = "`Cause.pretty(...)`"
      else if (stringifiesCaught(ctx, node)) found = `\`${node.getText(ctx.sf)}\``
    } else if (ts.isTemplateSpan(node) && caughtIdentifier(ctx, node.expression)) {
      found = `\`\${${node.expression.getText(ctx.sf)}}\``
    } else if (ts.isShorthandPropertyAssignment(node) && holdsCaughtError(ctx, node.name)) {
      found = `the raw error \`${node.name.text}\``
    } else if (ts.isPropertyAssignment(node) && caughtIdentifier(ctx, node.initializer)) {
      found = `the raw error \`${node.initializer.getText(ctx.sf)}\``
    }
    if (found === undefined) ts.forEachChild(node, walk)
  }
  walk(payload)
  return found
}

// --- responses -------------------------------------------------------------------------------------

const responseObjects = /^(res|resp|response|reply|rep|ctx|c|context|h)$/
const responseMethods: ReadonlySet<string> = new Set(["send", "json", "jsonp", "end", "write", "text", "html", "body"])

/** The arguments of a call that writes a response body, or undefined when it is no such call. */
const responsePayload = (ctx: FileContext, node: ts.Node): ReadonlyArray<ts.Node> | undefined => {
  if (ts.isNewExpression(node)) {
    const callee = skipParens(node.expression)
    return ts.isIdentifier(callee) && /^(Response|NextResponse)$/.test(callee.text) ? node.arguments ?? [] : undefined
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const left = skipParens(node.left)
    return ts.isPropertyAccessExpression(left) && left.name.text === "body" &&
        responseObjects.test(rootIdentifier(left.expression) ?? "")
      ? [node.right]
      : undefined
  }
  if (!ts.isCallExpression(node)) return undefined
  const callee = skipParens(node.expression)
  if (ctx.memberOf(callee, "@effect/platform/HttpServerResponse") !== undefined) return node.arguments
  if (!ts.isPropertyAccessExpression(callee)) return undefined
  if (ts.isIdentifier(callee.expression) && /^(Response|NextResponse)$/.test(callee.expression.text)) return node.arguments
  return responseMethods.has(callee.name.text) && responseObjects.test(rootIdentifier(callee.expression) ?? "")
    ? node.arguments
    : undefined
}

// --- logs ------------------------------------------------------------------------------------------

type Level = "error" | "info"

const effectLevels: Readonly<Record<string, Level>> = {
  logError: "error",
  logWarning: "error",
  logFatal: "error",
  log: "info",
  logInfo: "info",
  logDebug: "info",
  logTrace: "info"
}
const loggerLevels: Readonly<Record<string, Level>> = {
  error: "error",
  warn: "error",
  warning: "error",
  fatal: "error",
  critical: "error",
  log: "info",
  info: "info",
  debug: "info",
  trace: "info"
}

const logLevel = (ctx: FileContext, node: ts.CallExpression): Level | undefined => {
  const effect = ctx.effectCall(node)
  if (effect !== undefined) return Object.hasOwn(effectLevels, effect) ? effectLevels[effect] : undefined
  const callee = skipParens(node.expression)
  if (!ts.isPropertyAccessExpression(callee) || !Object.hasOwn(loggerLevels, callee.name.text)) return undefined
  const receiver = calleeName(callee.expression) ?? ""
  if (receiver === "console" || /^(_?log|_?logger)$/i.test(receiver) || /Logger$/.test(receiver)) {
    return loggerLevels[callee.name.text]
  }
  return undefined
}

const operands = (expr: ts.Expression): ReadonlyArray<ts.Expression> => {
  expr = skipParens(expr)
  return ts.isBinaryExpression(expr) && expr.operatorToken.kind === ts.SyntaxKind.PlusToken
    ? [...operands(expr.left), ...operands(expr.right)]
    : [expr]
}

/** The interpolated parts of a message built with a template or string `+`. */
const interpolations = (expr: ts.Expression): ReadonlyArray<ts.Expression> => {
  const parts = operands(expr)
  if (!parts.some(isStringy)) return []
  return parts.flatMap((p) =>
    ts.isStringLiteralLike(p) ? [] : ts.isTemplateExpression(p) ? p.templateSpans.map((s) => s.expression) : [p]
  )
}

const mentionsError = (ctx: FileContext, expr: ts.Expression): boolean => {
  expr = skipParens(expr)
  if (caughtIdentifier(ctx, expr)) return true
  if (ts.isPropertyAccessExpression(expr) && (expr.name.text === "message" || expr.name.text === "stack")) return true
  return ts.isCallExpression(expr) && stringifiesCaught(ctx, expr)
}

const logCall = (ctx: FileContext, node: ts.CallExpression): void => {
  const level = logLevel(ctx, node)
  const message = node.arguments[0]
  if (level === undefined || message === undefined) return
  const parts = interpolations(message)
  if (parts.length === 0) return
  if (level === "error" || parts.some((p) => mentionsError(ctx, p))) {
    ctx.report("unstructured-error-log", node, `\`${calleeName(node.expression)}\` message is built from a template string`)
  }
}

/** @internal */
export const visit = (ctx: FileContext, node: ts.Node): void => {
  const payload = responsePayload(ctx, node)
  if (payload !== undefined) {
    for (const arg of payload) {
      const leak = exposure(ctx, arg)
      if (leak !== undefined) {
        ctx.report("error-details-in-response", node, `response body contains ${leak}`)
        break
      }
    }
  }
  if (ts.isCallExpression(node)) logCall(ctx, node)
}
