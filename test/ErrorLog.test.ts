import { describe, expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Cause, Effect, Exit, Fiber, Logger } from "effect"
import * as ErrorLog from "../src/ErrorLog.js"
import * as Errors from "../src/Errors.js"
import { withLogs, withMessage } from "./support/captureLogs.js"
import * as PgTest from "./support/PgTest.js"

const request = { requestId: "req-7", userId: "user-42", operation: "get_user" }

describe("ErrorLog severity", () => {
  it.effect("a permanent business error is an expected warning, without stack", () =>
    Effect.gen(function*() {
      const [, logs] = yield* withLogs(Effect.exit(
        Effect.fail(new Errors.NotFound({ resource: "user", id: "42" })).pipe(
          ErrorLog.logFailure("get_user"),
          ErrorLog.withRequestContext({ requestId: "req-7", userId: "user-42" })
        )
      ))
      const lines = logs.map((l) => l.json)
      expect(lines).toHaveLength(1)
      const line = lines[0]!
      expect(line).toMatchObject({
        level: "WARN",
        message: "expected_error",
        severity: "expected",
        error_type: "NotFound",
        error_code: "NOT_FOUND",
        error_category: "Permanent",
        error_message: "user 42 not found",
        operation: "get_user",
        request_id: "req-7",
        user_id: "user-42",
        resource: "user",
        id: "42",
        failure_kind: "failure"
      })
      expect(typeof line["timestamp"]).toBe("string")
      expect(line["stack_trace"]).toBeUndefined()
    }))

  it.effect("an error outside the taxonomy is an unexpected error, with stack", () =>
    Effect.gen(function*() {
      const [, logs] = yield* withLogs(Effect.exit(
        Effect.try(() => (undefined as unknown as { f: () => void }).f()).pipe(ErrorLog.logFailure("parse"))
      ))
      const lines = logs.map((l) => l.json)
      const line = lines[0]!
      expect(line).toMatchObject({ level: "ERROR", message: "unexpected_error", severity: "unexpected" })
      expect(line["error_code"]).toBe("INTERNAL_ERROR")
      expect(line["stack_trace"]).toMatch(/TypeError: Cannot read properties of undefined/)
      expect(line["stack_trace"]).toMatch(/\n\s+at /)
    }))

  it.effect("a defect is unexpected even when it carries a taxonomy error", () =>
    Effect.gen(function*() {
      const [, logs] = yield* withLogs(Effect.exit(
        Effect.fail(new Errors.NotFound({ resource: "user", id: "1" })).pipe(Effect.orDie, ErrorLog.logFailure("x"))
      ))
      const lines = logs.map((l) => l.json)
      expect(lines[0]).toMatchObject({ severity: "unexpected", failure_kind: "defect", error_code: "NOT_FOUND" })
      expect(lines[0]!["stack_trace"]).toBeDefined()
    }))

  it.effect("a fatal error is critical, with stack, and fires the alert hook once", () =>
    Effect.gen(function*() {
      const [, logs] = yield* withLogs(Effect.exit(
        Effect.fail(new Errors.MissingConfig({ key: "DATABASE_URL" })).pipe(
          ErrorLog.logFailure("boot"),
          ErrorLog.logFailure("main")
        )
      ))
      const lines = logs.map((l) => l.json)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({ level: "FATAL", message: "critical_error", severity: "critical", key: "DATABASE_URL" })
      expect(lines[0]!["stack_trace"]).toMatch(/MissingConfig/)
      const alerts = yield* Effect.flatMap(ErrorLog.MemoryAlerts, (m) => m.entries)
      expect(alerts).toHaveLength(1)
      expect(alerts[0]).toMatchObject({ error_code: "MISSING_CONFIG", operation: "boot" })
    }).pipe(Effect.provide(ErrorLog.layerAlerterMemory)))

  it.effect("expected errors do not alert; a failing alert hook does not break the program", () =>
    Effect.gen(function*() {
      let calls = 0
      const [exit, logs] = yield* withLogs(Effect.exit(
        Effect.fail(new Errors.CorruptState({ detail: "ledger" })).pipe(
          ErrorLog.logFailure("settle"),
          Effect.provideService(ErrorLog.Alerter, {
            alert: () => Effect.sync(() => calls++).pipe(Effect.zipRight(Effect.die("pager down")))
          })
        )
      ))
      expect(calls).toBe(1)
      expect(Exit.isFailure(exit) && Cause.failureOption(exit.cause)._tag === "Some").toBe(true)
      expect(withMessage(logs, "alert hook failed")).toHaveLength(1)
      const quiet = yield* Effect.flatMap(ErrorLog.MemoryAlerts, (m) =>
        ErrorLog.logCause(Cause.fail(new Errors.NotFound({ resource: "a", id: "b" }))).pipe(Effect.zipRight(m.entries)))
      expect(quiet).toHaveLength(0)
    }).pipe(Effect.provide(ErrorLog.layerAlerterMemory)))

  it.effect("classification overrides change severity", () =>
    Effect.gen(function*() {
      const [, logs] = yield* withLogs(Effect.exit(
        ErrorLog.logCause(Cause.fail(new Errors.RateLimited({ service: "search" }))).pipe(
          Effect.provideService(
            Errors.ErrorClassification,
            Errors.mergeClassification(Errors.defaultClassification, { severityByCode: { RATE_LIMITED: "unexpected" } })
          )
        )
      ))
      const lines = logs.map((l) => l.json)
      expect(lines[0]).toMatchObject({ severity: "unexpected", level: "ERROR" })
    }))
})

