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
 * Graceful degradation: per-call fallbacks with timeouts, activation logs, metrics and rate
 * alerts; Layer-level fallbacks (on build failure, or per method call).
 *
 * @since 0.1.0
 */
export * as Fallback from "./Fallback.js"

/**
 * Kill switches as a service: in-memory, Config/env, and Postgres-backed (LISTEN/NOTIFY) via
 * the `effect-resilience/FeatureFlags/Postgres` subpath.
 *
 * @since 0.1.0
 */
export * as FeatureFlags from "./FeatureFlags.js"
