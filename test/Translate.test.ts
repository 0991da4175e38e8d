import { describe, expect, it, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Cause, Context, Deferred, Duration, Effect, Exit, Fiber, Layer, Metric, Schema } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import * as ErrorLog from "../src/ErrorLog.js"
import * as Errors from "../src/Errors.js"
import * as Translate from "../src/Translate.js"
import { withLogs, withMessage } from "./support/captureLogs.js"
import { freePort } from "./support/PostgresServer.js"
import * as PgTest from "./support/PgTest.js"

const lockMessage = "Another database transaction is in progress. Please try again later."
const timeoutMessage =
  "Database query took too long. This might happen if the system is overloaded. Please try again later."

const outcome = (code: string): Translate.Outcome => ({
  code,
  status: 503,
  developer: "{error_type}: {error_message}",
  user: "Please try again later."
})

const count = (counter: Metric.Metric.Counter<number>, code?: string) =>
  Effect.map(
    Metric.value(code === undefined ? counter : Metric.tagged(counter, "code", code)),
    (state) => state.count
  )

/** Runs an effect through the boundary and returns what it failed with. */
const failureOf = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.flip(Translate.boundary(self))

class PaymentGatewayDown extends Schema.TaggedError<PaymentGatewayDown>()("PaymentGatewayDown", {
  gateway: Schema.String
}) {}

class LegacyDriverError extends Error {}

