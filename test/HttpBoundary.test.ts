import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpRouter, HttpServerResponse, OpenApi } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, FastCheck as fc, Schema } from "effect"
import * as Http from "node:http"
import * as ErrorLog from "../src/ErrorLog.js"
import * as Errors from "../src/Errors.js"
import * as HttpBoundary from "../src/HttpBoundary.js"
import { type CapturedLog, captureLogs } from "./support/captureLogs.js"

/** Secrets planted in failures: none may ever reach a response. */
const secret = "SELECT password_hash FROM users -- /srv/app/src/db.ts:42:13"

const dbError = (code: string, message: string) =>
  new SqlError({
    message: "Failed to execute statement",
    cause: Object.assign(new Error(message), { code, severity: "ERROR", routine: "ProcessInterrupts" })
  })

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/ok", Effect.as(Effect.logInfo("handling ok"), HttpServerResponse.text("fine"))),
  HttpRouter.get("/users/:id", Effect.fail(new Errors.NotFound({ resource: "user", id: "42" }))),
  HttpRouter.get("/limited", Effect.fail(new Errors.RateLimited({ service: "search", retryAfter: Duration.millis(2500) }))),
  HttpRouter.get("/unavailable", Effect.fail(new Errors.ServiceUnavailable({ service: `payments ${secret}` }))),
  HttpRouter.get("/defect", Effect.die(new TypeError(`Cannot read 'rows' ${secret}`))),
  HttpRouter.get("/sql", Effect.fail(dbError("42P01", `relation "users" does not exist ${secret}`))),
  HttpRouter.get("/lock", Effect.fail(dbError("55P03", "canceling statement due to lock timeout"))),
  HttpRouter.get("/statement", Effect.fail(dbError("57014", "canceling statement due to statement timeout"))),
  HttpRouter.get("/context", Effect.map(ErrorLog.requestContext, (ctx) => HttpServerResponse.unsafeJson(ctx))),
  HttpRouter.post("/echo", Effect.flatMap(HttpRouter.schemaJson(Schema.Struct({ body: Schema.Struct({ n: Schema.Number }) })), (r) =>
    HttpServerResponse.json(r.body)))
)

/** Starts the router behind the boundary on a loopback port; returns its base URL. */
const serve = Effect.gen(function*() {
  const server = yield* NodeHttpServer.make(() => Http.createServer(), { port: 0, host: "127.0.0.1" })
  yield* server.serve(router.pipe(HttpBoundary.middleware()))
  return `http://127.0.0.1:${(server.address as { port: number }).port}`
})

const call = (url: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) })
    const text = await response.text()
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) }
  })

const withServer = <A, E>(f: (base: string, logs: ReadonlyArray<CapturedLog>) => Effect.Effect<A, E>) => {
  const logs: Array<CapturedLog> = []
  return Effect.scoped(Effect.flatMap(serve, (base) => f(base, logs))).pipe(Effect.provide(captureLogs(logs)))
}

