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
 * Transient-only retries with jittered exponential backoff, Retry-After, a shared retry budget
 * and an idempotency guard.
 *
 * @since 0.1.0
 */
export * as Retry from "./Retry.js"

/**
 * Timeouts that interrupt the call and fail with `Errors.NetworkTimeout`.
 *
 * @since 0.1.0
 */
export * as Timeout from "./Timeout.js"

/**
 * Bounded concurrency: at most K calls in flight, Q waiting, the rest rejected with `BulkheadFull`.
 *
 * @since 0.1.0
 */
export * as Bulkhead from "./Bulkhead.js"
