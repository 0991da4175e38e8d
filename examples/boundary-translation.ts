/**
 * Seed 003, "improving the outermost try/catch", against a real Postgres: a handler whose
 * boundary translates a lock timeout, a statement timeout and a refused connection into codes
 * and messages users can act on, lets taxonomy errors through as themselves, and keeps real
 * bugs apart (their own metric, their own log line with the stack).
 *
 * Run: npx tsx examples/boundary-translation.ts   (uses DATABASE_URL when set, else an embedded Postgres)
 */
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Context, Deferred, Duration, Effect, Fiber, Layer, Metric, Redacted } from "effect"
import * as ErrorLog from "../src/ErrorLog.js"
import * as Errors from "../src/Errors.js"
import * as Translate from "../src/Translate.js"
import { withScratchDatabase } from "../test/support/PostgresServer.js"

const client = (url: string) =>
  PgClient.layer({ url: Redacted.make(url), connectTimeout: Duration.seconds(5), maxConnections: 4 })

/** The outermost boundary of an HTTP-ish handler: typed, safe response; logs and metrics inside. */
const handle = <A>(route: string, requestId: string, work: Effect.Effect<A, unknown, SqlClient.SqlClient>) =>
  Translate.boundary(work).pipe(
    Effect.match({
      onFailure: (e) => ({ status: e.status, body: { error: e.code, message: e.message, request_id: e.requestId } }),
      onSuccess: (value) => ({ status: 200, body: value })
    }),
    Effect.tap((response) => Effect.sync(() => console.log(`${route.padEnd(22)} -> ${response.status} ${JSON.stringify(response.body)}`))),
    ErrorLog.withRequestContext({ requestId, operation: route })
  )

const withdraw = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql.withTransaction(
    sql`SET LOCAL lock_timeout = '100ms'`.pipe(
      Effect.zipRight(sql`UPDATE accounts SET balance = balance - 10 WHERE id = 1 RETURNING balance`)
    )
  )
})

const report = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql.withTransaction(
    sql`SET LOCAL statement_timeout = '100ms'`.pipe(Effect.zipRight(sql`SELECT pg_sleep(2)`))
  )
})

const program = (url: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)`
    yield* sql`INSERT INTO accounts VALUES (1, 100)`

    // Another instance holds the row lock while our handler tries to withdraw.
    const other = yield* Effect.map(Layer.build(client(url)), Context.get(PgClient.PgClient))
    const locked = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    const holder = yield* Effect.fork(other.withTransaction(
      other`SELECT * FROM accounts WHERE id = 1 FOR UPDATE`.pipe(
        Effect.zipRight(Deferred.succeed(locked, undefined)),
        Effect.zipRight(Deferred.await(release))
      )
    ))
    yield* Deferred.await(locked)
    yield* handle("POST /withdraw", "req-1", withdraw)
    yield* Deferred.succeed(release, undefined)
    yield* Fiber.join(holder)
    yield* handle("POST /withdraw (again)", "req-2", withdraw)

    yield* handle("GET /report", "req-3", report)
    yield* handle("GET /users/42", "req-4", Effect.fail(new Errors.NotFound({ resource: "user", id: "42" })))
    yield* handle("GET /partner-feed", "req-5", Effect.scoped(Layer.build(client("postgres://u:p@127.0.0.1:1/none"))))
    yield* handle("POST /import", "req-6", Effect.sync(() => (undefined as unknown as { rows: number }).rows))

    const translated = (code: string) => Metric.value(Metric.tagged(Translate.translatedErrors, "code", code))
    console.log(`metric translated DB_LOCK_TIMEOUT=${(yield* translated("DB_LOCK_TIMEOUT")).count}`)
    console.log(`metric translated DB_STATEMENT_TIMEOUT=${(yield* translated("DB_STATEMENT_TIMEOUT")).count}`)
    console.log(`metric unknown=${(yield* Metric.value(Translate.unknownErrors)).count} (the one to page on)`)
  }).pipe(Effect.scoped)

withScratchDatabase("example_boundary", async (url) => {
  await Effect.runPromise(
    program(url).pipe(Effect.provide(Layer.mergeAll(client(url), ErrorLog.layerConfig())))
  )
})