describe("HttpBoundary.middleware over real HTTP", () => {
  it.live("answers taxonomy errors with problem+json, their status and the request id", () =>
    withServer((base) =>
      Effect.gen(function*() {
        const r = yield* call(`${base}/users/42?token=abc`, { headers: { "x-request-id": "req-42" } })
        expect(r.status).toBe(404)
        expect(r.headers.get("content-type")).toBe("application/problem+json")
        expect(r.headers.get("x-request-id")).toBe("req-42")
        expect(r.json()).toEqual({
          type: "urn:problem-type:not-found",
          title: "Not Found",
          status: 404,
          detail: "user 42 not found",
          instance: "/users/42",
          code: "NOT_FOUND",
          request_id: "req-42"
        })
      })
    ))

  it.live("generates a request id when none or an invalid one is sent, and echoes it on successes too", () =>
    withServer((base) =>
      Effect.gen(function*() {
        const ok = yield* call(`${base}/ok`)
        expect(ok.status).toBe(200)
        expect(ok.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
        for (const bad of ["a".repeat(129), "x y", "<script>", "id\u00e9"]) {
          const r = yield* call(`${base}/users/1`, { headers: { "x-request-id": bad } })
          expect(r.headers.get("x-request-id")).not.toBe(bad)
          expect(r.json().request_id).toMatch(/^[0-9a-f-]{36}$/)
        }
      })
    ))

  it.live("puts the request id into the request context and every log line of the request", () =>
    withServer((base, logs) =>
      Effect.gen(function*() {
        const r = yield* call(`${base}/context`, { headers: { "x-request-id": "req-ctx" } })
        expect(r.json()).toMatchObject({ requestId: "req-ctx", operation: "GET /context" })
        yield* call(`${base}/ok`, { headers: { "x-request-id": "req-ok" } })
        expect(logs.find((l) => l.message === "handling ok")?.annotations).toMatchObject({ request_id: "req-ok" })
      })
    ))

  it.live("adds Retry-After for rate limits and transient 503s", () =>
    withServer((base) =>
      Effect.gen(function*() {
        const limited = yield* call(`${base}/limited`)
        expect(limited.status).toBe(429)
        expect(limited.headers.get("retry-after")).toBe("3")
        const unavailable = yield* call(`${base}/unavailable`)
        expect(unavailable.status).toBe(503)
        expect(unavailable.headers.get("retry-after")).toBe("1")
        expect(unavailable.json().detail).toBe("Service temporarily unavailable. Please try again later.")
      })
    ))

  it.live("translates frequent unknown errors with their codes and safe messages (seed 003)", () =>
    withServer((base) =>
      Effect.gen(function*() {
        const lock = yield* call(`${base}/lock`)
        expect(lock.status).toBe(503)
        expect(lock.json()).toMatchObject({
          code: "DB_LOCK_TIMEOUT",
          detail: "Another database transaction is in progress. Please try again later."
        })
        const statement = yield* call(`${base}/statement`)
        expect(statement.status).toBe(504)
        expect(statement.json().code).toBe("DB_STATEMENT_TIMEOUT")
      })
    ))

  it.live("maps the HTTP layer's own errors: unknown route 404, schema failure 422, bad JSON 400", () =>
    withServer((base) =>
      Effect.gen(function*() {
        expect((yield* call(`${base}/nowhere`)).json()).toMatchObject({ status: 404, code: "NOT_FOUND" })
        const invalid = yield* call(`${base}/echo`, { method: "POST", body: JSON.stringify({ n: "x" }), headers: { "content-type": "application/json" } })
        expect(invalid.json()).toMatchObject({ status: 422, code: "VALIDATION_ERROR" })
        const garbage = yield* call(`${base}/echo`, { method: "POST", body: "{not json", headers: { "content-type": "application/json" } })
        expect(garbage.status).toBeGreaterThanOrEqual(400)
        expect(garbage.status).toBeLessThan(500)
      })
    ))

  it.live("never leaks a stack, SQL or a path in 5xx bodies, and logs each failure exactly once", () =>
    withServer((base, logs) =>
      Effect.gen(function*() {
        for (const path of ["/defect", "/sql", "/unavailable"]) {
          const before = logs.length
          const r = yield* call(`${base}${path}`, { headers: { "x-request-id": `leak${path.slice(1)}` } })
          expect(r.status).toBeGreaterThanOrEqual(500)
          expect(r.text).not.toContain("SELECT")
          expect(r.text).not.toContain("/srv/app")
          expect(r.text).not.toContain("password_hash")
          expect(r.text).not.toMatch(/\bat .+:\d+:\d+/)
          const failureLogs = logs.slice(before).filter((l) => l.level === "ERROR" || l.level === "WARNING" || l.level === "WARN")
          expect(failureLogs).toHaveLength(1)
          expect(failureLogs[0]!.annotations).toMatchObject({ request_id: `leak${path.slice(1)}` })
        }
        // The unknown ones are logged as such, with their stack, in the log only.
        expect(logs.some((l) => l.message === "unknown_error" && String(l.annotations["stack_trace"]).includes("TypeError")))
          .toBe(true)
      })
    ))

  it.live("keeps 5xx bodies clean for generated defects (property over the response body)", () => {
    const logs: Array<CapturedLog> = []
    return Effect.scoped(Effect.gen(function*() {
      const server = yield* NodeHttpServer.make(() => Http.createServer(), { port: 0, host: "127.0.0.1" })
      let current: unknown = undefined
      yield* server.serve(Effect.suspend(() => Effect.die(current)).pipe(HttpBoundary.middleware()))
      const base = `http://127.0.0.1:${(server.address as { port: number }).port}`
      const samples = fc.sample(
        fc.tuple(fc.string({ minLength: 4, maxLength: 40 }), fc.constantFrom("defect", "sql", "string", "object")),
        { numRuns: 60, seed: 7 }
      )
      for (const [raw, kind] of samples) {
        const marker = `${raw}::${Math.random().toString(36).slice(2, 10)}`
        current = kind === "defect"
          ? new Error(marker)
          : kind === "sql"
          ? dbError("XX000", marker)
          : kind === "string"
          ? marker
          : { message: marker, stack: marker }
        const r = yield* call(base)
        expect(r.status).toBe(500)
        expect(r.text.includes(marker)).toBe(false)
        expect(Object.keys(r.json()).sort()).toEqual(["code", "detail", "instance", "request_id", "status", "title", "type"])
      }
    })).pipe(Effect.provide(captureLogs(logs)))
  })
})

describe("HttpBoundary.apiError", () => {
  it("annotates taxonomy errors with their status for HttpApi and OpenAPI", () => {
    const api = HttpApi.make("shop").add(
      HttpApiGroup.make("users").add(
        HttpApiEndpoint.get("get", "/users/:id")
          .setPath(Schema.Struct({ id: Schema.String }))
          .addSuccess(Schema.Struct({ id: Schema.String }))
          .addError(HttpBoundary.apiError(Errors.NotFound))
          .addError(HttpBoundary.apiError(Errors.RateLimited))
          .addError(HttpBoundary.apiError(Errors.ServiceUnavailable))
      )
    )
    const spec = OpenApi.fromApi(api)
    const responses = spec.paths["/users/{id}"]?.get?.responses ?? {}
    expect(Object.keys(responses).sort()).toEqual(["200", "400", "404", "429", "503"])
    const decoded = Schema.decodeUnknownSync(HttpBoundary.apiError(Errors.NotFound))({ _tag: "NotFound", resource: "u", id: "1" })
    expect(decoded).toBeInstanceOf(Errors.NotFound)
  })
})
