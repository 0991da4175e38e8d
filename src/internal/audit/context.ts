import ts from "typescript"
import type { RuleName } from "./rules.js"

/** A raw finding before suppression and configuration are applied. @internal */
export interface RawFinding {
  readonly rule: RuleName
  readonly pos: number
  readonly message: string
}

type Binding =
  | { readonly kind: "namespace"; readonly module: string }
  | { readonly kind: "named"; readonly module: string; readonly name: string }
  | { readonly kind: "default"; readonly module: string }

/** Barrels whose named exports are whole modules: `import { Effect } from "effect"`. */
const barrels: ReadonlySet<string> = new Set(["effect", "@effect/platform"])

/** `Effect` from "effect" is the module "effect/Effect"; `pipe` from "effect" is a function. */
const barrelMember = (module: string, name: string): Binding | undefined => {
  if (!barrels.has(module)) return undefined
  return /^[a-z]/.test(name)
    ? { kind: "named", module: `${module}/Function`, name }
    : { kind: "namespace", module: `${module}/${name}` }
}

const canonicalModule = (specifier: string): string =>
  specifier.startsWith("node:") ? specifier.slice(5) : specifier

/**
 * What a rule sees of a file: the syntax tree, the import bindings (so `E.catchAll`,
 * `Eff.retry` and `import { retry } from "effect/Effect"` all resolve to `effect/Effect`),
 * same-file declarations by name, and a sink for findings.
 *
 * @internal
 */
export class FileContext {
  readonly findings: Array<RawFinding> = []
  /** Names bound to an untransformed @effect/platform `HttpClient` (`yield* HttpClient.HttpClient`). */
  readonly httpClients = new Set<string>()
  private readonly bindings = new Map<string, Binding>()
  private declarations: Map<string, ts.Node> | undefined

  constructor(readonly sf: ts.SourceFile) {
    for (const statement of sf.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue
      const module = canonicalModule(statement.moduleSpecifier.text)
      const clause = statement.importClause
      if (clause === undefined) continue
      if (clause.name !== undefined) this.bindings.set(clause.name.text, { kind: "default", module })
      const named = clause.namedBindings
      if (named === undefined) continue
      if (ts.isNamespaceImport(named)) {
        this.bindings.set(named.name.text, { kind: "namespace", module })
      } else {
        for (const element of named.elements) {
          const name = (element.propertyName ?? element.name).text
          this.bindings.set(element.name.text, barrelMember(module, name) ?? { kind: "named", module, name })
        }
      }
    }
  }

  report(rule: RuleName, node: ts.Node, message: string): void {
    this.findings.push({ rule, pos: node.getStart(this.sf), message })
  }

  /** The module a local identifier was imported from, with how it was imported. */
  binding(name: string): Binding | undefined {
    return this.bindings.get(name)
  }

  /** Resolves `X.y`, `y` (named import) or `ns.X.y` to `{ module, name }`. */
  resolve(expr: ts.Expression): { readonly module: string; readonly name: string } | undefined {
    expr = skipParens(expr)
    if (ts.isIdentifier(expr)) {
      const b = this.bindings.get(expr.text)
      return b?.kind === "named" ? { module: b.module, name: b.name } : undefined
    }
    if (!ts.isPropertyAccessExpression(expr)) return undefined
    const ns = this.namespaceOf(expr.expression)
    return ns === undefined ? undefined : { module: ns, name: expr.name.text }
  }

  private namespaceOf(expr: ts.Expression): string | undefined {
    expr = skipParens(expr)
    if (ts.isIdentifier(expr)) {
      const b = this.bindings.get(expr.text)
      if (b === undefined) return undefined
      return b.kind === "named" ? undefined : b.module
    }
    if (ts.isPropertyAccessExpression(expr)) {
      const outer = this.namespaceOf(expr.expression)
      if (outer !== undefined && barrels.has(outer)) return `${outer}/${expr.name.text}`
    }
    return undefined
  }

