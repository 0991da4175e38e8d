import { layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Cause, Effect, Exit } from "effect"
import { expect } from "vitest"
import * as PgTest from "./support/PgTest.js"

/** The pg DatabaseError behind a SqlError failure, read off the non-enumerable `cause`. */
const sqlstateOf = <A, E>(exit: Exit.Exit<A, E>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "None") return undefined
  const cause = (failure.value as { cause?: { code?: unknown } }).cause
  return typeof cause?.code === "string" ? cause.code : undefined
}

layer(PgTest.layer({ prefix: "smoke" }))("real Postgres harness", (it) => {
  it.effect("runs queries against its own database", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const db = yield* PgTest.TestDatabase
      const rows = yield* sql<{ db: string; version: string }>`SELECT current_database() AS db, version() AS version`
      expect(rows[0]!.db).toBe(db.name)
      expect(rows[0]!.version).toMatch(/^PostgreSQL \d+/)
    }))

  it.effect("sees a real unique violation as SQLSTATE 23505", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE smoke_users (email text PRIMARY KEY)`
      yield* sql`INSERT INTO smoke_users (email) VALUES ('a@example.com')`
      const exit = yield* Effect.exit(sql`INSERT INTO smoke_users (email) VALUES ('a@example.com')`)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(sqlstateOf(exit)).toBe("23505")
    }))

  it.effect("sees a real statement_timeout as SQLSTATE 57014", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const exit = yield* sql.withTransaction(
        Effect.gen(function*() {
          yield* sql`SET LOCAL statement_timeout = '50ms'`
          return yield* sql`SELECT pg_sleep(5)`
        })
      ).pipe(Effect.exit)
      expect(sqlstateOf(exit)).toBe("57014")
    }))
})
