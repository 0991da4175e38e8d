/**
 * Runs an effect with its log lines captured as the JSON logger writes them, each line
 * parsed back with `JSON.parse` (so a line that is not one JSON object fails the test).
 */
import { Effect, Exit, Logger } from "effect"
import * as ErrorLog from "../../src/ErrorLog.js"

export type Line = Record<string, unknown>

export const captureJson = <A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly lines: ReadonlyArray<Line>; readonly raw: ReadonlyArray<string> }, never, R> =>
  Effect.suspend(() => {
    const raw: Array<string> = []
    const lines: Array<Line> = []
    const logger = Logger.map(ErrorLog.jsonLogger, (line) => {
      raw.push(line)
      lines.push(JSON.parse(line) as Line)
    })
    return self.pipe(
      Effect.exit,
      Effect.provide(Logger.add(logger)),
      Effect.map((exit) => ({ exit, lines, raw }))
    )
  })

/** The lines with a given log message. */
export const withMessage = (lines: ReadonlyArray<Line>, message: string): ReadonlyArray<Line> =>
  lines.filter((line) => line["message"] === message)
