/**
 * Captures log lines so tests can assert on them: each line as the logger received it (level,
 * message, annotations, cause) and as `ErrorLog.jsonLogger` writes it (parsed back with
 * `JSON.parse`, so a line that is not one JSON object fails the test).
 */
import { Cause, Effect, HashMap, Logger } from "effect"
import type { Layer } from "effect"
import * as ErrorLog from "../../src/ErrorLog.js"

export interface CapturedLog {
  /** "INFO", "WARN", ... */
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  /** `Cause.pretty` of the logged cause, "" when there is none. */
  readonly cause: string
  /** The line exactly as the JSON logger writes it. */
  readonly raw: string
  /** `raw`, parsed. */
  readonly json: Readonly<Record<string, unknown>>
}

/** A Layer replacing the default logger with one that appends every line to `lines`. */
export const captureLogs = (lines: Array<CapturedLog>): Layer.Layer<never> =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make((options) => {
      const parts = Array.isArray(options.message) ? options.message : [options.message]
      const raw = ErrorLog.jsonLogger.log(options)
      lines.push({
        level: options.logLevel.label,
        message: parts.map(String).join(" "),
        annotations: Object.fromEntries(HashMap.toEntries(options.annotations)),
        cause: options.cause._tag === "Empty" ? "" : Cause.pretty(options.cause),
        raw,
        json: JSON.parse(raw) as Record<string, unknown>
      })
    })
  )

/**
 * Runs `self` with captured logs and returns them along with its result (pipe `Effect.exit`
 * first to keep the logs of a failure).
 */
export const withLogs = <A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<readonly [A, ReadonlyArray<CapturedLog>], E, R> =>
  Effect.suspend(() => {
    const lines: Array<CapturedLog> = []
    return Effect.map(Effect.provide(self, captureLogs(lines)), (a) => [a, lines] as const)
  })

/** The lines with a given message. */
export const withMessage = (lines: ReadonlyArray<CapturedLog>, message: string): ReadonlyArray<CapturedLog> =>
  lines.filter((line) => line.message === message)