describe("Translate rule kinds", () => {
  it("by tag", () => {
    const rule = Translate.byTag("PaymentGatewayDown", {
      code: "PAYMENT_DOWN",
      status: 503,
      developer: "gateway {gateway} down",
      user: "Payments are unavailable. Please try again later."
    })
    const translated = Translate.translate([rule], new PaymentGatewayDown({ gateway: "stripe" }))
    expect(translated).toMatchObject({ code: "PAYMENT_DOWN", status: 503, rule: "tag:PaymentGatewayDown" })
    expect(Translate.translate([rule], new Error("PaymentGatewayDown"))).toBeUndefined()
  })

  it("by class (instanceof)", () => {
    const rule = Translate.byClass(LegacyDriverError, outcome("LEGACY"))
    expect(Translate.translate([rule], new LegacyDriverError("x"))?.code).toBe("LEGACY")
    expect(Translate.translate([rule], new Error("x"))).toBeUndefined()
  })

  it("by message pattern, with named groups as variables, in the cause chain too", () => {
    const rule = Translate.byMessage(/read timed out after (?<ms>\d+)ms/i, {
      code: "READ_TIMEOUT",
      status: 504,
      developer: "read timed out after {ms} ms",
      user: "Please try again later."
    })
    const wrapped = new Error("import failed", { cause: new Error("Read timed out after 3000ms") })
    expect(Translate.translate([rule], wrapped)).toMatchObject({
      code: "READ_TIMEOUT",
      status: 504,
      developerMessage: "read timed out after 3000 ms"
    })
    expect(Translate.translate([rule], new Error("read failed"))).toBeUndefined()
  })

  it("by something in the cause chain", () => {
    const rule = Translate.byCause("range", (e) => e instanceof RangeError, outcome("RANGE_BELOW"))
    const deep = new Error("a", { cause: new Error("b", { cause: new RangeError("c") }) })
    expect(Translate.translate([rule], deep)?.code).toBe("RANGE_BELOW")
    expect(Translate.translate([rule], new Error("a", { cause: new TypeError("c") }))).toBeUndefined()
  })

  it("survives cyclic cause chains", () => {
    const a = new Error("a") as Error & { cause?: unknown }
    const b = new Error("b", { cause: a })
    a.cause = b
    expect(Translate.translate(Translate.defaultRules, a)).toBeUndefined()
  })

  it.effect("by context data attached lower down, without changing the failure", () =>
    Effect.gen(function*() {
      const rule = Translate.byContext("callingServiceA", {
        code: "SERVICE_A_FAILED",
        status: 503,
        developer: "Failed to call service A ({endpoint}): {error_message}",
        user: "Service A is not available right now. Please try again later."
      })
      const error = new Error("socket hang up")
      const exit = yield* Effect.exit(
        Effect.fail(error).pipe(Translate.attach({ callingServiceA: true, endpoint: "/v1/quote" }))
      )
      expect(exit).toStrictEqual(Exit.fail(error))
      expect(Translate.translate([rule], error)).toMatchObject({
        code: "SERVICE_A_FAILED",
        developerMessage: "Failed to call service A (/v1/quote): socket hang up"
      })
      // Data attached to an error deeper in the chain is found too; the inner attach wins.
      const outer = new Error("wrapped", { cause: error })
      yield* Effect.exit(Effect.fail(outer).pipe(Translate.attach({ endpoint: "/outer", callingServiceA: true })))
      expect(Translate.translate([rule], outer)?.developerMessage).toBe(
        "Failed to call service A (/outer): wrapped"
      )
      expect(Translate.translate([rule], new Error("elsewhere"))).toBeUndefined()
    }))

  it.effect("by errno: a real ENOENT and EACCES from the file system", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "translate-")))
      const missing = Path.join(dir, "file-to-import.json")
      const read = (path: string) => Effect.tryPromise(() => Fs.readFile(path, "utf8"))
      const notFound = yield* failureOf(read(missing))
      expect(notFound).toMatchObject({ _tag: "Translated", code: "FILE_NOT_FOUND", status: 500 })
      expect(notFound._tag === "Translated" && notFound.developerMessage).toContain(missing)
      expect(notFound.message).not.toContain(dir)
      // Permission checks do not apply to root, so EACCES is provoked only when it can be.
      if (process.getuid?.() !== 0) {
        yield* Effect.promise(() => Fs.writeFile(missing, "{}", { mode: 0o000 }))
        expect((yield* failureOf(read(missing))).code).toBe("FILE_PERMISSION_DENIED")
      }
      const eacces = Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: "EACCES", path: "/x" })
      expect(Translate.translate(Translate.defaultRules, eacces)?.code).toBe("FILE_PERMISSION_DENIED")
      yield* Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
    }))

  it("by errno: every default errno code has its rule", () => {
    const codes: Record<string, string> = {
      ECONNREFUSED: "CONNECTION_REFUSED",
      ENOTFOUND: "HOST_NOT_FOUND",
      ETIMEDOUT: "CONNECT_TIMEOUT",
      ECONNRESET: "CONNECTION_RESET",
      EACCES: "FILE_PERMISSION_DENIED",
      ENOENT: "FILE_NOT_FOUND"
    }
    for (const [errno, code] of Object.entries(codes)) {
      const nested = new Error("outer", { cause: Object.assign(new Error(errno), { code: errno }) })
      expect(Translate.translate(Translate.defaultRules, nested)?.code).toBe(code)
    }
  })

  it.effect("by errno: a real connection refused on loopback, under a SqlError", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(freePort)
      const connect = Effect.scoped(Layer.build(PgTest.clientLayer(`postgres://u:p@127.0.0.1:${port}/none`)))
      const failure = yield* failureOf(connect)
      // A refused database connection is a database connection failure (PgError's code), not a bare errno.
      expect(failure).toMatchObject({ _tag: "Translated", code: "DB_CONNECTION_FAILURE", status: 503, source: "rule", rule: "postgres" })
      expect(failure._tag === "Translated" && failure.developerMessage).toContain(`127.0.0.1:${port}`)
      expect(failure._tag === "Translated" && failure.message).not.toContain("127.0.0.1")
    }))

  it("first match wins and user rules go first", () => {
    const mine = Translate.byErrno("ECONNREFUSED", outcome("MY_REFUSED"))
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })
    expect(Translate.translate([mine, ...Translate.defaultRules], refused)?.code).toBe("MY_REFUSED")
    expect(Translate.translate(Translate.defaultRules, refused)?.code).toBe("CONNECTION_REFUSED")
  })

  it("templates: missing variables render empty, functions get the variables", () => {
    const rule = Translate.byTag("PaymentGatewayDown", {
      code: "P",
      developer: "{nope} gateway {gateway}",
      user: (vars) => `type=${vars["error_type"]}`
    })
    const t = Translate.translate([rule], new PaymentGatewayDown({ gateway: "adyen" }))
    expect(t).toMatchObject({ status: 500, developerMessage: "gateway adyen", userMessage: "type=PaymentGatewayDown" })
  })
})

