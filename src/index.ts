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
 * Typed translation of Postgres SQLSTATE failures into the error taxonomy, and transaction retry.
 *
 * @since 0.1.0
 */
export * as PgError from "./PgError.js"
