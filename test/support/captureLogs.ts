/**
 * Captures log lines (level, message, annotations) so tests can assert on structured fields.
 */
import { Cause, Effect, HashMap, Logger } from "effect"
import type { Layer } from "effect"

export interface CapturedLog {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  readonly cause: string
}

/** A Layer replacing the default logger with one that appends to `lines`. */
export const captureLogs = (lines: Array<CapturedLog>): Layer.Layer<never> =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, cause, logLevel, message }) => {
      const parts = Array.isArray(message) ? message : [message]
      lines.push({
        level: logLevel.label,
        message: parts.map(String).join(" "),
        annotations: Object.fromEntries(HashMap.toEntries(annotations)),
        cause: cause._tag === "Empty" ? "" : Cause.pretty(cause)
      })
    })
  )

/** Runs `self` with captured logs and returns them along with its result. */
export const withLogs = <A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<readonly [A, ReadonlyArray<CapturedLog>], E, R> =>
  Effect.suspend(() => {
    const lines: Array<CapturedLog> = []
    return Effect.map(Effect.provide(self, captureLogs(lines)), (a) => [a, lines] as const)
  })

