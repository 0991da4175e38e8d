import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import type { Scope } from "effect"
import { Cause, Deferred, Duration, Effect, Fiber, Layer, Ref, Schema, Stream } from "effect"
import type { FeatureFlags } from "./featureFlags.js"
import { applyChange, FeatureFlagsTag, fromRef } from "./featureFlags.js"
import * as Errors from "../Errors.js"

/** @internal */
export const defaultTable = "effect_resilience_feature_flags"

/** @internal */
export interface Options {
  readonly table?: string | undefined
  readonly channel?: string | undefined
  readonly resyncInterval?: Duration.DurationInput | undefined
  readonly ensureSchema?: boolean | undefined
}

interface Resolved {
  readonly table: string
  readonly channel: string
  readonly resyncInterval: Duration.Duration
  readonly ensureSchema: boolean
}

const identifier = /^[a-z_][a-z0-9_]{0,47}$/

/**
 * Table and channel names end up in DDL, trigger bodies and LISTEN: only plain lowercase
 * identifiers are accepted, so nothing a caller passes can change the statement's meaning.
 *
 * @internal
 */
export const validateIdentifier = (kind: string, name: string): string => {
  if (!identifier.test(name)) {
    throw new Cause.IllegalArgumentException(
      `FeatureFlags/Postgres: ${kind} must match ${identifier.source}, got ${JSON.stringify(name)}`
    )
  }
  return name
}

const resolve = (options: Options): Resolved => {
  const table = validateIdentifier("table", options.table ?? defaultTable)
  return {
    table,
    channel: validateIdentifier("channel", options.channel ?? table),
    resyncInterval: Duration.decode(options.resyncInterval ?? "30 seconds"),
    ensureSchema: options.ensureSchema ?? true
  }
}

