import { SqlClient } from "@effect/sql"
import { layer } from "@effect/vitest"
import { Cause, Chunk, Effect, Exit, Layer, Schedule, TestClock, TestServices } from "effect"
import { expect } from "vitest"
import * as FeatureFlags from "../src/FeatureFlags.js"
import * as FlagsPg from "../src/FeatureFlags/Postgres.js"
import { captureLogs, type CapturedLog } from "./support/captureLogs.js"
import * as PgTest from "./support/PgTest.js"

/** Polls on the real clock (the database is real) until `check` holds, at most 5 s. */
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  TestServices.provideLive(
    check.pipe(
      Effect.repeat({ schedule: Schedule.spaced("10 millis"), until: (ok) => ok }),
      Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "not seen within 5 s" as const })
    )
  )

/**
 * Waits (on the real clock, at most 5 s) until the resync loop sleeps again on the TestClock: a
 * tick does real queries, and moving the clock before it is back asleep would skip the next one.
 */
const tickDone = Effect.gen(function*() {
  for (let i = 0; i < 500; i++) {
    const now = yield* TestClock.currentTimeMillis
    if (Chunk.some(yield* TestClock.sleeps(), (wakeAt) => wakeAt > now)) return
    yield* TestServices.provideLive(Effect.sleep("10 millis"))
  }
  return yield* Effect.dieMessage("the resync loop did not go back to sleep within 5 s")
})

/** An independent instance: its own pool and its own LISTEN connection on the test database. */
const instance = (options: FlagsPg.Options, logs?: Array<CapturedLog>) =>
  Layer.unwrapEffect(Effect.map(PgTest.TestDatabase, (db) => {
    const flags = FlagsPg.layer(options).pipe(Layer.provide(PgTest.clientLayer(db.url, { maxConnections: 2 })))
    return logs === undefined ? flags : Layer.provide(flags, captureLogs(logs))
  })).pipe(Layer.orDie)

const isOn = (flag: string) => FeatureFlags.isEnabled(flag)