  /** The member name if `expr` refers to a member of `module`, e.g. "catchAll" for `E.catchAll`. */
  memberOf(expr: ts.Expression, module: string): string | undefined {
    const r = this.resolve(expr)
    return r !== undefined && r.module === module ? r.name : undefined
  }

  /** The member of `effect/Effect` a call calls, if any. */
  effectCall(node: ts.Node): string | undefined {
    return ts.isCallExpression(node) ? this.memberOf(node.expression, "effect/Effect") : undefined
  }

  /** The initializer or declaration of a same-file `const x = ...` / `function x() {}`. */
  declaration(name: string): ts.Node | undefined {
    if (this.declarations === undefined) {
      const map = new Map<string, ts.Node>()
      const visit = (node: ts.Node): void => {
        if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined) {
          map.set(node.name.text, node.initializer)
        } else if (ts.isFunctionDeclaration(node) && node.name !== undefined && node.body !== undefined) {
          map.set(node.name.text, node)
        }
        ts.forEachChild(node, visit)
      }
      visit(this.sf)
      this.declarations = map
    }
    return this.declarations.get(name)
  }

  /** Follows identifiers to their same-file initializers (a few hops). */
  dereference(expr: ts.Expression): ts.Expression | undefined {
    let current = skipParens(expr)
    for (let hops = 0; hops < 4 && ts.isIdentifier(current); hops++) {
      if (this.bindings.has(current.text)) return undefined
      const decl = this.declaration(current.text)
      if (decl === undefined || !isExpression(decl)) return undefined
      current = skipParens(decl)
    }
    return current
  }

  /**
   * Whether a comment documents a boundary around `node`: any comment mentioning "boundary" in
   * front of the node or one of its ancestors (the call, its statement, the enclosing declaration).
   */
  atDocumentedBoundary(node: ts.Node): boolean {
    const text = this.sf.text
    for (let n: ts.Node | undefined = node; n !== undefined && !ts.isSourceFile(n); n = n.parent) {
      const ranges = ts.getLeadingCommentRanges(text, n.getFullStart())
      if (ranges?.some((r) => /\bboundary\b/i.test(text.slice(r.pos, r.end))) === true) return true
    }
    return false
  }
}

/** @internal */
export const skipParens = (expr: ts.Expression): ts.Expression => {
  while (
    ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isNonNullExpression(expr) ||
    ts.isSatisfiesExpression(expr) || ts.isTypeAssertionExpression(expr)
  ) expr = expr.expression
  return expr
}

const isExpression = (node: ts.Node): node is ts.Expression =>
  !ts.isFunctionDeclaration(node) && ts.isExpression(node)

/** The last name of a callee: `fetch`, `get` for `axios.get`, `timeout` for `Effect.timeout`. @internal */
export const calleeName = (expr: ts.Expression): string | undefined => {
  expr = skipParens(expr)
  if (ts.isIdentifier(expr)) return expr.text
  if (ts.isPropertyAccessExpression(expr)) return expr.name.text
  if (ts.isCallExpression(expr)) return calleeName(expr.expression)
  return undefined
}

/** The leftmost identifier of `res.status(500).json`, i.e. `res`. @internal */
export const rootIdentifier = (expr: ts.Expression): string | undefined => {
  expr = skipParens(expr)
  while (true) {
    if (ts.isIdentifier(expr)) return expr.text
    if (expr.kind === ts.SyntaxKind.ThisKeyword) return "this"
    if (ts.isPropertyAccessExpression(expr) || ts.isElementAccessExpression(expr) || ts.isCallExpression(expr)) {
      expr = skipParens(expr.expression)
    } else return undefined
  }
}

/** @internal */
export const isFunctionLike = (node: ts.Node): node is ts.ArrowFunction | ts.FunctionExpression =>
  ts.isArrowFunction(node) || ts.isFunctionExpression(node)

