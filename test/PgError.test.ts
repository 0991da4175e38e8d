import { PgClient } from "@effect/sql-pg"
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it, layer } from "@effect/vitest"
import {
  Cause,
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  Layer,
  Option,
  Redacted,
  Fiber,
  Schedule,
  Schema,
  TestClock,
  TestServices
} from "effect"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Errors from "../src/Errors.js"
import * as internal from "../src/internal/pgError.js"
import * as PgError from "../src/PgError.js"
import { findErrcodesTxt, generate, outputPath, parseErrcodes } from "../scripts/generate-sqlstate.js"
import { type CapturedLog, captureLogs } from "./support/captureLogs.js"
import * as PgTest from "./support/PgTest.js"
import { databaseUrl, randomDatabaseName } from "./support/PostgresServer.js"

// --- the generated table -------------------------------------------------------------

describe("SQLSTATE table", () => {
  it("is what the generator renders from the installed errcodes.txt (no drift)", () => {
    const committed = Fs.readFileSync(outputPath, "utf8")
    expect(generate(findErrcodesTxt())).toBe(committed)
  })

  it("holds every code and class of errcodes.txt, with condition and class name", () => {
    const parsed = parseErrcodes(Fs.readFileSync(findErrcodesTxt(), "utf8"))
    expect(parsed.codes.length).toBeGreaterThan(250)
    expect(parsed.classes.length).toBeGreaterThan(40)
    expect(PgError.sqlStates).toHaveLength(parsed.codes.length)
    for (const code of parsed.codes) {
      const info = PgError.sqlStateInfo(code.code)!
      expect(info.condition).toBe(code.condition)
      expect(info.className).toBe(parsed.classes.find((c) => c.code === code.code.slice(0, 2))!.name)
    }
    expect(PgError.sqlStateInfo("23505")).toEqual({
      sqlstate: "23505",
      condition: "unique_violation",
      classCode: "23",
      className: "Integrity Constraint Violation",
      kind: "error"
    })
    // Alias macros (ERRCODE_UNDEFINED_DATABASE) do not replace the named line.
    expect(PgError.sqlStateInfo("3D000")?.condition).toBe("invalid_catalog_name")
    expect(new Set(parsed.codes.map((c) => c.code)).size).toBe(parsed.codes.length)
    expect(PgError.sqlStateOf("deadlock_detected")).toBe("40P01")
  })

  it("types codes and condition names as literal unions", () => {
    const ok: PgError.SqlState = "40P01"
    const name: PgError.ConditionName = "lock_not_available"
    // @ts-expect-error not a SQLSTATE
    const bad: PgError.SqlState = "23506"
    // @ts-expect-error not a condition name
    const badName: PgError.ConditionName = "unique_violaton"
    expect([ok, name, bad, badName]).toHaveLength(4)
    expect(PgError.isSqlState("40P01")).toBe(true)
    expect(PgError.isSqlState("99999")).toBe(false)
  })

  it("classifies every error code per the shared classification table", () => {
    const expectation = (code: string): { category: Errors.Category; status: number | ReadonlyArray<number> } => {
      const cls = code.slice(0, 2)
      if (code === "08P01") return { category: "Fatal", status: 500 }
      if (cls === "08") return { category: "Transient", status: 503 }
      if (cls === "22") return { category: "Permanent", status: 422 }
      if (cls === "23") return { category: "Permanent", status: [409, 422] }
      if (cls === "28" || code === "3D000") return { category: "Fatal", status: 500 }
      if (["40001", "40P01", "40003"].includes(code)) return { category: "Transient", status: 503 }
      if (cls === "42") return { category: "Permanent", status: 500 }
      if (code === "53100") return { category: "Fatal", status: 503 }
      if (cls === "53" || cls === "55") return { category: "Transient", status: 503 }
      if (code === "57014") return { category: "Transient", status: 504 }
      if (["57P01", "57P02", "57P03", "57P05", "58000", "58030"].includes(code)) {
        return { category: "Transient", status: 503 }
      }
      if (cls === "XX") return { category: "Fatal", status: 500 }
      return { category: "Permanent", status: 500 }
    }
    const tags = new Set<string>()
    for (const { sqlstate, kind } of PgError.sqlStates) {
      if (kind !== "error") continue
      const c = PgError.classify(sqlstate)
      const want = expectation(sqlstate)
      tags.add(c.tag)
      expect({ code: sqlstate, category: c.category }).toEqual({ code: sqlstate, category: want.category })
      expect(typeof want.status === "number" ? [want.status] : want.status).toContain(c.status)
      if (c.category !== "Transient") expect([sqlstate, c.retry]).toEqual([sqlstate, "never"])
    }
    // Every tag of the union is reachable from some SQLSTATE.
    expect([...tags].sort()).toEqual(
      PgError.PgError.members.map((m) => m._tag).sort()
    )
    expect(PgError.classify("40P01")).toMatchObject({
      tag: "Deadlock",
      category: "Transient",
      code: "DB_DEADLOCK",
      status: 503,
      retry: "transaction-once"
    })
    expect(PgError.classify("55P03").userMessage).toBe(
      "Another database transaction is in progress. Please try again later."
    )
    expect(PgError.classify("57014").userMessage).toBe(
      "Database query took too long. This might happen if the system is overloaded. Please try again later."
    )
    expect(PgError.classify("99999").tag).toBe("UnknownSqlError")
  })
})