layer(PgTest.layer({ prefix: "flags" }))("FeatureFlags/Postgres", (it) => {
  it.effect("ensureSchema is idempotent and safe to run from many instances at once", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* Effect.all(Array.from({ length: 5 }, () => FlagsPg.ensureSchema({ table: "flags_schema" })), {
        concurrency: "unbounded"
      })
      yield* FlagsPg.ensureSchema({ table: "flags_schema" })
      const triggers = yield* sql<{ tgname: string }>`
        SELECT tgname FROM pg_trigger WHERE tgrelid = 'flags_schema'::regclass AND NOT tgisinternal ORDER BY tgname`
      expect(triggers.map((t) => t.tgname)).toEqual(["flags_schema_notify", "flags_schema_stamp"])
    }))

  it.effect("refuses a table or channel name that is not a plain identifier, before any SQL", () =>
    Effect.gen(function*() {
      for (const table of ["flags; DROP TABLE users", "Flags", "x\"y", ""]) {
        const exit = yield* Effect.exit(FlagsPg.ensureSchema({ table }))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      }
      const exit = yield* Effect.exit(FlagsPg.set("f", true, { channel: "a-b" }))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    }))

  it.effect("loads the table at start; unknown flags are off; set records who and when", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* FlagsPg.ensureSchema({ table: "flags_load" })
      yield* FlagsPg.set("analytics_enabled", true, { table: "flags_load", updatedBy: "deploy" })
      yield* FlagsPg.set("email_enabled", false, { table: "flags_load" })
      const rows = yield* sql<{ flag: string; updated_by: string; current_user: string }>`
        SELECT flag, updated_by, current_user FROM flags_load ORDER BY flag`
      expect(rows.map((r) => [r.flag, r.updated_by])).toEqual([
        ["analytics_enabled", "deploy"],
        ["email_enabled", rows[0]!.current_user]
      ])
      yield* Effect.gen(function*() {
        expect(yield* isOn("analytics_enabled")).toBe(true)
        expect(yield* isOn("email_enabled")).toBe(false)
        expect(yield* isOn("unknown_flag")).toBe(false)
      }).pipe(Effect.provide(instance({ table: "flags_load" })))
    }))

  it.effect("a flip in the database reaches two independent instances within a second, with who/when logged", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* FlagsPg.ensureSchema({ table: "flags_prop" })
      yield* FlagsPg.set("recommendations_enabled", true, { table: "flags_prop", updatedBy: "seed" })
      // The capture installed while building A stays on this fiber for the scope, so B (built
      // here too) logs into it as well: each change must appear once per instance.
      const logs: Array<CapturedLog> = []
      const a = yield* Layer.build(instance({ table: "flags_prop" }, logs))
      const b = yield* Layer.build(instance({ table: "flags_prop" }))
      const onIn = (ctx: typeof a) => isOn("recommendations_enabled").pipe(Effect.provide(ctx))
      expect([yield* onIn(a), yield* onIn(b)]).toEqual([true, true])

      // A human with psql, no deploy: a plain UPDATE.
      const started = Date.now()
      yield* sql`UPDATE flags_prop SET enabled = false WHERE flag = 'recommendations_enabled'`
      yield* eventually(Effect.map(Effect.all([onIn(a), onIn(b)]), ([x, y]) => !x && !y))
      expect(Date.now() - started).toBeLessThan(1000)

      yield* FlagsPg.set("recommendations_enabled", true, { table: "flags_prop", updatedBy: "oncall:alice" })
      yield* eventually(Effect.map(Effect.all([onIn(a), onIn(b)]), ([x, y]) => x && y))
      yield* FlagsPg.set("brand_new", true, { table: "flags_prop" })
      yield* eventually(Effect.map(Effect.all([isOn("brand_new").pipe(Effect.provide(a)), isOn("brand_new").pipe(Effect.provide(b))]), ([x, y]) => x && y))
      yield* sql`DELETE FROM flags_prop WHERE flag = 'brand_new'`
      yield* eventually(Effect.map(isOn("brand_new").pipe(Effect.provide(b)), (x) => !x))

      const [role] = yield* sql<{ role: string }>`SELECT session_user AS role`
      // Each instance logs each change once.
      const changes = logs.filter((l) => l.annotations["event"] === "feature_flag_changed").map((l) => l.annotations)
      expect(changes.slice(0, 4)).toMatchObject([
        { flag: "recommendations_enabled", enabled: false, previous: true, updated_by: role!.role, source: "notify" },
        { flag: "recommendations_enabled", enabled: false, previous: true, updated_by: role!.role, source: "notify" },
        { flag: "recommendations_enabled", enabled: true, previous: false, updated_by: "oncall:alice", source: "notify" },
        { flag: "recommendations_enabled", enabled: true, previous: false, updated_by: "oncall:alice", source: "notify" }
      ])
      expect(Number.isNaN(Date.parse(String(changes[0]!["updated_at"])))).toBe(false)
    }).pipe(Effect.scoped))

  it.effect("a missed notification is repaired by the periodic resync (TestClock)", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* FlagsPg.ensureSchema({ table: "flags_resync" })
      yield* FlagsPg.set("email_enabled", true, { table: "flags_resync" })
      const logs: Array<CapturedLog> = []
      const ctx = yield* Layer.build(instance({ table: "flags_resync", resyncInterval: "10 seconds" }, logs))
      const emailOn = isOn("email_enabled").pipe(Effect.provide(ctx))
      expect(yield* emailOn).toBe(true)
      // Lose the notification: the change lands without NOTIFY.
      yield* sql.withTransaction(Effect.zipRight(
        sql`ALTER TABLE flags_resync DISABLE TRIGGER flags_resync_notify`,
        Effect.zipRight(
          sql`UPDATE flags_resync SET enabled = false WHERE flag = 'email_enabled'`,
          sql`ALTER TABLE flags_resync ENABLE TRIGGER flags_resync_notify`
        )
      ))
      yield* TestServices.provideLive(Effect.sleep("200 millis"))
      expect(yield* emailOn).toBe(true) // nothing told it
      yield* tickDone
      yield* TestClock.adjust("10 seconds")
      yield* eventually(Effect.map(emailOn, (on) => !on))
      expect(logs.some((l) => l.annotations["event"] === "feature_flags_resynced" && l.level === "WARN")).toBe(true)
    }).pipe(Effect.scoped))

  it.effect("restarts a listener whose connection died, found by the missing ping echo", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* FlagsPg.ensureSchema({ table: "flags_reconnect" })
      yield* FlagsPg.set("analytics_enabled", true, { table: "flags_reconnect" })
      const ctx = yield* Layer.build(instance({ table: "flags_reconnect", resyncInterval: "10 seconds" }))
      const listeners = sql<{ pid: number }>`
        SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN "flags_reconnect"'`
      const [before] = yield* listeners
      yield* sql`SELECT pg_terminate_backend(${before!.pid})`
      yield* eventually(Effect.map(listeners, (rows) => rows.length === 0))
      yield* tickDone
      yield* TestClock.adjust("10 seconds") // resync, ping: no echo
      yield* tickDone
      yield* TestClock.adjust("10 seconds") // echo missing: restart
      yield* eventually(Effect.map(listeners, (rows) => rows.length === 1 && rows[0]!.pid !== before!.pid))
      // No more ticks: only the new LISTEN can deliver this.
      yield* TestServices.provideLive(Effect.sleep("100 millis"))
      yield* sql`UPDATE flags_reconnect SET enabled = false WHERE flag = 'analytics_enabled'`
      yield* eventually(Effect.map(isOn("analytics_enabled").pipe(Effect.provide(ctx)), (on) => !on))
    }).pipe(Effect.scoped))
})

