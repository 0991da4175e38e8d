import { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import { Duration, FastCheck as fc, Option, Schema } from "effect"
import * as Errors from "../src/Errors.js"
import * as Problem from "../src/Problem.js"

const requestId = "req-123"

describe("Problem.fromError", () => {
  it.each([
    [new Errors.NotFound({ resource: "user", id: "42" }), 404, "NOT_FOUND", "user 42 not found"],
    [new Errors.ValidationFailed({ field: "email", reason: "must contain @" }), 422, "VALIDATION_ERROR", "Validation failed on email: must contain @"],
    [new Errors.AuthenticationFailed(), 401, "AUTH_FAILED", "Authentication failed"],
    [new Errors.Conflict({ resource: "order" }), 409, "CONFLICT", "order already exists"],
    [new Errors.RateLimited({ service: "search" }), 429, "RATE_LIMITED", "search rate limited"],
    [new Errors.ServiceUnavailable({ service: "payments-db-10.0.0.5" }), 503, "SERVICE_UNAVAILABLE", Problem.genericDetails[503]],
    [new Errors.NetworkTimeout({ service: "inventory", timeout: Duration.seconds(5) }), 504, "NETWORK_TIMEOUT", Problem.genericDetails[504]],
    [new Errors.MissingConfig({ key: "DATABASE_URL" }), 500, "MISSING_CONFIG", Problem.genericDetails[500]]
  ] as const)("%s → %i %s", (error, status, code, detail) => {
    const problem = Problem.fromError(error, { requestId, instance: "/x" })
    expect(problem.status).toBe(status)
    expect(problem.body).toEqual({
      type: `urn:problem-type:${code.toLowerCase().replace(/_/g, "-")}`,
      title: Problem.titles[status],
      status,
      detail,
      instance: "/x",
      code,
      request_id: requestId
    })
    expect(problem.headers["content-type"]).toBe("application/problem+json")
    expect(problem.headers["x-request-id"]).toBe(requestId)
    expect(Schema.is(Problem.ProblemDocument)(problem.body)).toBe(true)
  })

  it("sets Retry-After from the error's retryAfter, rounding up to whole seconds", () => {
    const p = Problem.fromError(new Errors.RateLimited({ service: "s", retryAfter: Duration.millis(2100) }), { requestId })
    expect(p.headers["retry-after"]).toBe("3")
    const tiny = Problem.fromError(new Errors.RateLimited({ service: "s", retryAfter: Duration.millis(10) }), { requestId })
    expect(tiny.headers["retry-after"]).toBe("1")
  })

  it("sets a default Retry-After for transient 503/429 without one, and none for permanent errors", () => {
    expect(Problem.fromError(new Errors.ServiceUnavailable({ service: "s" }), { requestId }).headers["retry-after"]).toBe("1")
    expect(
      Problem.fromError(new Errors.ServiceUnavailable({ service: "s" }), { requestId, transientRetryAfter: "5 seconds" })
        .headers["retry-after"]
    ).toBe("5")
    expect(Problem.fromError(new Errors.NotFound({ resource: "u", id: "1" }), { requestId }).headers["retry-after"])
      .toBeUndefined()
    expect(Problem.fromError(new Error("x"), { requestId }).headers["retry-after"]).toBeUndefined()
  })

  it("prefers an error's own safe userMessage, also for 5xx", () => {
    class PoolExhausted extends Errors.Transient<PoolExhausted>()("PoolExhausted", {}, { code: "DB_POOL_EXHAUSTED", status: 503 }) {
      get userMessage() {
        return "The database is busy. Please try again in a few seconds."
      }
    }
    expect(Problem.fromError(new PoolExhausted(), { requestId }).body.detail).toBe(
      "The database is busy. Please try again in a few seconds."
    )
  })

  it("gives errors outside the taxonomy a generic 500, unless the translate hook knows them", () => {
    const unknown = Problem.fromError(new TypeError("Cannot read properties of undefined (reading 'id')"), { requestId })
    expect(unknown.status).toBe(500)
    expect(unknown.body).toMatchObject({ type: "about:blank", code: "INTERNAL_ERROR", detail: Problem.genericDetails[500] })

    const lockTimeout = Object.assign(new Error("canceling statement due to lock timeout"), { code: "55P03" })
    const translate = (e: unknown) =>
      (e as { code?: string }).code === "55P03"
        ? Option.some({ code: "DB_LOCK_TIMEOUT", status: 503, userMessage: "Another database transaction is in progress. Please try again later." })
        : Option.none()
    const translated = Problem.fromError(lockTimeout, { requestId, translate })
    expect(translated.status).toBe(503)
    expect(translated.body.code).toBe("DB_LOCK_TIMEOUT")
    expect(translated.body.detail).toBe("Another database transaction is in progress. Please try again later.")
    expect(translated.headers["retry-after"]).toBe("1")
  })

  it("collapses a malformed code or status from a translation", () => {
    const p = Problem.fromError(new Error("x"), {
      requestId,
      translate: () => Option.some({ code: "select * from users", status: 42, userMessage: "safe" })
    })
    expect(p.status).toBe(500)
    expect(p.body.code).toBe("INTERNAL_ERROR")
  })

  describe("never leaks internals in a 5xx body", () => {
    const sensitive = fc.oneof(
      fc.string({ minLength: 3 }),
      fc.constantFrom(
        "SELECT password_hash FROM users WHERE id = $1",
        "duplicate key value violates unique constraint \"users_email_key\"",
        "/srv/app/src/internal/db.ts:42:13",
        "C:\\app\\secrets.json",
        "    at Object.<anonymous> (/srv/app/index.js:10:5)",
        "postgres://admin:hunter2@10.0.0.5:5432/prod"
      )
    ).map((s) => `${s}#${Math.random().toString(36).slice(2, 8)}`) // unique marker so a match means a leak

    const errors = fc.oneof(
      sensitive.map((m) => ({ error: new Error(m) as unknown, secret: m })),
      sensitive.map((m) => ({ error: new SqlError({ message: m, cause: new Error(m) }) as unknown, secret: m })),
      sensitive.map((m) => ({ error: m as unknown, secret: m })),
      sensitive.map((m) => ({ error: { stack: m, message: m } as unknown, secret: m })),
      sensitive.map((m) => ({ error: new Errors.ServiceUnavailable({ service: m, reason: m }) as unknown, secret: m })),
      sensitive.map((m) => ({ error: new Errors.NetworkTimeout({ service: m, timeout: Duration.seconds(1) }) as unknown, secret: m })),
      sensitive.map((m) => ({ error: new Errors.CorruptState({ detail: m }) as unknown, secret: m }))
    )

    it("for generated defects, SQL errors and 5xx taxonomy errors", () => {
      fc.assert(
        fc.property(errors, ({ error, secret }) => {
          const problem = Problem.fromError(error, { requestId })
          const text = JSON.stringify(problem.body) + JSON.stringify(problem.headers)
          return problem.status >= 500 && !text.includes(secret) && !/\bat .+:\d+:\d+/.test(text) &&
            Object.keys(problem.body).every((k) => ["type", "title", "status", "detail", "code", "request_id"].includes(k))
        }),
        { numRuns: 500 }
      )
    })
  })
})
