import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    // One embedded Postgres serves the whole run; each file gets its own database.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    sequence: { hooks: "stack" }
  }
})
