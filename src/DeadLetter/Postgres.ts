/**
 * The Postgres dead-letter store on @effect/sql (`effect_resilience_dead_letters`).
 *
 * Replays to the source queue are a single statement: the messages are inserted into
 * `effect_resilience_queue` and marked replayed in the same transaction. Replays through a
 * processor run one transaction per dead letter, so whatever the processor writes with the
 * same client commits together with the replayed mark, or not at all.
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import type { Effect, Layer } from "effect"
import type { DeadLetter, DeadLetterQueue, Processor } from "../DeadLetter.js"
import * as internal from "../internal/deadLetterPg.js"

/**
 * `requeue`: where `replay` sends entries when no processor is given. Default: back to their
 * source queue in `effect_resilience_queue`.
 *
 * @example
 * ```ts
 * import type { DeadLetterPostgres } from "effect-resilience"
 *
 * const options: DeadLetterPostgres.Options = {}
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly requeue?: Processor | undefined
}

/**
 * Builds the store on the `SqlClient` in context. Run `DeadLetter.migrate` once first.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DeadLetterPostgres } from "effect-resilience"
 *
 * const store = DeadLetterPostgres.make() // Effect<DeadLetterQueue, never, SqlClient>
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: Options) => Effect.Effect<DeadLetterQueue, never, SqlClient> = internal.make

/**
 * The store as a `DeadLetter` layer.
 *
 * @example
 * ```ts
 * import { PgClient } from "@effect/sql-pg"
 * import { Config, Layer } from "effect"
 * import { DeadLetterPostgres } from "effect-resilience"
 *
 * const DeadLetters = DeadLetterPostgres.layer().pipe(
 *   Layer.provide(PgClient.layerConfig({ url: Config.redacted("DATABASE_URL") }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (options?: Options) => Layer.Layer<DeadLetter, never, SqlClient> = internal.layer
