/**
 * Postgres-backed kill switches: a flags table, and LISTEN/NOTIFY so that flipping a flag in
 * the database (`UPDATE ... SET enabled = false`) reaches every running instance within a
 * second, without a deploy.
 *
 * **How it stays right**
 *
 * - A trigger on the table sends every INSERT, UPDATE and DELETE as a JSON notification
 *   (flag, enabled, updated_by, updated_at); each instance applies it to its in-memory map, so
 *   `isEnabled` never queries the database.
 * - At start and after every reconnect the instance LISTENs, waits for its own ping to come
 *   back (then nothing can be missed), and reloads the table.
 * - Every `resyncInterval` (30 s) it reloads the table (a lost notification is never
 *   permanent; a difference is logged as a warning) and checks its listener by a ping echo; a
 *   listener that went silent is restarted.
 * - Who and when: `updated_at` is set by the database; `updated_by` is the name given to
 *   {@link set}, else an explicit `updated_by` in the UPDATE, else the database role.
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { PgClient } from "@effect/sql-pg"
import type { Effect, Layer, Scope } from "effect"
import type { FeatureFlags, Service } from "../FeatureFlags.js"
import * as internal from "../internal/featureFlagsPg.js"

/**
 * Options of the Postgres backend.
 *
 * - `table`: default `effect_resilience_feature_flags`. Only lowercase identifiers
 *   (`[a-z_][a-z0-9_]*`, at most 48 characters) are accepted; anything else is a defect
 *   (`IllegalArgumentException`), never interpolated into SQL.
 * - `channel`: the NOTIFY channel, default the table name (same rule).
 * - `resyncInterval`: default 30 seconds.
 * - `ensureSchema`: default `true`: create the table and triggers at layer build.
 *
 * @example
 * ```ts
 * import * as FlagsPg from "effect-resilience/FeatureFlags/Postgres"
 *
 * const options: FlagsPg.Options = { table: "flags", resyncInterval: "10 seconds" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends internal.Options {}

/**
 * The default table name.
 *
 * @example
 * ```ts
 * import * as FlagsPg from "effect-resilience/FeatureFlags/Postgres"
 *
 * FlagsPg.defaultTable // "effect_resilience_feature_flags"
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTable: string = internal.defaultTable

/**
 * Creates the flags table, the trigger that stamps `updated_at`/`updated_by`, and the trigger
 * that NOTIFYs every change. Idempotent and safe to run from many instances at once (an
 * advisory lock serialises them). The layer runs it unless `ensureSchema: false`.
 *
 * @example
 * ```ts
 * import * as FlagsPg from "effect-resilience/FeatureFlags/Postgres"
 *
 * const migrate = FlagsPg.ensureSchema() // Effect<void, SqlError, SqlClient>
 * ```
 *
 * @since 0.1.0
 * @category schema
 */
export const ensureSchema: (options?: Options) => Effect.Effect<void, SqlError, SqlClient.SqlClient> =
  internal.ensureSchema

/**
 * Turns a flag on or off (creating it if needed), recording who did it. The table's trigger
 * notifies every instance when the transaction commits.
 *
 * @example
 * ```ts
 * import * as FlagsPg from "effect-resilience/FeatureFlags/Postgres"
 *
 * const killRecommendations = FlagsPg.set("recommendations_enabled", false, { updatedBy: "oncall:alice" })
 * ```
 *
 * @since 0.1.0
 * @category mutations
 */
export const set: (
  flag: string,
  enabled: boolean,
  options?: Options & { readonly updatedBy?: string | undefined; readonly description?: string | undefined }
) => Effect.Effect<void, SqlError, SqlClient.SqlClient> = internal.set

/**
 * The service, scoped: loads the table, listens for changes, resyncs periodically.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as FlagsPg from "effect-resilience/FeatureFlags/Postgres"
 *
 * const flags = Effect.scoped(FlagsPg.make({ resyncInterval: "1 minute" }))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options?: Options
) => Effect.Effect<Service, SqlError, PgClient.PgClient | Scope.Scope> =
  internal.make

/**
 * `FeatureFlags` from Postgres. Needs a `PgClient` (LISTEN needs Postgres itself, not any
 * SQL client).
 *
 * @example
 * ```ts
 * import { PgClient } from "@effect/sql-pg"
 * import { Config, Layer } from "effect"
 * import * as FlagsPg from "effect-resilience/FeatureFlags/Postgres"
 *
 * const FlagsLive = FlagsPg.layer().pipe(Layer.provide(PgClient.layerConfig({ url: Config.redacted("DATABASE_URL") })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options?: Options) => Layer.Layer<FeatureFlags, SqlError, PgClient.PgClient> = internal.layer
