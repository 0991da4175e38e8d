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
