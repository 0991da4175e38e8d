import ts from "typescript"
import type { FileContext } from "./context.js"
import { calleeName, isFunctionLike, pipeParts, propertyNames, propertyValue, skipParens } from "./context.js"

// --- what a retry policy says -------------------------------------------------------------------

const bounds: ReadonlySet<string> = new Set([
  "recurs",
  "recurUpTo",
  "upTo",
  "during",
  "once",
  "stop",
  "whileOutput",
  "untilOutput",
  "whileOutputEffect",
  "untilOutputEffect"
])
const jitters: ReadonlySet<string> = new Set(["jittered", "jitteredWith"])
const predicates: ReadonlySet<string> = new Set([
  "whileInput",
  "untilInput",
  "whileInputEffect",
  "untilInputEffect",
  "recurWhile",
  "recurUntil",
  "recurWhileEffect",
  "recurUntilEffect",
  "check",
  "checkEffect"
])
/** Modules a schedule expression may reference and still be fully visible to the audit. */
const transparent: ReadonlySet<string> = new Set(["effect/Schedule", "effect/Duration", "effect/Function"])

interface Facts {
  readonly bounded: boolean
  readonly jittered: boolean
  readonly predicate: boolean
}

/** Whether an expression visibly builds a Schedule: `Schedule.x(...)`, `Schedule.forever`, or a pipe of one. */
const isScheduleExpression = (ctx: FileContext, expr: ts.Expression): boolean => {
  const e = ctx.dereference(expr)
  if (e === undefined) return false
  if (!ts.isCallExpression(e)) return ctx.memberOf(e, "effect/Schedule") !== undefined
  if (ctx.memberOf(e.expression, "effect/Schedule") !== undefined) return true
  const pipe = pipeParts(ctx, e)
  return pipe?.subject !== undefined && isScheduleExpression(ctx, pipe.subject)
}

/**
 * Reads a schedule expression: the Schedule members it uses (following same-file constants).
 * Undefined when part of it comes from elsewhere (an imported policy), which the audit cannot see.
 */
const scheduleFacts = (ctx: FileContext, root: ts.Expression): Facts | undefined => {
  const members = new Set<string>()
  const seen = new Set<ts.Node>()
  let opaque = false
  let jitterNamed = false
  const walk = (node: ts.Node): void => {
    if (opaque || seen.has(node) || isFunctionLike(node)) return
    seen.add(node)
    if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) {
      if (/jitter/i.test(ts.isIdentifier(node) ? node.text : node.name.text)) jitterNamed = true
      const resolved = ctx.resolve(node)
      if (resolved !== undefined) {
        if (resolved.module === "effect/Schedule") members.add(resolved.name)
        else if (!transparent.has(resolved.module)) opaque = true
        return
      }
      if (ts.isIdentifier(node)) {
        const b = ctx.binding(node.text)
        if (b !== undefined) {
          if (!transparent.has(b.module)) opaque = true
          return
        }
        const target = ctx.dereference(node)
        if (target !== undefined && target !== node) walk(target)
        return
      }
      walk(node.expression)
      return
    }
    ts.forEachChild(node, walk)
  }
  if (!isScheduleExpression(ctx, root)) return undefined
  walk(skipParens(root))
  if (opaque || members.size === 0) return undefined
  const has = (set: ReadonlySet<string>) => [...members].some((m) => set.has(m))
  return { bounded: has(bounds), jittered: has(jitters) || jitterNamed, predicate: has(predicates) }
}

/** Reads a retry policy: a Schedule, or `{ schedule?, times?, while?, until? }`. */
const policyFacts = (ctx: FileContext, policy: ts.Expression): Facts | undefined => {
  const expr = ctx.dereference(policy)
  if (expr === undefined) return undefined
  if (!ts.isObjectLiteralExpression(expr)) return scheduleFacts(ctx, expr)
  const names = propertyNames(expr)
  if (names === undefined) return undefined
  const predicate = names.has("while") || names.has("until")
  const schedule = propertyValue(expr, "schedule")
  if (schedule === undefined) return { bounded: names.has("times"), jittered: false, predicate }
  const facts = scheduleFacts(ctx, schedule)
  if (facts === undefined) return undefined
  return {
    bounded: facts.bounded || names.has("times"),
    jittered: facts.jittered,
    predicate: facts.predicate || predicate
  }
}

