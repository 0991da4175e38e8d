/**
 * effect-resilience: typed error taxonomy and resilience patterns for Effect 3.
 *
 * The root re-exports the modules that need only `effect`. Modules that need Node, Postgres
 * or the TypeScript compiler are imported from their subpath, e.g.
 * `effect-resilience/DeadLetter` or `effect-resilience/Chaos/HttpUpstream`.
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
 * Jittered, bounded, transient-only retries with a shared retry budget and an idempotency guard.
 *
 * @since 0.1.0
 */
export * as Retry from "./Retry.js"

/**
 * The circuit breaker: CLOSED / OPEN / HALF_OPEN with typed rejections, metrics and a state stream.
 *
 * @since 0.1.0
 */
export * as CircuitBreaker from "./CircuitBreaker.js"

/**
 * Timeouts that fail with `NetworkTimeout` and interrupt the call.
 *
 * @since 0.1.0
 */
export * as Timeout from "./Timeout.js"

/**
 * Bounded concurrency with a bounded queue and typed rejections.
 *
 * @since 0.1.0
 */
export * as Bulkhead from "./Bulkhead.js"

/**
 * Bulkhead, retry, circuit breaker and per-attempt timeout composed in one documented order.
 *
 * @since 0.1.0
 */
export * as Policy from "./Policy.js"

/**
 * Graceful degradation of non-critical calls, per call or per service Layer.
 *
 * @since 0.1.0
 */
export * as Fallback from "./Fallback.js"

/**
 * Kill switches as a service: in memory, from Config, or Postgres-backed.
 *
 * @since 0.1.0
 */
export * as FeatureFlags from "./FeatureFlags.js"

/**
 * Structured error logs: severity from the category, request context, JSON and pretty loggers.
 *
 * @since 0.1.0
 */
export * as ErrorLog from "./ErrorLog.js"

/**
 * Outermost-boundary translation of frequent unknown errors into codes and safe messages.
 *
 * @since 0.1.0
 */
export * as Translate from "./Translate.js"

/**
 * RFC 9457 problem details from any error, never leaking internals in a 5xx.
 *
 * @since 0.1.0
 */
export * as Problem from "./Problem.js"

/**
 * Typed translation of Postgres SQLSTATE failures into domain errors of the taxonomy.
 *
 * @since 0.1.0
 */
export * as PgError from "./PgError.js"

/**
 * Queue consumer: decode, handle, retry transient failures, dead-letter the rest; never drops a message.
 *
 * @since 0.1.0
 */
export * as Consumer from "./Consumer.js"

/**
 * Fault injection for tests and demos (the HTTP upstream is at `effect-resilience/Chaos/HttpUpstream`).
 *
 * @since 0.1.0
 */
export * as Chaos from "./Chaos.js"
