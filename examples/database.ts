/**
 * Postgres failures as typed errors: a duplicate key becomes a 409, a failed CHECK a 422, a
 * statement timeout a 504 with the seed's message, and a serialization failure re-runs the
 * whole transaction.
 *
 * Run: npx tsx examples/database.ts   (uses DATABASE_URL when set, else an embedded Postgres)
 */
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Console, Duration, Effect, Redacted, Schedule } from "effect"
import * as Errors from "../src/Errors.js"
import * as PgError from "../src/PgError.js"
import { withScratchDatabase } from "../test/support/PostgresServer.js"

// An HTTP-ish handler: pattern-match the translated errors the compiler knows can occur.
const createUser = (email: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO users (email) VALUES (${email})`
    return { status: 201, body: `created ${email}` }
  }).pipe(
    PgError.mapErrors,
    Effect.catchTags({
      UniqueViolation: (e) =>
        Effect.succeed({ status: 409, body: `${PgError.userMessage(e)} (constraint ${e.constraint}, columns ${e.columns})` }),
      CheckViolation: (e) => Effect.succeed({ status: Errors.statusOf(e), body: `invalid: ${e.constraint}` })
    })
  )

const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE CHECK (email LIKE '%@%'))`

  for (const email of ["ada@example.com", "ada@example.com", "not-an-email"]) {
    const { status, body } = yield* createUser(email)
    yield* Console.log(`${status} ${body}`)
  }

  // A slow query: StatementTimeout, 504, the seed's message for users, the fields for the log.
  const slow = yield* sql.withTransaction(
    Effect.zipRight(sql`SET LOCAL statement_timeout = '50ms'`, sql`SELECT pg_sleep(2)`)
  ).pipe(PgError.mapErrors, Effect.flip)
  yield* Console.log(`${Errors.statusOf(slow)} ${slow._tag} ${slow.sqlstate}: ${PgError.userMessage(slow)}`)
  yield* PgError.log(slow, "listing users")

  // Serialization failures re-run the whole transaction (here raised on the first attempt).
  let attempts = 0
  yield* Effect.suspend(() => {
    attempts++
    return attempts === 1
      ? sql`DO $$ BEGIN RAISE EXCEPTION 'could not serialize' USING ERRCODE = '40001'; END $$`
      : sql`UPDATE users SET email = 'ada@example.org' WHERE email = 'ada@example.com'`
  }).pipe(PgError.transaction({ schedule: Schedule.exponential("10 millis").pipe(Schedule.intersect(Schedule.recurs(3))) }))
  yield* Console.log(`transaction committed after ${attempts} attempts`)

  // The cheat sheet, straight from the classification.
  for (const code of ["40P01", "53300", "23503"] as const) {
    const c = PgError.classify(code)
    yield* Console.log(`${code} ${c.tag} ${c.category} HTTP ${c.status} retry: ${c.retry}`)
  }
})

withScratchDatabase("example_database", async (url) => {
  await Effect.runPromise(
    program.pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(url), connectTimeout: Duration.seconds(5) }))
    )
  )
})
