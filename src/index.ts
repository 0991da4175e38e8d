/**
 * effect-resilience: typed error taxonomy and resilience patterns for Effect 3.
 *
 * @since 0.1.0
 */

/**
 * The error taxonomy: Transient, Permanent, Partial and Fatal errors with codes.
 *
 * @since 0.1.0
 */
export * as Errors from "./Errors.js"

/**
 * Queue consumer: Schema decoding, transient-only retries, dead letters for everything else.
 *
 * @since 0.1.0
 */
export * as Consumer from "./Consumer.js"

/**
 * Postgres work queue: SKIP LOCKED claims, leases, attempt counting, idempotent enqueue.
 *
 * @since 0.1.0
 */
export * as PgQueue from "./PgQueue.js"

/**
 * Dead-letter queue: store, inspection, replay, depth gauge and alerts (memory backend).
 *
 * @since 0.1.0
 */
export * as DeadLetter from "./DeadLetter.js"

/**
 * Postgres backend of the dead-letter queue.
 *
 * @since 0.1.0
 */
export * as DeadLetterPostgres from "./DeadLetter/Postgres.js"