// --- retry calls ---------------------------------------------------------------------------------

/** Where the policy sits in a retry call, counting data-first and data-last forms. */
const retryPolicy = (ctx: FileContext, node: ts.CallExpression): { policy: ts.Expression; dataFirst: boolean } | undefined => {
  const effect = ctx.effectCall(node)
  const stream = ctx.memberOf(node.expression, "effect/Stream")
  const n = node.arguments.length
  if (effect === "retry" || stream === "retry") {
    return n === 1 ? { policy: node.arguments[0]!, dataFirst: false } : n === 2 ? { policy: node.arguments[1]!, dataFirst: true } : undefined
  }
  if (effect === "retryOrElse") {
    return n === 2 ? { policy: node.arguments[0]!, dataFirst: false } : n === 3 ? { policy: node.arguments[1]!, dataFirst: true } : undefined
  }
  return undefined
}

/** The expressions whose failures a retry call retries. */
const retried = (ctx: FileContext, node: ts.CallExpression, dataFirst: boolean): ReadonlyArray<ts.Expression> => {
  if (dataFirst) return [node.arguments[0]!]
  const parent = node.parent
  if (ts.isCallExpression(parent)) {
    if (parent.expression === node) return parent.arguments
    const pipe = pipeParts(ctx, parent)
    if (pipe !== undefined) {
      const index = pipe.fns.indexOf(node)
      return [...(pipe.subject === undefined ? [] : [pipe.subject]), ...pipe.fns.slice(0, Math.max(index, 0))]
    }
  }
  return []
}

const isPropertyName = (id: ts.Identifier): boolean =>
  (ts.isPropertyAccessExpression(id.parent) && id.parent.name === id) ||
  (ts.isPropertyAssignment(id.parent) && id.parent.name === id)

const nonIdempotent = /^(post|patch)$/i

/** Finds a POST/PATCH request in the retried code (following same-file declarations) and an idempotency key. */
const requestFacts = (ctx: FileContext, roots: ReadonlyArray<ts.Expression>): { post: ts.Node | undefined; key: boolean } => {
  let post: ts.Node | undefined
  let key = false
  const seen = new Set<ts.Node>()
  const walk = (node: ts.Node): void => {
    if (seen.has(node)) return
    seen.add(node)
    if (ts.isStringLiteralLike(node) || ts.isIdentifier(node)) {
      if (/idempotency/i.test(node.text)) key = true
      if (ts.isIdentifier(node) && !isPropertyName(node) && ctx.binding(node.text) === undefined) {
        const decl = ctx.declaration(node.text)
        if (decl !== undefined) walk(decl)
      }
    }
    if (post === undefined) {
      if (ts.isCallExpression(node)) {
        const name = calleeName(node.expression)
        if (name !== undefined && /^(post|patch)(Form)?$/.test(name) && !ts.isCallExpression(skipParens(node.expression))) post = node
      } else if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === "method") {
        const value = skipParens(node.initializer)
        if (ts.isStringLiteralLike(value) && nonIdempotent.test(value.text)) post = node
      }
    }
    ts.forEachChild(node, walk)
  }
  roots.forEach(walk)
  return { post, key }
}

const retryCall = (ctx: FileContext, node: ts.CallExpression): void => {
  const found = retryPolicy(ctx, node)
  if (found === undefined) return
  const facts = policyFacts(ctx, found.policy)
  if (facts !== undefined) {
    if (!facts.bounded) ctx.report("unbounded-retry", node, "retry has no recurs/upTo/times bound")
    if (!facts.jittered) ctx.report("retry-without-jitter", node, "retry delays have no jitter")
    if (!facts.predicate) ctx.report("retry-everything", node, "retry has no predicate on the error")
  }
  const request = requestFacts(ctx, retried(ctx, node, found.dataFirst))
  if (request.post !== undefined && !request.key) {
    ctx.report("non-idempotent-retry", node, "retries a POST/PATCH request that carries no idempotency key")
  }
}