describe("ErrorLog.logFailure", () => {
  it.effect("leaves the failure untouched and logs it once through nesting", () =>
    Effect.gen(function*() {
      const error = new Errors.ServiceUnavailable({ service: "payments" })
      const [exit, logs] = yield* withLogs(Effect.exit(
        Effect.fail(error).pipe(
          ErrorLog.logFailure("charge"),
          ErrorLog.logFailure("checkout"),
          ErrorLog.logFailure("handler")
        )
      ))
      const lines = logs.map((l) => l.json)
      expect(exit).toStrictEqual(Exit.fail(error))
      expect(lines).toHaveLength(1)
      expect(lines[0]!["operation"]).toBe("charge")
    }))

  it.effect("does not log successes or interruptions", () =>
    Effect.gen(function*() {
      const [, logs] = yield* withLogs(Effect.exit(
        Effect.gen(function*() {
          yield* Effect.succeed(1).pipe(ErrorLog.logFailure("ok"))
          const fiber = yield* Effect.fork(Effect.never.pipe(ErrorLog.logFailure("slow")))
          yield* Fiber.interrupt(fiber)
        })
      ))
      const lines = logs.map((l) => l.json)
      expect(lines).toHaveLength(0)
    }))

  it.effect("interrupt-only causes make no entry", () =>
    Effect.sync(() => {
      expect(ErrorLog.makeEntry(Cause.interrupt({ _tag: "None" } as never))).toBeUndefined()
    }))
})

