import ts from "typescript"
import type { FileContext } from "./context.js"
import { isFunctionLike, isStringy, propertyValue, returnedExpressions, skipParens } from "./context.js"

/** `new Error(...)` / `Error(...)`: the base class, which says nothing about what went wrong. */
const isBareError = (ctx: FileContext, expr: ts.Expression | undefined): boolean => {
  if (expr === undefined) return false
  expr = skipParens(expr)
  if (!ts.isNewExpression(expr) && !ts.isCallExpression(expr)) return false
  const callee = skipParens(expr.expression)
  return ts.isIdentifier(callee) && callee.text === "Error" && ctx.binding("Error") === undefined
}

const uncategorized = (ctx: FileContext, expr: ts.Expression | undefined): boolean =>
  expr !== undefined && (isBareError(ctx, expr) || isStringy(expr))

/** A function argument that builds an uncategorised error. */
const buildsUncategorized = (ctx: FileContext, fn: ts.Expression | undefined): boolean => {
  if (fn === undefined) return false
  fn = skipParens(fn)
  return isFunctionLike(fn) && returnedExpressions(fn).some((e) => uncategorized(ctx, e))
}

const lastArgument = (node: ts.CallExpression): ts.Expression | undefined => node.arguments[node.arguments.length - 1]

const effectCall = (ctx: FileContext, node: ts.CallExpression): void => {
  const member = ctx.effectCall(node)
  switch (member) {
    case "fail":
      if (uncategorized(ctx, node.arguments[0])) ctx.report("uncategorized-error", node, "`Effect.fail` with an untagged error")
      return
    case "die":
      if (node.arguments[0] !== undefined && isStringy(node.arguments[0])) {
        ctx.report("uncategorized-error", node, "`Effect.die` with a bare string")
      }
      return
    case "failSync":
    case "mapError":
    case "orElseFail":
      if (buildsUncategorized(ctx, lastArgument(node))) {
        ctx.report("uncategorized-error", node, `\`Effect.${member}\` builds an untagged error`)
      }
      return
    case "try":
    case "tryPromise":
    case "tryMap":
    case "tryMapPromise": {
      const options = lastArgument(node)
      const opts = options === undefined ? undefined : skipParens(options)
      if (opts !== undefined && ts.isObjectLiteralExpression(opts) && buildsUncategorized(ctx, propertyValue(opts, "catch"))) {
        ctx.report("uncategorized-error", node, `\`Effect.${member}\` maps failures to an untagged error`)
      }
      return
    }
  }
}

/** @internal */
export const visit = (ctx: FileContext, node: ts.Node): void => {
  if (ts.isThrowStatement(node)) {
    if (uncategorized(ctx, node.expression)) ctx.report("uncategorized-error", node, "throws an untagged error")
  } else if (ts.isCallExpression(node)) {
    effectCall(ctx, node)
    const callee = skipParens(node.expression)
    if (
      ts.isPropertyAccessExpression(callee) && callee.name.text === "reject" && ts.isIdentifier(callee.expression) &&
      callee.expression.text === "Promise" && uncategorized(ctx, node.arguments[0])
    ) ctx.report("uncategorized-error", node, "`Promise.reject` with an untagged error")
  }
}