describe("Translate.boundary", () => {
  it.effect("unknown stays unknown: counted and logged apart, with stack only in the log", () =>
    Effect.gen(function*() {
      const before = { unknown: yield* count(Translate.unknownErrors) }
      const [exit, logs] = yield* withLogs(Effect.exit(
        failureOf(Effect.sync(() => (null as unknown as { id: string }).id)).pipe(
          ErrorLog.withRequestContext({ requestId: "req-unknown" })
        )
      ))
      const failure = Exit.isSuccess(exit) ? exit.value : undefined
      expect(failure).toBeInstanceOf(Translate.Unknown)
      expect(failure).toMatchObject({
        code: "INTERNAL_ERROR",
        status: 500,
        message: "An internal error occurred",
        requestId: "req-unknown"
      })
      expect(yield* count(Translate.unknownErrors)).toBe(before.unknown + 1)
      const line = withMessage(logs, "unknown_error")[0]!.json
      expect(line).toMatchObject({ level: "ERROR", severity: "unexpected", request_id: "req-unknown", error_type: "TypeError" })
      expect(line["stack_trace"]).toMatch(/TypeError/)
      expect(JSON.stringify(failure)).not.toMatch(/TypeError|\bat\b/)
      expect("stack" in (failure as object)).toBe(false)
    }))

  it.effect("translated errors are counted per code and logged as warnings without stack", () =>
    Effect.gen(function*() {
      const code = "BOUNDARY_TEST_REFUSED"
      const rule = Translate.byErrno("ECONNREFUSED", outcome(code))
      const before = { translated: yield* count(Translate.translatedErrors, code), unknown: yield* count(Translate.unknownErrors) }
      const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })
      const [, logs] = yield* withLogs(Effect.exit(
        failureOf(Effect.die(refused)).pipe(Translate.withRules([rule]))
      ))
      expect(yield* count(Translate.translatedErrors, code)).toBe(before.translated + 1)
      expect(yield* count(Translate.unknownErrors)).toBe(before.unknown)
      const line = withMessage(logs, "translated_error")[0]!.json
      expect(line).toMatchObject({ level: "WARN", error_code: code, translation_rule: "errno:ECONNREFUSED", errno_code: "ECONNREFUSED" })
      expect(line["stack_trace"]).toBeUndefined()
    }))

  it.effect("a failure logFailure already wrote deeper is counted at the boundary but not logged twice", () =>
    Effect.gen(function*() {
      const before = yield* count(Translate.knownErrors, "NOT_FOUND")
      const lookup = Effect.fail(new Errors.NotFound({ resource: "order", id: "7" }))
      const [, logs] = yield* withLogs(failureOf(lookup.pipe(ErrorLog.logFailure("load_order"))))
      expect(logs.filter((l) => l.json["error_code"] === "NOT_FOUND")).toHaveLength(1)
      expect(logs[0]!.json).toMatchObject({ operation: "load_order" })
      expect(yield* count(Translate.knownErrors, "NOT_FOUND")).toBe(before + 1)
      // Without the inner log line, the boundary writes one itself.
      const [, alone] = yield* withLogs(failureOf(Effect.fail(new Errors.NotFound({ resource: "order", id: "8" }))))
      expect(alone.filter((l) => l.json["error_code"] === "NOT_FOUND")).toHaveLength(1)
    }))

  it.effect("taxonomy errors pass through as themselves; 5xx messages are made safe", () =>
    Effect.gen(function*() {
      const before = yield* count(Translate.knownErrors, "NOT_FOUND")
      const notFound = yield* failureOf(Effect.fail(new Errors.NotFound({ resource: "user", id: "42" })))
      expect(notFound).toMatchObject({
        _tag: "Translated",
        source: "taxonomy",
        code: "NOT_FOUND",
        status: 404,
        message: "user 42 not found",
        errorType: "NotFound",
        category: "Permanent"
      })
      expect(yield* count(Translate.knownErrors, "NOT_FOUND")).toBe(before + 1)
      const down = yield* failureOf(Effect.fail(new Errors.ServiceUnavailable({ service: "ledger", reason: "db host 10.0.0.5 down" })))
      expect(down).toMatchObject({ code: "SERVICE_UNAVAILABLE", status: 503 })
      expect(down.message).not.toContain("10.0.0.5")
      const limited = yield* failureOf(Effect.fail(new Errors.RateLimited({ service: "s", retryAfter: Duration.seconds(2) })))
      expect(limited._tag === "Translated" && limited.retryAfter).toBeTruthy()
    }))

  it.effect("successes and interruptions pass untouched", () =>
    Effect.gen(function*() {
      expect(yield* Translate.boundary(Effect.succeed(7))).toBe(7)
      const fiber = yield* Effect.fork(Translate.boundary(Effect.never))
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
    }))

  it.effect("users extend the rule set with a Layer", () =>
    Effect.gen(function*() {
      const failure = yield* failureOf(Effect.fail(new PaymentGatewayDown({ gateway: "stripe" })))
      expect(failure).toMatchObject({ code: "PAYMENT_DOWN", message: "Payments are down." })
    }).pipe(
      Effect.provide(Translate.layerRules([
        Translate.byTag("PaymentGatewayDown", { code: "PAYMENT_DOWN", status: 503, developer: "{gateway}", user: "Payments are down." })
      ]))
    ))

  it.effect("the boundary result is a Schema class: JSON round trip, no stack", () =>
    Effect.gen(function*() {
      const failure = yield* failureOf(Effect.fail(new Errors.NotFound({ resource: "user", id: "1" })))
      const json = Schema.encodeSync(Schema.Union(Translate.Translated, Translate.Unknown))(failure)
      expect(JSON.stringify(json)).not.toContain("stack")
      expect(Schema.decodeUnknownSync(Schema.Union(Translate.Translated, Translate.Unknown))(json)).toEqual(failure)
    }))
})