describe("translate without a database", () => {
  it("leaves values that carry no database failure alone", () => {
    expect(PgError.translate(new Error("boom"))).toEqual(Option.none())
    expect(PgError.translate("text")).toEqual(Option.none())
    expect(PgError.translate(null)).toEqual(Option.none())
    // A bare ECONNREFUSED could come from any client: only inside a SqlError is it the database's.
    expect(PgError.translate(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toEqual(
      Option.none()
    )
  })

  it("parses key columns and values from pg's detail", () => {
    expect(internal.parseKeyDetail("Key (a, lower(b))=(1, x) already exists.")).toEqual({
      columns: ["a", "lower(b)"],
      key: "1, x",
      referencedTable: undefined
    })
    expect(internal.parseKeyDetail("Key (id)=(1) is still referenced from table \"orders\".")?.referencedTable).toBe(
      "orders"
    )
    expect(internal.parseKeyDetail("Failing row contains (1, x).")).toBeUndefined()
  })

  it.effect("uses the default schedule: jittered exponential, capped, 5 re-runs", () =>
    Effect.gen(function*() {
      const driver = yield* Schedule.driver(Schedule.delays(PgError.defaultTransactionSchedule))
      const millis: Array<number> = []
      // Each step sleeps on the TestClock: let it run in a fiber and move the clock on.
      const steps = yield* Effect.fork(
        Effect.forever(Effect.flatMap(driver.next(undefined), (d) => Effect.sync(() => millis.push(Duration.toMillis(d)))))
      )
      yield* TestClock.adjust(Duration.minutes(1))
      yield* Fiber.join(steps).pipe(Effect.ignore)
      expect(millis).toHaveLength(5)
      for (const [n, ms] of millis.entries()) {
        // Effect's jitter scales each delay by a factor in [0.8, 1.2).
        expect(ms).toBeGreaterThanOrEqual(10 * 2 ** n * 0.8)
        expect(ms).toBeLessThanOrEqual(Math.min(10 * 2 ** n * 1.2, 1000))
      }
    }))
})

// --- against the real Postgres ---------------------------------------------------------

/** Runs `self`, translates its failure and returns it (the test fails if it succeeds). */
const failureOf = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.flip(PgError.mapErrors(self))

const freePort = () =>
  Effect.async<number>((resume) => {
    const server = Net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0)))
    })
  })

