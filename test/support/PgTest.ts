/**
 * Per-test-file Postgres for Effect tests: a fresh database on the run's shared server,
 * provided as a `PgClient` layer and dropped when the layer is released.
 */
import { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import { inject } from "vitest"
import { createDatabase, dropDatabase, randomDatabaseName } from "./PostgresServer.js"

/** The admin URL of the run's server (from vitest's globalSetup). */
export const adminUrl = (): string => inject("databaseUrl")

/** A fresh database for the current scope; dropped (with FORCE) when the scope closes. */
export const freshDatabase = (prefix = "t"): Effect.Effect<{ readonly name: string; readonly url: string }, never, import("effect/Scope").Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const name = randomDatabaseName(prefix)
      return { name, url: await createDatabase(adminUrl(), name) }
    }),
    ({ name }) => Effect.promise(() => dropDatabase(adminUrl(), name))
  )

/** Tag carrying the URL of the test file's database (useful for a second, independent client). */
export class TestDatabase extends Context.Tag("effect-resilience/test/TestDatabase")<
  TestDatabase,
  { readonly name: string; readonly url: string }
>() {}

export interface LayerOptions {
  readonly prefix?: string
  readonly maxConnections?: number
}

/** A PgClient for a client of `url`, with a connect timeout so a silent server cannot hang a test. */
export const clientLayer = (url: string, options: { readonly maxConnections?: number } = {}) =>
  PgClient.layer({
    url: Redacted.make(url),
    connectTimeout: Duration.seconds(5),
    idleTimeout: Duration.seconds(30),
    maxConnections: options.maxConnections ?? 10
  })

/**
 * A fresh database for this test file, as `PgClient | SqlClient | TestDatabase`.
 *
 * @example
 * layer(PgTest.layer({ prefix: "smoke" }))("smoke", (it) => { it.effect(...) })
 */
export const layer = (options: LayerOptions = {}) =>
  Layer.unwrapScoped(
    Effect.map(freshDatabase(options.prefix), (db) =>
      Layer.merge(
        clientLayer(db.url, options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
        Layer.succeed(TestDatabase, db)
      ))
  ).pipe(Layer.orDie)
