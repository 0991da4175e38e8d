import ts from "typescript"
import type { FileContext } from "./context.js"
import { isEmptyBlock, isFunctionLike, isNullish, returnedExpressions, skipParens } from "./context.js"

/** Effect combinators that see every failure (or defect) of the effect they wrap. */
const catchAlls: ReadonlySet<string> = new Set(["catchAll", "catchAllCause", "catchAllDefect", "orElse"])

/** Effect constructors of a plain success value. */
const successes: ReadonlySet<string> = new Set([
  "succeed",
  "succeedNone",
  "succeedSome",
  "sync",
  "void",
  "unit",
  "none"
])

const isEffectSuccess = (ctx: FileContext, expr: ts.Expression | undefined): boolean => {
  if (expr === undefined) return false
  expr = skipParens(expr)
  const target = ts.isCallExpression(expr) ? expr.expression : expr
  const member = ctx.memberOf(target, "effect/Effect")
  return member !== undefined && successes.has(member)
}

/** A catch block that does nothing with the error: empty, comments only, or only continue/break/return. */
const catchClause = (ctx: FileContext, node: ts.CatchClause): void => {
  const statements = node.block.statements.filter((s) => !ts.isEmptyStatement(s))
  if (statements.length === 0) {
    const hasComment = /\/[/*]/.test(node.block.getText(ctx.sf))
    ctx.report("swallowed-error", node, hasComment ? "catch block holds only a comment" : "empty catch block")
    return
  }
  if (statements.length !== 1) return
  const only = statements[0]!
  if (ts.isContinueStatement(only) || ts.isBreakStatement(only)) {
    ctx.report("swallowed-error", node, `catch block only does \`${only.getText(ctx.sf)}\``)
  } else if (ts.isReturnStatement(only)) {
    if (only.expression === undefined) ctx.report("swallowed-error", node, "catch block only returns")
    else if (isNullish(only.expression)) {
      ctx.report("error-as-null", node, `catch block signals the error with \`${only.getText(ctx.sf)}\``)
    }
  }
}

/** `promise.catch(() => {})` and `promise.catch(() => null)`. */
const promiseCatch = (ctx: FileContext, node: ts.CallExpression): void => {
  const callee = skipParens(node.expression)
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== "catch" || node.arguments.length !== 1) return
  const handler = skipParens(node.arguments[0]!)
  if (!isFunctionLike(handler)) return
  if (ts.isBlock(handler.body) && isEmptyBlock(handler.body)) {
    ctx.report("swallowed-error", callee.name, "`.catch` handler ignores the error")
    return
  }
  const returned = returnedExpressions(handler)
  if (returned.length === 1 && isNullish(returned[0])) {
    ctx.report("error-as-null", callee.name, "`.catch` handler turns the error into null/undefined")
  }
}

/** `Effect.catchAll(() => Effect.succeed(x))`, `Effect.orElseSucceed(...)` outside a boundary. */
const effectCatchAll = (ctx: FileContext, node: ts.CallExpression): void => {
  const member = ctx.effectCall(node)
  if (member === undefined) return
  if (member === "orElseSucceed") {
    if (!ctx.atDocumentedBoundary(node)) {
      ctx.report("catch-all-to-success", node, "`Effect.orElseSucceed` turns every failure into a success value")
    }
    return
  }
  if (!catchAlls.has(member) || node.arguments.length === 0) return
  const handler = skipParens(node.arguments[node.arguments.length - 1]!)
  if (!isFunctionLike(handler)) return
  // A handler that does something before succeeding (logs, records a metric) is a degrade, not a swallow.
  if (ts.isBlock(handler.body) && handler.body.statements.length !== 1) return
  const returned = returnedExpressions(handler)
  if (returned.length === 0 || !returned.every((e) => isEffectSuccess(ctx, e))) return
  if (ctx.atDocumentedBoundary(node)) return
  ctx.report("catch-all-to-success", node, `\`Effect.${member}\` turns every failure into a success value`)
}

/** @internal */
export const visit = (ctx: FileContext, node: ts.Node): void => {
  if (ts.isCatchClause(node)) catchClause(ctx, node)
  else if (ts.isCallExpression(node)) {
    promiseCatch(ctx, node)
    effectCatchAll(ctx, node)
  }
}