/** Builds a PgClient for `url` in the current scope; its failure is the layer's. */
const connect = (url: string, options: { maxConnections?: number; connectTimeout?: Duration.DurationInput } = {}) =>
  Layer.build(
    PgClient.layer({
      url: Redacted.make(url),
      connectTimeout: options.connectTimeout ?? Duration.seconds(5),
      maxConnections: options.maxConnections ?? 2
    })
  ).pipe(Effect.map(Context.get(SqlClient.SqlClient)))

const withUrl = (url: string, patch: { user?: string; password?: string }) => {
  const parsed = new URL(url)
  if (patch.user !== undefined) parsed.username = patch.user
  if (patch.password !== undefined) parsed.password = patch.password
  return parsed.toString()
}

/** Two transactions that each lock one row, then want the other's: one of them deadlocks. */
const deadlockPair = <E, R>(
  run: (body: Effect.Effect<void, SqlError>) => Effect.Effect<void, E, R>,
  sql: SqlClient.SqlClient,
  attempts: { count: number }
) =>
  Effect.gen(function*() {
    const locked = [yield* Deferred.make<void>(), yield* Deferred.make<void>()] as const
    const tx = (mine: 0 | 1) =>
      Effect.gen(function*() {
        attempts.count++
        yield* sql`UPDATE counters SET n = n + 1 WHERE id = ${mine + 1}`
        yield* Deferred.succeed(locked[mine], undefined)
        yield* Deferred.await(locked[1 - mine]!)
        yield* sql`UPDATE counters SET n = n + 1 WHERE id = ${2 - mine}`
      })
    return yield* Effect.all([Effect.either(run(tx(0))), Effect.either(run(tx(1)))], { concurrency: 2 })
  })

/**
 * Write skew under SERIALIZABLE: both read the on-call doctors, each takes a different one off
 * call; the second to commit fails at COMMIT with 40001.
 */
const writeSkew = <E, R>(
  runSecond: (body: Effect.Effect<void, SqlError>) => Effect.Effect<void, E, R>,
  sql: SqlClient.SqlClient,
  attempts: { count: number }
) =>
  Effect.gen(function*() {
    yield* sql`DROP TABLE IF EXISTS doctors`
    yield* sql`CREATE TABLE doctors (name text PRIMARY KEY, on_call boolean NOT NULL)`
    yield* sql`INSERT INTO doctors VALUES ('alice', true), ('bob', true)`
    const readA = yield* Deferred.make<void>()
    const readB = yield* Deferred.make<void>()
    const updatedB = yield* Deferred.make<void>()
    const committedA = yield* Deferred.make<void>()
    const body = (name: string, mine: Deferred.Deferred<void>, theirs: Deferred.Deferred<void>) =>
      Effect.gen(function*() {
        yield* sql`SET TRANSACTION ISOLATION LEVEL SERIALIZABLE`
        yield* sql`SELECT count(*) FROM doctors WHERE on_call`
        yield* Deferred.succeed(mine, undefined)
        yield* Deferred.await(theirs)
        yield* sql`UPDATE doctors SET on_call = false WHERE name = ${name}`
      })
    // Both write before either commits, so neither UPDATE can see a committed conflict; the first then
    // commits before the second's COMMIT, and the second fails during its commit attempt.
    // (If the first committed before the second's UPDATE, the UPDATE itself could fail with 40001.)
    const first = sql.withTransaction(Effect.zipRight(body("alice", readA, readB), Deferred.await(updatedB))).pipe(
      Effect.zipRight(Deferred.succeed(committedA, undefined))
    )
    const second = runSecond(
      Effect.gen(function*() {
        attempts.count++
        yield* body("bob", readB, readA)
        yield* Deferred.succeed(updatedB, undefined)
        yield* Deferred.await(committedA)
      })
    )
    const [, result] = yield* Effect.all([first, Effect.exit(second)], { concurrency: 2 })
    return result
  })