/** A second, independent client on the test file's database, for holding locks. */
const otherClient = Effect.flatMap(PgTest.TestDatabase, (db) =>
  Effect.map(Layer.build(PgTest.clientLayer(db.url, { maxConnections: 2 })), Context.get(PgClient.PgClient))
)

layer(PgTest.layer({ prefix: "translate" }))("Translate against the real Postgres (seed 003's integration tests)", (it) => {
  it.scoped("a lock timeout comes out as DB_LOCK_TIMEOUT with its user message", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const other = yield* otherClient
      yield* sql`CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)`
      yield* sql`INSERT INTO accounts VALUES (1, 100)`
      const locked = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(other.withTransaction(
        other`SELECT * FROM accounts WHERE id = 1 FOR UPDATE`.pipe(
          Effect.zipRight(Deferred.succeed(locked, undefined)),
          Effect.zipRight(Deferred.await(release))
        )
      ))
      yield* Deferred.await(locked)
      const before = yield* count(Translate.translatedErrors, "DB_LOCK_TIMEOUT")
      const [exit, logs] = yield* withLogs(Effect.exit(failureOf(sql.withTransaction(
        sql`SET LOCAL lock_timeout = '50ms'`.pipe(
          Effect.zipRight(sql`UPDATE accounts SET balance = balance - 10 WHERE id = 1`)
        )
      ))))
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holder)
      const failure = Exit.isSuccess(exit) ? exit.value : undefined
      expect(failure).toMatchObject({ _tag: "Translated", code: "DB_LOCK_TIMEOUT", status: 503, message: lockMessage })
      expect(failure?._tag === "Translated" && failure.developerMessage).toMatch(/55P03.*lock timeout/)
      expect(yield* count(Translate.translatedErrors, "DB_LOCK_TIMEOUT")).toBe(before + 1)
      expect(withMessage(logs, "translated_error")[0]?.json).toMatchObject({ sqlstate: "55P03", error_code: "DB_LOCK_TIMEOUT" })
      // The query text and stack never leave; table names only in the developer message.
      expect(JSON.stringify(failure)).not.toMatch(/UPDATE|SET LOCAL|\bat\b/)
      expect(failure?.message).not.toContain("accounts")
    }))

  it.effect("a statement timeout comes out as DB_STATEMENT_TIMEOUT with its user message", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const failure = yield* failureOf(sql.withTransaction(
        sql`SET LOCAL statement_timeout = '50ms'`.pipe(Effect.zipRight(sql`SELECT pg_sleep(5)`))
      ))
      expect(failure).toMatchObject({ _tag: "Translated", code: "DB_STATEMENT_TIMEOUT", message: timeoutMessage })
    }))

  it.effect("a defect carrying a SqlError (as COMMIT failures arrive) is translated too", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const failure = yield* failureOf(sql.withTransaction(
        sql`SET LOCAL statement_timeout = '50ms'`.pipe(Effect.zipRight(sql`SELECT pg_sleep(5)`), Effect.orDie)
      ))
      expect(failure).toMatchObject({ code: "DB_STATEMENT_TIMEOUT" })
    }))

  it.effect("a project rule by SQLSTATE reads the constraint; the user message stays clean", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE members (email text CONSTRAINT members_email_key UNIQUE)`
      yield* sql`INSERT INTO members VALUES ('a@example.com')`
      const emailTaken = Translate.bySqlStateWith("table", (sqlstate) =>
        sqlstate === "23505"
          ? { code: "EMAIL_TAKEN", status: 409, developer: "{constraint}: {detail}", user: "This email is already registered." }
          : undefined)
      const failure = yield* failureOf(sql`INSERT INTO members VALUES ('a@example.com')`).pipe(
        Translate.withRules([emailTaken])
      )
      expect(failure).toMatchObject({ code: "EMAIL_TAKEN", status: 409, message: "This email is already registered." })
      expect(failure._tag === "Translated" && failure.developerMessage).toMatch(/^members_email_key: Key \(email\)/)
      // Without the project rule the default Postgres rule answers with PgError's code and safe message.
      const fallback = yield* failureOf(sql`INSERT INTO members VALUES ('a@example.com')`)
      expect(fallback).toMatchObject({ _tag: "Translated", code: "DB_UNIQUE_VIOLATION", status: 409, message: "This record already exists." })
      expect(JSON.stringify(fallback.message)).not.toContain("a@example.com")
      // A bug in SQL is never translated: it stays unknown so it stands out.
      const bug = yield* failureOf(sql`SELEC 1`)
      expect(bug._tag).toBe("Unknown")
    }))

  it.effect("a SQLSTATE class rule matches every code of the class", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rule = Translate.bySqlState("22", outcome("BAD_DATA"))
      const failure = yield* failureOf(sql`SELECT 1/0`).pipe(Translate.withRules([rule]))
      expect(failure).toMatchObject({ code: "BAD_DATA" })
      expect(Cause.isCause(failure)).toBe(false)
    }))
})
