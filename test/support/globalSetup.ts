import type { TestProject } from "vitest/node"
import { startPostgres } from "./PostgresServer.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin URL of the Postgres server shared by the whole run. */
    readonly databaseUrl: string
  }
}

/** Starts one Postgres for the run; vitest calls the returned teardown even when tests fail. */
export default async function setup(project: TestProject) {
  const server = await startPostgres()
  project.provide("databaseUrl", server.url)
  const stop = () => server.stop()
  process.once("SIGINT", () => void stop())
  process.once("SIGTERM", () => void stop())
  return stop
}