describe("ErrorLog request context", () => {
  it.effect("flows into forked fibers and ordinary log lines", () =>
    Effect.gen(function*() {
      const [, logs] = yield* withLogs(Effect.exit(
        Effect.gen(function*() {
          yield* Effect.log("started")
          const child = yield* Effect.fork(
            Effect.fail(new Errors.ValidationFailed({ field: "email", reason: "missing @" })).pipe(
              ErrorLog.logFailure("validate")
            )
          )
          yield* Fiber.await(child)
        }).pipe(ErrorLog.withRequestContext(request))
      ))
      expect(withMessage(logs, "started")[0]?.json).toMatchObject({ request_id: "req-7", user_id: "user-42", operation: "get_user" })
      expect(withMessage(logs, "expected_error")[0]?.json).toMatchObject({
        request_id: "req-7",
        user_id: "user-42",
        operation: "validate",
        field: "email"
      })
    }))

  it.effect("an inner context adds the user once known; the outer request id stays", () =>
    Effect.gen(function*() {
      const inner = yield* ErrorLog.requestContext.pipe(
        ErrorLog.withRequestContext({ userId: "u-1" }),
        ErrorLog.withRequestContext({ requestId: "r-1", operation: "signup" })
      )
      expect(inner).toEqual({ requestId: "r-1", operation: "signup", userId: "u-1" })
      expect(yield* ErrorLog.requestContext).toEqual({})
    }))

  it.effect("3000 concurrent requests each log their own request id", () =>
    Effect.gen(function*() {
      const n = 3000
      const [, logs] = yield* withLogs(Effect.exit(
        Effect.forEach(
          Array.from({ length: n }, (_, i) => i),
          (i) =>
            Effect.yieldNow().pipe(
              Effect.zipRight(Effect.fail(new Errors.NotFound({ resource: "order", id: String(i) }))),
              ErrorLog.logFailure("get_order"),
              Effect.fork,
              Effect.flatMap(Fiber.await),
              ErrorLog.withRequestContext({ requestId: `req-${i}` })
            ),
          { concurrency: "unbounded", discard: true }
        )
      ))
      const lines = logs.map((l) => l.json)
      expect(lines).toHaveLength(n)
      for (const line of lines) expect(line["request_id"]).toBe(`req-${line["id"]}`)
    }))
})

describe("ErrorLog loggers", () => {
  it.effect("JSON lines are one parseable object each, with the seed's field names", () =>
    Effect.gen(function*() {
      const [, logs] = yield* withLogs(Effect.exit(
        Effect.fail(new Error("boom\nsecond line")).pipe(
          ErrorLog.logFailure("import_file"),
          ErrorLog.withRequestContext({ requestId: "r-9" }),
          Effect.withLogSpan("import")
        )
      ))
      const lines = logs.map((l) => l.json)
      const raw = logs.map((l) => l.raw)
      expect(raw).toHaveLength(1)
      expect(raw[0]!.includes("\n")).toBe(false)
      for (const field of ["timestamp", "level", "message", "error_type", "error_code", "error_message", "severity", "operation", "request_id", "stack_trace"]) {
        expect(lines[0]).toHaveProperty(field)
      }
      expect(lines[0]!["error_message"]).toBe("boom\nsecond line")
      expect(lines[0]!["spans"]).toHaveProperty("import")
    }))

  it.effect("the pretty logger puts fields on the line and the stack below it", () =>
    Effect.gen(function*() {
      const out: Array<string> = []
      yield* Effect.fail(new TypeError("bad input")).pipe(
        ErrorLog.logFailure("parse"),
        Effect.exit,
        Effect.provide(Logger.add(Logger.map(ErrorLog.prettyLogger, (line) => out.push(line))))
      )
      const [first, ...rest] = out[0]!.split("\n")
      expect(first).toMatch(/ERROR unexpected_error  error_code=INTERNAL_ERROR error_type=TypeError error_message="bad input"/)
      expect(first).toContain("operation=parse")
      expect(first).not.toContain("stack_trace")
      expect(rest.join("\n")).toMatch(/^ {4}TypeError: bad input/)
    }))
})

layer(PgTest.layer({ prefix: "errorlog" }))("ErrorLog with Postgres errors", (it) => {
  it.effect("logs SQLSTATE, constraint and table of a real unique violation, never the SQL", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE users (email text CONSTRAINT users_email_key UNIQUE)`
      yield* sql`INSERT INTO users (email) VALUES ('a@example.com')`
      const [, logs] = yield* withLogs(Effect.exit(
        sql`INSERT INTO users (email) VALUES ('a@example.com')`.pipe(ErrorLog.logFailure("create_user"))
      ))
      const lines = logs.map((l) => l.json)
      const raw = logs.map((l) => l.raw)
      expect(lines[0]).toMatchObject({
        error_type: "SqlError",
        severity: "unexpected",
        sqlstate: "23505",
        constraint: "users_email_key",
        table: "users",
        schema: "public",
        routine: "_bt_check_unique"
      })
      expect(lines[0]!["detail"]).toMatch(/Key \(email\)=\(a@example.com\) already exists/)
      expect(raw[0]).not.toContain("INSERT INTO")
    }))
})