// --- retry loops written by hand -----------------------------------------------------------------

const isLoop = (node: ts.Node): node is ts.IterationStatement => ts.isIterationStatement(node, false)

/** A delay that never changes: a literal, `Duration.seconds(1)`, or a same-file constant of those. */
const isConstantDelay = (ctx: FileContext, expr: ts.Expression | undefined): boolean => {
  if (expr === undefined) return false
  const e = ctx.dereference(expr)
  if (e === undefined) return false
  if (ts.isNumericLiteral(e) || ts.isStringLiteralLike(e)) return true
  return ts.isCallExpression(e) && ctx.memberOf(e.expression, "effect/Duration") !== undefined &&
    e.arguments.every((a) => isConstantDelay(ctx, a))
}

/** `setTimeout(r, 1000)`, `sleep(1000)`, `Effect.sleep("1 second")`, timers/promises `setTimeout(1000)`. */
const isFixedSleep = (ctx: FileContext, node: ts.CallExpression): boolean => {
  const callee = skipParens(node.expression)
  const resolved = ctx.resolve(callee)
  if (resolved?.module === "effect/Effect" && resolved.name === "sleep") return isConstantDelay(ctx, node.arguments[0])
  if (resolved?.module === "timers/promises" && resolved.name === "setTimeout") {
    return isConstantDelay(ctx, node.arguments[0])
  }
  const name = calleeName(callee)
  if (name === "setTimeout" && ts.isIdentifier(callee)) return isConstantDelay(ctx, node.arguments[1])
  if (name !== undefined && /^(sleep|delay|wait|pause)$/i.test(name) && resolved?.module.startsWith("effect") !== true) {
    return isConstantDelay(ctx, node.arguments[0])
  }
  return false
}

const catchers: ReadonlySet<string> = new Set(["either", "exit", "option", "catchAll", "orElse"])

/** The nearest loop around a node, stopping at declared functions (a loop does not own its callees). */
const nearestLoop = (node: ts.Node): ts.IterationStatement | undefined => {
  for (let n = node.parent; !ts.isSourceFile(n); n = n.parent) {
    if (isLoop(n)) return n
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n)) return undefined
  }
  return undefined
}

/**
 * A loop is a hand-written retry when it catches, leaves on success (return/break) and sleeps a
 * fixed delay. Polling loops (no exit on success) are not retries.
 */
const loop = (ctx: FileContext, node: ts.IterationStatement): void => {
  let catches = false
  let exits = false
  let sleep = false
  const walk = (n: ts.Node): void => {
    if (ts.isTryStatement(n) && n.catchClause !== undefined) catches = true
    else if (ts.isReturnStatement(n) || ts.isBreakStatement(n)) {
      if (nearestLoop(n) === node && ts.findAncestor(n, (a) => a === node || isFunctionLike(a)) === node) exits = true
    } else if (ts.isCallExpression(n)) {
      const name = calleeName(n.expression)
      const effect = ctx.effectCall(n)
      if (name === "catch" || (effect !== undefined && catchers.has(effect))) catches = true
      if (isFixedSleep(ctx, n) && nearestLoop(n) === node) sleep = true
    }
    ts.forEachChild(n, walk)
  }
  walk(node.statement)
  if (catches && exits && sleep) {
    ctx.report("hand-rolled-retry", node, "loop retries after a fixed sleep")
  }
}

/** @internal */
export const visit = (ctx: FileContext, node: ts.Node): void => {
  if (ts.isCallExpression(node)) retryCall(ctx, node)
  else if (isLoop(node)) loop(ctx, node)
}