/** The expressions a function returns: its expression body, or its top-level `return`s. @internal */
export const returnedExpressions = (
  fn: ts.ArrowFunction | ts.FunctionExpression
): ReadonlyArray<ts.Expression | undefined> => {
  if (!ts.isBlock(fn.body)) return [fn.body]
  const out: Array<ts.Expression | undefined> = []
  const visit = (node: ts.Node): void => {
    if (ts.isReturnStatement(node)) out.push(node.expression)
    else if (!ts.isFunctionLike(node)) ts.forEachChild(node, visit)
  }
  visit(fn.body)
  return out
}

/** `null`, `undefined`, `void 0`. @internal */
export const isNullish = (expr: ts.Expression | undefined): boolean => {
  if (expr === undefined) return false
  expr = skipParens(expr)
  return expr.kind === ts.SyntaxKind.NullKeyword ||
    (ts.isIdentifier(expr) && expr.text === "undefined") ||
    ts.isVoidExpression(expr)
}

/** A block with no statements other than empty ones (comments are trivia). @internal */
export const isEmptyBlock = (block: ts.Block): boolean =>
  block.statements.every((s) => ts.isEmptyStatement(s))

/** An object literal's property names, or undefined when a spread makes them unknowable. @internal */
export const propertyNames = (obj: ts.ObjectLiteralExpression): ReadonlySet<string> | undefined => {
  const names = new Set<string>()
  for (const p of obj.properties) {
    if (ts.isSpreadAssignment(p)) return undefined
    if (p.name !== undefined && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) names.add(p.name.text)
  }
  return names
}

/** The value of a property `name` in an object literal. @internal */
export const propertyValue = (obj: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined => {
  for (const p of obj.properties) {
    if (p.name === undefined || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) || p.name.text !== name) {
      continue
    }
    if (ts.isPropertyAssignment(p)) return p.initializer
    if (ts.isShorthandPropertyAssignment(p)) return p.name
    if (ts.isMethodDeclaration(p)) return undefined
  }
  return undefined
}

/** Depth-first search of a subtree. @internal */
export const someDescendant = (root: ts.Node, predicate: (node: ts.Node) => boolean): boolean => {
  const visit = (node: ts.Node): boolean => predicate(node) || (ts.forEachChild(node, visit) ?? false)
  return visit(root)
}

/** @internal */
export const isStringy = (expr: ts.Expression): boolean => {
  expr = skipParens(expr)
  return ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr) || ts.isTemplateExpression(expr)
}

/**
 * `.pipe(...)` or `pipe(...)` calls: the subject and the functions applied to it.
 *
 * @internal
 */
export const pipeParts = (
  ctx: FileContext,
  call: ts.CallExpression
): { readonly subject: ts.Expression | undefined; readonly fns: ReadonlyArray<ts.Expression> } | undefined => {
  const callee = skipParens(call.expression)
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === "pipe") {
    return { subject: callee.expression, fns: call.arguments }
  }
  if (
    (ts.isIdentifier(callee) && callee.text === "pipe" && ctx.binding("pipe") === undefined) ||
    ctx.memberOf(callee, "effect/Function") === "pipe" || ctx.memberOf(callee, "effect/Function") === "flow"
  ) {
    const [subject, ...fns] = call.arguments
    return { subject, fns }
  }
  return undefined
}

/**
 * Whether an ancestor of `node` bounds it in time: a call or pipe step whose name mentions a
 * timeout (`Effect.timeout`, `Effect.timeoutFail`, a project's own `withTimeout`).
 *
 * @internal
 */
export const hasTimeoutAncestor = (ctx: FileContext, node: ts.Node): boolean => {
  const timeoutish = (e: ts.Expression): boolean => /timeout/i.test(calleeName(e) ?? "")
  for (let n: ts.Node = node.parent; !ts.isSourceFile(n); n = n.parent) {
    if (!ts.isCallExpression(n)) continue
    if (timeoutish(n.expression)) return true
    const pipe = pipeParts(ctx, n)
    if (pipe?.fns.some(timeoutish) === true) return true
  }
  return false
}