layer(PgTest.layer({ prefix: "pgerror" }))("PgError against a real Postgres", (it) => {
  const users = Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS users (
      id serial PRIMARY KEY,
      email text NOT NULL UNIQUE CONSTRAINT users_email_check CHECK (email LIKE '%@%')
    )`
    yield* sql`CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users (id))`
    yield* sql`CREATE TABLE IF NOT EXISTS counters (id int PRIMARY KEY, n int NOT NULL)`
    yield* sql`INSERT INTO counters VALUES (1, 0), (2, 0) ON CONFLICT (id) DO UPDATE SET n = 0`
    return sql
  })

  it.effect("unique violation: UniqueViolation with constraint, table, columns and key (409)", () =>
    Effect.gen(function*() {
      const sql = yield* users
      yield* sql`INSERT INTO users (email) VALUES ('dup@example.com')`
      const e = yield* failureOf(sql`INSERT INTO users (email) VALUES ('dup@example.com')`)
      expect(e._tag).toBe("UniqueViolation")
      if (e._tag !== "UniqueViolation") return
      expect(e).toMatchObject({
        sqlstate: "23505",
        condition: "unique_violation",
        constraint: "users_email_key",
        table: "users",
        schema: "public",
        columns: ["email"],
        key: "dup@example.com",
        category: "Permanent",
        code: "DB_UNIQUE_VIOLATION",
        retry: "never"
      })
      expect(Errors.statusOf(e)).toBe(409)
      expect(e.message).toContain("(23505)")
      expect(e.message).toContain("constraint \"users_email_key\"")
      expect(PgError.userMessage(e)).toBe("This record already exists.")
      expect(PgError.userMessage(e)).not.toContain("dup@example.com")
      // The SqlError stays reachable as the non-enumerable cause.
      expect((e as unknown as { cause: { _tag: string } }).cause._tag).toBe("SqlError")
      // ... and the error round-trips through its Schema as JSON.
      const json = JSON.parse(JSON.stringify(Schema.encodeSync(PgError.PgError)(e)))
      expect(json.cause).toBeUndefined()
      const back = Schema.decodeUnknownSync(PgError.PgError)(json)
      expect(back).toBeInstanceOf(PgError.UniqueViolation)
      expect(back).toMatchObject({ constraint: "users_email_key", columns: ["email"] })
    }))

  it.effect("foreign key violation: ForeignKeyViolation with columns and referenced table (422)", () =>
    Effect.gen(function*() {
      const sql = yield* users
      const e = yield* failureOf(sql`INSERT INTO orders (user_id) VALUES (424242)`)
      expect(e).toBeInstanceOf(PgError.ForeignKeyViolation)
      expect(e).toMatchObject({
        sqlstate: "23503",
        constraint: "orders_user_id_fkey",
        table: "orders",
        columns: ["user_id"],
        key: "424242",
        referencedTable: "users"
      })
      expect(Errors.statusOf(e)).toBe(422)
    }))

  it.effect("check violation: CheckViolation with its constraint (422)", () =>
    Effect.gen(function*() {
      const sql = yield* users
      const e = yield* failureOf(sql`INSERT INTO users (email) VALUES ('not-an-email')`)
      expect(e).toBeInstanceOf(PgError.CheckViolation)
      expect(e).toMatchObject({ sqlstate: "23514", constraint: "users_email_check", table: "users" })
      expect(Errors.statusOf(e)).toBe(422)
    }))

  it.effect("not null violation: NotNullViolation names the column (422)", () =>
    Effect.gen(function*() {
      const sql = yield* users
      const e = yield* failureOf(sql`INSERT INTO users (email) VALUES (NULL)`)
      expect(e).toBeInstanceOf(PgError.NotNullViolation)
      expect(e).toMatchObject({ sqlstate: "23502", column: "email", table: "users", category: "Permanent" })
      expect(Errors.statusOf(e)).toBe(422)
    }))

  it.effect("exclusion violation: ExclusionViolation for an overlapping booking (409)", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE bookings (during int4range NOT NULL, EXCLUDE USING gist (during WITH &&))`
      yield* sql`INSERT INTO bookings VALUES ('[1,5)')`
      const e = yield* failureOf(sql`INSERT INTO bookings VALUES ('[3,8)')`)
      expect(e).toBeInstanceOf(PgError.ExclusionViolation)
      expect(e).toMatchObject({ sqlstate: "23P01", constraint: "bookings_during_excl", columns: ["during"], key: "[3,8)" })
      expect(Errors.statusOf(e)).toBe(409)
    }))

  it.effect("invalid text representation and division by zero: DataException (422)", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const text = yield* failureOf(sql`SELECT 'abc'::int`)
      expect(text).toBeInstanceOf(PgError.DataException)
      expect(text).toMatchObject({ sqlstate: "22P02", condition: "invalid_text_representation" })
      const zero = yield* failureOf(sql`SELECT 1 / 0`)
      expect(zero).toMatchObject({ _tag: "DataException", sqlstate: "22012", condition: "division_by_zero" })
      expect(Errors.statusOf(zero)).toBe(422)
    }))

  it.effect("undefined table and syntax error: bugs, 500, logged as unexpected", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const missing = yield* failureOf(sql`SELECT * FROM no_such_table`)
      expect(missing).toMatchObject({ _tag: "UndefinedObject", sqlstate: "42P01", condition: "undefined_table" })
      const syntax = yield* failureOf(sql.unsafe("SELEC 1"))
      expect(syntax).toMatchObject({ _tag: "SyntaxError", sqlstate: "42601", condition: "syntax_error" })
      for (const e of [missing, syntax]) {
        expect(Errors.statusOf(e)).toBe(500)
        expect(Errors.severityOf(e)).toBe("unexpected")
      }
    }))

  it.effect("serialization failure at COMMIT arrives as a defect; mapErrors makes it SerializationFailure", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const attempts = { count: 0 }
      const exit = yield* writeSkew((body) => sql.withTransaction(body), sql, attempts)
      // @effect/sql orDie's COMMIT: the 40001 is a defect, not a failure.
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause) && !Cause.isFailType(exit.cause)).toBe(true)
      if (Exit.isSuccess(exit)) return
      const translated = Option.getOrThrow(PgError.translate(exit.cause))
      expect(translated).toMatchObject({ _tag: "SerializationFailure", sqlstate: "40001", retry: "transaction" })
      const mapped = yield* failureOf(Effect.failCause(exit.cause))
      expect(mapped).toBeInstanceOf(PgError.SerializationFailure)
      expect(Errors.isTransient(mapped)).toBe(true)
    }))

  it.effect("a deferred unique constraint failing at COMMIT becomes a typed UniqueViolation", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE deferred_keys (k int, CONSTRAINT deferred_keys_k_key UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)`
      const e = yield* failureOf(
        sql.withTransaction(Effect.zipRight(sql`INSERT INTO deferred_keys VALUES (1)`, sql`INSERT INTO deferred_keys VALUES (1)`))
      )
      expect(e).toMatchObject({ _tag: "UniqueViolation", constraint: "deferred_keys_k_key", columns: ["k"], key: "1" })
    }))

  it.effect("deadlock between two transactions: exactly one fails with Deadlock", () =>
    Effect.gen(function*() {
      const sql = yield* users
      const attempts = { count: 0 }
      const results = yield* deadlockPair((body) => PgError.mapErrors(sql.withTransaction(body)), sql, attempts)
      const failures = results.filter((r) => r._tag === "Left").map((r) => r._tag === "Left" ? r.left : undefined)
      expect(failures).toHaveLength(1)
      expect(failures[0]).toMatchObject({ _tag: "Deadlock", sqlstate: "40P01", condition: "deadlock_detected" })
      expect(failures[0]!.detail).toMatch(/waits for ShareLock on transaction/)
      expect(Errors.statusOf(failures[0])).toBe(503)
    }))

  it.effect("lock timeout: LockTimeout (55P03) with the seed's user message", () =>
    Effect.gen(function*() {
      const sql = yield* users
      const locked = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const holder = yield* sql.withTransaction(
        Effect.zipRight(
          sql`SELECT * FROM counters WHERE id = 1 FOR UPDATE`,
          Effect.zipRight(Deferred.succeed(locked, undefined), Deferred.await(release))
        )
      ).pipe(Effect.fork)
      yield* Deferred.await(locked)
      const e = yield* failureOf(
        sql.withTransaction(
          Effect.zipRight(sql`SET LOCAL lock_timeout = '20ms'`, sql`UPDATE counters SET n = n + 1 WHERE id = 1`)
        )
      ).pipe(Effect.ensuring(Deferred.succeed(release, undefined)))
      yield* holder.await
      expect(e).toMatchObject({ _tag: "LockTimeout", sqlstate: "55P03", category: "Transient", retry: "backoff" })
      expect(e.where).toMatch(/relation "counters"/)
      expect(PgError.userMessage(e)).toBe("Another database transaction is in progress. Please try again later.")
    }))

  it.effect("statement timeout: StatementTimeout (57014), 504, not retried", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const e = yield* failureOf(
        sql.withTransaction(Effect.zipRight(sql`SET LOCAL statement_timeout = '20ms'`, sql`SELECT pg_sleep(5)`))
      )
      expect(e).toMatchObject({ _tag: "StatementTimeout", sqlstate: "57014", retry: "if-idempotent" })
      expect(Errors.statusOf(e)).toBe(504)
    }))

  it.scoped("too many connections: a role CONNECTION LIMIT gives TooManyConnections with Retry-After", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const db = yield* PgTest.TestDatabase
      const role = randomDatabaseName("pgerror_limited")
      yield* Effect.acquireRelease(
        sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD 'limited' CONNECTION LIMIT 1`),
        () => Effect.orDie(sql.unsafe(`DROP ROLE IF EXISTS ${role}`))
      )
      const url = withUrl(db.url, { user: role, password: "limited" })
      // The first client holds the role's only connection (idle in its pool).
      yield* connect(url, { maxConnections: 1 })
      const e = yield* failureOf(Effect.scoped(connect(url)))
      expect(e).toMatchObject({ _tag: "TooManyConnections", sqlstate: "53300", origin: "server" })
      expect(Errors.retryAfterOf(e)).toEqual(Option.some(Duration.seconds(1)))
      expect(Errors.statusOf(e)).toBe(503)
      expect(Errors.isTransient(e)).toBe(true)
    }))

  it.scoped("pool exhaustion: the acquire timeout gives TooManyConnections from the pool", () =>
    Effect.gen(function*() {
      const db = yield* PgTest.TestDatabase
      // The short timeout also bounds opening the pool's one connection (its build runs a SELECT 1);
      // a loaded machine may miss it there, which says nothing about the pool: build again.
      const small = yield* connect(db.url, { maxConnections: 1, connectTimeout: Duration.millis(150) }).pipe(
        Effect.retry({ times: 10 })
      )
      const holding = yield* Deferred.make<void>()
      const done = yield* Deferred.make<void>()
      const holder = yield* small.withTransaction(
        Effect.zipRight(Deferred.succeed(holding, undefined), Deferred.await(done))
      ).pipe(Effect.fork)
      yield* Deferred.await(holding)
      const e = yield* Effect.flip(PgError.mapErrorsWith({ retryAfter: Duration.millis(250) })(small`SELECT 1`)).pipe(
        Effect.ensuring(Deferred.succeed(done, undefined))
      )
      yield* holder.await
      expect(e).toMatchObject({ _tag: "TooManyConnections", origin: "pool", sqlstate: "53300" })
      expect(Errors.retryAfterOf(e)).toEqual(Option.some(Duration.millis(250)))
    }))

  it.scoped("terminated backend: AdminShutdown (57P01), then the dead connection is a ConnectionFailure", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const db = yield* PgTest.TestDatabase
      const victim = yield* connect(db.url, { maxConnections: 1 })
      // Pinned, so the second query meets the dead connection instead of a pool that already
      // replaced it (which happens or not depending on when the socket's end event arrives).
      const conn = yield* victim.reserve
      // The sleep only has to outlast the polls below: it is killed, never waited out.
      const sleeping = yield* conn.execute("SELECT pg_sleep(60) AS victim_sleep", [], undefined).pipe(
        Effect.exit,
        Effect.fork
      )
      // Kill the backend once it is inside pg_sleep (polled on the live clock, at most 20 s).
      const killedRows = yield* sql<{ killed: boolean }>`
        SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%victim_sleep%'
          AND state = 'active'`.pipe(
        Effect.filterOrFail((rows) => rows.length > 0),
        Effect.retry(Schedule.spaced("5 millis")),
        Effect.timeout("20 seconds"),
        TestServices.provideLive
      )
      expect(killedRows).toEqual([{ killed: true }])
      const killed = yield* sleeping.pipe(Effect.flatMap((exit) => failureOf(exit)))
      expect(killed).toMatchObject({ _tag: "AdminShutdown", sqlstate: "57P01", condition: "admin_shutdown" })
      expect(Errors.isTransient(killed)).toBe(true)
      const lost = yield* failureOf(conn.execute("SELECT 1", [], undefined))
      expect(lost).toMatchObject({ _tag: "ConnectionFailure", sqlstate: "08006", origin: "client" })
      expect(lost.serverMessage).toMatch(/Connection terminated|connection error/)
    }))

  it.scoped("connection refused: ConnectionFailure with errno ECONNREFUSED (08001)", () =>
    Effect.gen(function*() {
      const port = yield* freePort()
      const e = yield* failureOf(connect(`postgres://postgres:postgres@127.0.0.1:${port}/postgres`))
      expect(e).toMatchObject({ _tag: "ConnectionFailure", sqlstate: "08001", errno: "ECONNREFUSED", origin: "client" })
      expect(Errors.statusOf(e)).toBe(503)
      expect(PgError.logAnnotations(e)).toMatchObject({ errno: "ECONNREFUSED", sqlstate: "08001" })
    }))

  it.scoped("unknown database: UnknownDatabase (3D000), fatal configuration error", () =>
    Effect.gen(function*() {
      const e = yield* failureOf(connect(databaseUrl(PgTest.adminUrl(), "no_such_database_pgerror")))
      expect(e).toMatchObject({ _tag: "UnknownDatabase", sqlstate: "3D000", category: "Fatal" })
      expect(Errors.severityOf(e)).toBe("critical")
    }))

  // The default schedule's backoff (tens of ms) runs on the live clock here.
  it.effect("transaction: a deadlocked transaction is re-run and both commit", () =>
    Effect.gen(function*() {
      const sql = yield* users
      const attempts = { count: 0 }
      const results = yield* TestServices.provideLive(deadlockPair((body) => PgError.transaction(body), sql, attempts))
      expect(results.every((r) => r._tag === "Right")).toBe(true)
      expect(attempts.count).toBe(3)
      const rows = yield* sql<{ n: number }>`SELECT n FROM counters ORDER BY id`
      expect(rows.map((r) => r.n)).toEqual([2, 2])
    }))

  it.effect("transaction: a serialization failure at COMMIT is re-run and succeeds", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const attempts = { count: 0 }
      const lines: Array<CapturedLog> = []
      const exit = yield* TestServices.provideLive(writeSkew((body) => PgError.transaction(body), sql, attempts)).pipe(
        Effect.provide(captureLogs(lines))
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(attempts.count).toBe(2)
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: "WARN",
          message: "re-running transaction",
          annotations: expect.objectContaining({ sqlstate: "40001", condition: "serialization_failure", error_tag: "SerializationFailure" })
        })
      )
    }))

  it.effect("transaction: a unique violation is not retried", () =>
    Effect.gen(function*() {
      const sql = yield* users
      let attempts = 0
      yield* sql`INSERT INTO users (email) VALUES ('once@example.com')`
      const e = yield* Effect.flip(
        PgError.transaction(Effect.suspend(() => {
          attempts++
          return sql`INSERT INTO users (email) VALUES ('once@example.com')`
        }))
      )
      expect(e._tag).toBe("UniqueViolation")
      expect(attempts).toBe(1)
    }))

  it.effect("transaction: deadlocks re-run once, serialization failures as often as the schedule allows", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const raising = (sqlstate: string, attempts: { count: number }) =>
        Effect.suspend(() => {
          attempts.count++
          return sql.unsafe(`DO $$ BEGIN RAISE EXCEPTION 'provoked' USING ERRCODE = '${sqlstate}'; END $$`)
        })
      const deadlocks = { count: 0 }
      const d = yield* Effect.flip(PgError.transaction(raising("40P01", deadlocks), { schedule: Schedule.recurs(10) }))
      expect(d._tag).toBe("Deadlock")
      expect(deadlocks.count).toBe(2)
      const serializations = { count: 0 }
      const s = yield* Effect.flip(
        PgError.transaction(raising("40001", serializations), { schedule: Schedule.recurs(3) })
      )
      expect(s._tag).toBe("SerializationFailure")
      expect(serializations.count).toBe(4)
      // Statement timeouts and connection losses are never re-run by the transaction helper.
      for (const code of ["57014", "08006", "55P03"]) {
        const n = { count: 0 }
        yield* Effect.flip(PgError.transaction(raising(code, n), { schedule: Schedule.recurs(3) }))
        expect([code, n.count]).toEqual([code, 1])
      }
      // Nested inside an outer transaction only the outermost level may re-run.
      const nested = { count: 0 }
      yield* Effect.flip(
        sql.withTransaction(PgError.transaction(raising("40001", nested), { schedule: Schedule.recurs(3) }))
      )
      expect(nested.count).toBe(1)
    }))

  it.effect("logging: the helper logs sqlstate, condition, constraint and table; Cause.pretty does not", () =>
    Effect.gen(function*() {
      const sql = yield* users
      yield* sql`INSERT INTO users (email) VALUES ('log@example.com')`
      const lines: Array<CapturedLog> = []
      const exit = yield* sql`INSERT INTO users (email) VALUES ('log@example.com')`.pipe(
        PgError.tapLog("creating user"),
        Effect.exit,
        Effect.provide(captureLogs(lines))
      )
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).not.toContain("users_email_key")
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({
        level: "INFO",
        annotations: {
          error_code: "DB_UNIQUE_VIOLATION",
          error_tag: "UniqueViolation",
          category: "Permanent",
          sqlstate: "23505",
          condition: "unique_violation",
          constraint: "users_email_key",
          table: "users"
        }
      })
      expect(lines[0]!.message).toContain("creating user: unique_violation (23505)")
    }))

  it.effect("translate finds the failure in a FiberFailure and in an Error's cause chain", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const exit = yield* Effect.exit(sql`SELECT 1 / 0`)
      if (Exit.isSuccess(exit)) return expect.fail("expected a failure")
      const fiberFailure = yield* Effect.promise(() =>
        Effect.runPromise(Effect.failCause(exit.cause)).catch((e: unknown) => e)
      )
      expect(Option.map(PgError.translate(fiberFailure), (e) => e.sqlstate)).toEqual(Option.some("22012"))
      const wrapped = new Error("request failed", { cause: Cause.squash(exit.cause) })
      expect(Option.map(PgError.translate(wrapped), (e) => e._tag)).toEqual(Option.some("DataException"))
      expect(PgError.sqlstateOf(wrapped)).toEqual(Option.some("22012"))
      // A translated error translates to itself.
      const once = Option.getOrThrow(PgError.translate(exit.cause))
      expect(Option.getOrThrow(PgError.translate(once))).toBe(once)
    }))
})