const ddl = ({ channel, table }: Resolved): ReadonlyArray<string> => [
  `CREATE TABLE IF NOT EXISTS "${table}" (
    flag text PRIMARY KEY,
    enabled boolean NOT NULL DEFAULT false,
    description text,
    updated_by text,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  // Who and when: an explicit updated_by wins; else the name FeatureFlags/Postgres.set put in
  // the transaction; else the database role (a DBA flipping a flag by hand in psql).
  `CREATE OR REPLACE FUNCTION "${table}_stamp"() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    NEW.updated_at := now();
    IF NEW.updated_by IS NULL OR (TG_OP = 'UPDATE' AND NEW.updated_by IS NOT DISTINCT FROM OLD.updated_by) THEN
      NEW.updated_by := coalesce(nullif(current_setting('effect_resilience.updated_by', true), ''), session_user::text);
    END IF;
    RETURN NEW;
  END $fn$`,
  `CREATE OR REPLACE FUNCTION "${table}_notify"() RETURNS trigger LANGUAGE plpgsql AS $fn$
  DECLARE r record;
  BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    PERFORM pg_notify('${channel}', json_build_object(
      'op', TG_OP,
      'flag', r.flag,
      'enabled', CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE r.enabled END,
      'updated_by', r.updated_by,
      'updated_at', r.updated_at
    )::text);
    RETURN NULL;
  END $fn$`,
  `DROP TRIGGER IF EXISTS "${table}_stamp" ON "${table}"`,
  `CREATE TRIGGER "${table}_stamp" BEFORE INSERT OR UPDATE ON "${table}"
    FOR EACH ROW EXECUTE FUNCTION "${table}_stamp"()`,
  `DROP TRIGGER IF EXISTS "${table}_notify" ON "${table}"`,
  `CREATE TRIGGER "${table}_notify" AFTER INSERT OR UPDATE OR DELETE ON "${table}"
    FOR EACH ROW EXECUTE FUNCTION "${table}_notify"()`
]

/** @internal */
export const ensureSchema = (options: Options = {}): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(Effect.try({ try: () => resolve(options), catch: (e) => e }).pipe(Effect.orDie), (resolved) =>
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql.withTransaction(
        // Instances starting together would race on CREATE ... IF NOT EXISTS: serialise them.
        Effect.zipRight(
          sql`SELECT pg_advisory_xact_lock(hashtext(${`effect-resilience/FeatureFlags/${resolved.table}`}))`,
          Effect.forEach(ddl(resolved), (statement) => sql.unsafe(statement), { discard: true })
        )
      )))

/** @internal */
export const set = (
  flag: string,
  enabled: boolean,
  options: Options & { readonly updatedBy?: string | undefined; readonly description?: string | undefined } = {}
): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(Effect.try({ try: () => resolve(options), catch: (e) => e }).pipe(Effect.orDie), ({ table }) =>
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql.withTransaction(
        Effect.zipRight(
          sql`SELECT set_config('effect_resilience.updated_by', ${options.updatedBy ?? ""}, true)`,
          sql`INSERT INTO ${sql(table)} (flag, enabled, description) VALUES (${flag}, ${enabled}, ${
            options.description ?? null
          })
            ON CONFLICT (flag) DO UPDATE SET enabled = EXCLUDED.enabled,
              description = coalesce(EXCLUDED.description, ${sql(table)}.description)`
        )
      )))

// --- notifications --------------------------------------------------------------

const Change = Schema.Struct({
  op: Schema.Literal("INSERT", "UPDATE", "DELETE"),
  flag: Schema.String,
  enabled: Schema.NullOr(Schema.Boolean),
  updated_by: Schema.NullOr(Schema.String),
  updated_at: Schema.NullOr(Schema.String)
})

const Ping = Schema.Struct({ ping: Schema.String, seq: Schema.Number })

const decodeMessage = Schema.decodeUnknownEither(Schema.parseJson(Schema.Union(Change, Ping)))

/**
 * Waits on the network, not on the program's clock: the LISTEN handshake retries on
 * wall-clock timers so it behaves the same under a TestClock.
 */
const wallClockDelay = (millis: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), millis)
    return Effect.sync(() => clearTimeout(timer))
  })

/** @internal */
export const make = (
  options: Options = {}
): Effect.Effect<FeatureFlags, SqlError, PgClient.PgClient | Scope.Scope> =>
  Effect.gen(function*() {
    const resolved = yield* Effect.try({ try: () => resolve(options), catch: (e) => e }).pipe(Effect.orDie)
    const pg = yield* PgClient.PgClient
    if (resolved.ensureSchema) yield* ensureSchema(resolved).pipe(Effect.provideService(SqlClient.SqlClient, pg))

    const load = Effect.map(
      pg<{ flag: string; enabled: boolean }>`SELECT flag, enabled FROM ${pg(resolved.table)}`,
      (rows): ReadonlyMap<string, boolean> => new Map(rows.map((r) => [r.flag, r.enabled]))
    )
    const ref = yield* Ref.make(yield* load)
    const instance = crypto.randomUUID()
    const sent = yield* Ref.make(0)
    const echoed = yield* Ref.make(0)
    const ping = (seq: number) =>
      pg`SELECT pg_notify(${resolved.channel}, ${JSON.stringify({ ping: instance, seq })})`.pipe(Effect.asVoid)

    // A resync that finds a difference means a notification was lost: apply it and say so.
    const resync = Effect.flatMap(load, (fresh) =>
      Effect.flatMap(Ref.get(ref), (cached) => {
        const changed = [...new Set([...cached.keys(), ...fresh.keys()])].filter((f) => cached.get(f) !== fresh.get(f))
        if (changed.length === 0) return Effect.void
        return Effect.zipRight(
          Effect.logWarning("feature flags resynced: applied changes no notification delivered").pipe(
            Effect.annotateLogs({ event: "feature_flags_resynced", flags: changed.join(",") })
          ),
          Effect.forEach(changed, (flag) => applyChange(ref, { flag, enabled: fresh.get(flag), source: "resync" }), {
            discard: true
          })
        )
      }))

    const handle = (payload: string) => {
      const decoded = decodeMessage(payload)
      if (decoded._tag === "Left") {
        return Effect.logWarning("feature flags: unreadable notification, resyncing").pipe(
          Effect.annotateLogs({ event: "feature_flags_bad_notification", payload: payload.slice(0, 200) }),
          Effect.zipRight(resync)
        )
      }
      const message = decoded.right
      if ("ping" in message) {
        return message.ping === instance ? Ref.update(echoed, (n) => Math.max(n, message.seq)) : Effect.void
      }
      return applyChange(ref, {
        flag: message.flag,
        enabled: message.op === "DELETE" || message.enabled === null ? undefined : message.enabled,
        updatedBy: message.updated_by ?? undefined,
        updatedAt: message.updated_at === null ? undefined : new Date(message.updated_at),
        source: "notify"
      })
    }

    // Ping until our own ping comes back: from then on LISTEN is active and nothing is missed,
    // so the resync that follows closes the gap since the initial load.
    const handshake = Effect.gen(function*() {
      for (let attempt = 0; attempt < 50; attempt++) {
        const seq = yield* Ref.updateAndGet(sent, (n) => n + 1)
        yield* ping(seq)
        for (let wait = 0; wait < 10; wait++) {
          if ((yield* Ref.get(echoed)) >= seq) return true
          yield* wallClockDelay(10)
        }
      }
      return false
    })

    const synced = yield* Deferred.make<void>()
    const session = Effect.scoped(Effect.gen(function*() {
      const listening = yield* pg.listen(resolved.channel).pipe(Stream.runForEach(handle), Effect.forkScoped)
      if (!(yield* handshake)) return yield* Effect.fail(
          new Errors.ServiceUnavailable({ service: "feature-flags-listener", reason: "LISTEN handshake: no echo within 5 s" })
        )
      yield* resync
      yield* Deferred.succeed(synced, undefined)
      return yield* Fiber.join(listening)
    }))

    const current = yield* Ref.make<Fiber.RuntimeFiber<void, unknown> | undefined>(undefined)
    // The listener reconnects forever: a dropped connection is a pause, never the end of updates.
    const supervise = Effect.forever(Effect.gen(function*() {
      const fiber = yield* Effect.fork(session)
      yield* Ref.set(current, fiber)
      const exit = yield* Fiber.await(fiber)
      yield* Effect.logWarning("feature flags: listener stopped, reconnecting").pipe(
        Effect.annotateLogs({
          event: "feature_flags_listener_restart",
          channel: resolved.channel,
          cause: exit._tag === "Failure" ? Cause.pretty(exit.cause) : "ended"
        })
      )
      yield* wallClockDelay(1000)
    }))
    yield* Effect.forkScoped(supervise)

    // Periodically: resync (a missed notification is never permanent) and check the listener
    // is alive by its echo; a listener that stopped echoing is restarted.
    const tick = Effect.gen(function*() {
      yield* resync
      const [lastSent, lastEcho] = [yield* Ref.get(sent), yield* Ref.get(echoed)]
      if (lastEcho < lastSent) {
        const fiber = yield* Ref.get(current)
        if (fiber !== undefined) yield* Fiber.interrupt(fiber)
      } else {
        yield* ping(yield* Ref.updateAndGet(sent, (n) => n + 1))
      }
    }).pipe(Effect.catchAllCause((cause) =>
      Effect.logWarning("feature flags: resync failed").pipe(
        Effect.annotateLogs({ event: "feature_flags_resync_failed", cause: Cause.pretty(cause) })
      )
    ))
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(resolved.resyncInterval), tick)))

    // Wait for the first sync, but never forever: the loaded table is a correct start.
    yield* Effect.raceFirst(Deferred.await(synced), wallClockDelay(6000))
    return fromRef(ref)
  })

/** @internal */
export const layer = (options: Options = {}): Layer.Layer<FeatureFlagsTag, SqlError, PgClient.PgClient> =>
  Layer.scoped(FeatureFlagsTag, make(options))
