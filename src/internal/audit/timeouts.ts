import ts from "typescript"
import type { FileContext } from "./context.js"
import { hasTimeoutAncestor, isStringy, propertyNames, skipParens } from "./context.js"

/** Option names that bound a request in time, across fetch, node:http, axios, got and undici. */
const timeoutKeys: ReadonlyArray<string> = [
  "signal",
  "timeout",
  "cancelToken",
  "headersTimeout",
  "bodyTimeout"
]

type Verdict = "timed" | "untimed" | "unknown"

/** Judges an options argument: missing means untimed, a literal is read, anything else is unknown. */
const judgeOptions = (arg: ts.Expression | undefined): Verdict => {
  if (arg === undefined) return "untimed"
  arg = skipParens(arg)
  if (!ts.isObjectLiteralExpression(arg)) return "unknown"
  const names = propertyNames(arg)
  if (names === undefined) return "unknown"
  return timeoutKeys.some((k) => names.has(k)) ? "timed" : "untimed"
}

const httpMethods: ReadonlySet<string> = new Set(["get", "delete", "head", "options"])
const httpBodyMethods: ReadonlySet<string> = new Set(["post", "put", "patch", "postForm", "putForm", "patchForm"])
const platformMethods: ReadonlySet<string> = new Set([
  "get",
  "post",
  "put",
  "patch",
  "del",
  "head",
  "options",
  "execute"
])

const isGlobalFetch = (ctx: FileContext, callee: ts.Expression): boolean => {
  if (ts.isIdentifier(callee) && callee.text === "fetch") {
    const b = ctx.binding("fetch")
    return b === undefined || ["undici", "node-fetch", "cross-fetch"].includes(b.module)
  }
  return ts.isPropertyAccessExpression(callee) && callee.name.text === "fetch" &&
    ts.isIdentifier(callee.expression) && ["globalThis", "window", "self"].includes(callee.expression.text)
}

/** `fetch(new Request(url, { signal }))` carries its signal in the request. */
const fetchVerdict = (node: ts.CallExpression): Verdict => {
  const [input, init] = node.arguments
  if (init === undefined && input !== undefined) {
    const request = skipParens(input)
    if (ts.isNewExpression(request) && ts.isIdentifier(request.expression) && request.expression.text === "Request") {
      return judgeOptions(request.arguments?.[1])
    }
  }
  return judgeOptions(init)
}

/** node:http requests: an options literal, or a `.setTimeout(...)` / "timeout" listener on the request. */
const nodeHttpVerdict = (ctx: FileContext, node: ts.CallExpression): Verdict => {
  const literal = node.arguments.find((a) => ts.isObjectLiteralExpression(skipParens(a)))
  if (literal !== undefined && judgeOptions(literal) !== "untimed") return judgeOptions(literal)
  const parent = node.parent
  if (ts.isPropertyAccessExpression(parent) && parent.name.text === "setTimeout") return "timed"
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
    const scope = ts.findAncestor(parent, (n) => ts.isBlock(n) || ts.isSourceFile(n))
    const name = parent.name.text.replace(/\$/g, "\\$")
    const handled = new RegExp(`\\b${name}\\.(setTimeout\\(|on\\(\\s*["']timeout["'])`)
    if (scope !== undefined && handled.test(scope.getText(ctx.sf))) return "timed"
  }
  return "untimed"
}

/** The verdict for a call if it is an HTTP request this rule knows, else undefined. */
const requestVerdict = (ctx: FileContext, node: ts.CallExpression): { what: string; verdict: Verdict } | undefined => {
  const callee = skipParens(node.expression)
  if (isGlobalFetch(ctx, callee)) return { what: "fetch", verdict: fetchVerdict(node) }
  const resolved = ctx.resolve(callee)
  if (resolved !== undefined) {
    const { module, name } = resolved
    if ((module === "http" || module === "https") && (name === "request" || name === "get")) {
      return { what: `${module}.${name}`, verdict: nodeHttpVerdict(ctx, node) }
    }
    if (module === "undici" && (name === "request" || name === "stream")) {
      return { what: `undici.${name}`, verdict: judgeOptions(node.arguments[1]) }
    }
    if (module === "@effect/platform/HttpClient" && platformMethods.has(name)) {
      return { what: `HttpClient.${name}`, verdict: "untimed" }
    }
  }
  // axios / got default imports: `axios(cfg)`, `axios.get(url, cfg)`, `got.post(url, opts)`.
  const root = ts.isIdentifier(callee)
    ? callee
    : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)
    ? callee.expression
    : undefined
  const lib = root === undefined ? undefined : ctx.binding(root.text)
  if (lib === undefined || lib.kind === "named" || (lib.module !== "axios" && lib.module !== "got")) return undefined
  const args = node.arguments
  const what = lib.module
  if (callee === root) {
    const first = args[0]
    return { what, verdict: judgeOptions(what === "got" || (first !== undefined && isStringy(first)) ? args[1] : first) }
  }
  const method = (callee as ts.PropertyAccessExpression).name.text
  if (method === "create" || method === "extend" || method === "request") {
    return { what: `${what}.${method}`, verdict: judgeOptions(args[0]) }
  }
  if (httpMethods.has(method) || (what === "got" && httpBodyMethods.has(method))) {
    return { what: `${what}.${method}`, verdict: judgeOptions(args[1]) }
  }
  if (httpBodyMethods.has(method)) return { what: `${what}.${method}`, verdict: judgeOptions(args[2]) }
  return undefined
}

/** @internal */
export const visit = (ctx: FileContext, node: ts.Node): void => {
  if (ts.isVariableDeclaration(node)) {
    trackPlatformClient(ctx, node)
    return
  }
  if (!ts.isCallExpression(node)) return
  let found = requestVerdict(ctx, node)
  if (found === undefined) found = platformClientCall(ctx, node)
  if (found === undefined || found.verdict !== "untimed") return
  if (hasTimeoutAncestor(ctx, node)) return
  ctx.report("missing-timeout", node, `${found.what} request has no timeout or AbortSignal`)
}

// --- @effect/platform HttpClient instances -------------------------------------------------------

/** Remembers `const client = yield* HttpClient.HttpClient` (an untransformed client). */
const trackPlatformClient = (ctx: FileContext, node: ts.VariableDeclaration): void => {
  if (!ts.isIdentifier(node.name) || node.initializer === undefined) return
  const init = skipParens(node.initializer)
  if (!ts.isYieldExpression(init) || init.asteriskToken === undefined || init.expression === undefined) return
  if (ctx.memberOf(init.expression, "@effect/platform/HttpClient") !== "HttpClient") return
  ctx.httpClients.add(node.name.text)
}

const platformClientCall = (ctx: FileContext, node: ts.CallExpression): { what: string; verdict: Verdict } | undefined => {
  const callee = skipParens(node.expression)
  if (!ts.isPropertyAccessExpression(callee) || !platformMethods.has(callee.name.text)) return undefined
  const receiver = skipParens(callee.expression)
  if (!ts.isIdentifier(receiver)) return undefined
  return ctx.httpClients.has(receiver.text) ? { what: `HttpClient.${callee.name.text}`, verdict: "untimed" } : undefined
}
