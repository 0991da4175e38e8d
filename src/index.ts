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
 * Fault injection for tests and demos (the HTTP upstream lives at
 * `effect-resilience/Chaos/HttpUpstream`, outside the root, because it needs Node).
 *
 * @since 0.1.0
 */
export * as Chaos from "./Chaos.js"

/**
 * RFC 9457 problem details from any error, never leaking internals in a 5xx.
 *
 * @since 0.1.0
 */
export * as Problem from "./Problem.js"
