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
 * The anti-pattern audit for TypeScript and Effect code (`effect-resilience audit`).
 *
 * @since 0.1.0
 */
export * as Audit from "./Audit.js"
