/**
 * The short examples are executed, not just type-checked: each must exit 0 and print the
 * lines that show its pattern working.
 */
import { execFile } from "node:child_process"
import * as Path from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import { inject } from "vitest"

const run = promisify(execFile)
const root = Path.resolve(import.meta.dirname, "..")
const tsx = Path.join(root, "node_modules", ".bin", "tsx")

/** Example file -> lines its output must contain. */
const examples: Record<string, ReadonlyArray<string | RegExp>> = {
  "examples/errors.ts": [
    /SERVICE_UNAVAILABLE\s+Transient\s+HTTP 503/,
    /NOT_FOUND\s+Permanent\s+HTTP 404/,
    /INTERNAL_ERROR\s+\(unknown\)\s+HTTP 500\s+unexpected/,
    "402: payment declined: card expired",
    "fatal error ends the program: yes"
  ],
  "examples/structured-logging.ts": [
    /"level":"WARN","message":"expected_error","error_code":"NOT_FOUND".*"request_id":"req-1","user_id":"user-7"/,
    /"level":"ERROR","message":"unexpected_error".*"error_type":"SyntaxError".*"operation":"parse_preferences","request_id":"req-1".*"stack_trace":/,
    /"level":"FATAL","message":"critical_error","error_code":"MISSING_CONFIG"/,
    "ALERT paged on-call: MISSING_CONFIG in load_config"
  ],
  "examples/boundary-translation.ts": [
    'POST /withdraw         -> 503 {"error":"DB_LOCK_TIMEOUT","message":"Another database transaction is in progress. Please try again later.","request_id":"req-1"}',
    "POST /withdraw (again) -> 200",
    '-> 504 {"error":"DB_STATEMENT_TIMEOUT","message":"Database query took too long. This might happen if the system is overloaded. Please try again later."',
    '-> 404 {"error":"NOT_FOUND","message":"user 42 not found"',
    '-> 503 {"error":"DB_CONNECTION_FAILURE","message":"The database is temporarily unavailable. Please try again later."',
    '-> 500 {"error":"INTERNAL_ERROR","message":"An internal error occurred","request_id":"req-6"}',
    "metric unknown=1"
  ],
  "examples/signup.ts": [
    /level=WARN .*message="graceful degradation activated".*error_code=SERVICE_UNAVAILABLE.*service=analytics/,
    /level=WARN .*fallback=true .*error_code=CONNECT_FAILED.*service=email/,
    /degradation=timeout .*error_code=NETWORK_TIMEOUT.*service=recommendations/,
    /signup succeeded: user=u1 recommendations=\["bestseller-1","bestseller-2"\] \([23]s\)/,
    "signup rejected: CONFLICT (ada@example.com is taken), critical path not degraded",
    /message="feature flag changed".*flag=recommendations_enabled.*updated_by=oncall:alice/,
    "ALERT (page on-call): analytics degraded 2 times within 1m",
    "signup succeeded: user=u2 recommendations=[] (0s)",
    "activations: analytics=2 email=2 recommendations=1"
  ],
  "examples/database.ts": [
    "201 created ada@example.com",
    "409 This record already exists. (constraint users_email_key, columns email)",
    "422 invalid: users_email_check",
    "504 StatementTimeout 57014: Database query took too long.",
    /level=ERROR .*error_tag=StatementTimeout .*sqlstate=57014/,
    /level=WARN .*message="re-running transaction".*error_tag=SerializationFailure/,
    "transaction committed after 2 attempts",
    "40P01 Deadlock Transient HTTP 503 retry: transaction-once"
  ],
  "examples/retry.ts": [
    /inventory\.get: retrying in \d+ms after SERVICE_UNAVAILABLE \(attempt 1 of 4\)/,
    "stock 42 after 3 calls",
    "NOT_FOUND not retried: 1 call",
    "rate limited, waited at least Retry-After: yes",
    "retry storm contained: 20 callers made 23 calls",
    "charged after 3 attempts with one key: yes",
    "hanging call interrupted, connection released",
    /message="call timed out".*error_code=NETWORK_TIMEOUT/,
    /message="call timed out".*error_message="inventory timed out after 50ms"/,
    "bulkhead: 5 served, 5 rejected with BULKHEAD_FULL"
  ],
  "examples/circuitBreaker.ts": [
    "after three 404s the circuit is Closed",
    "state: Closed -> Open (ConsecutiveFailures)",
    /rejected: CIRCUIT_OPEN, queued p-4, retry after \d+ms/,
    "state: HalfOpen -> Open (ProbeFailed)",
    /rejected: CIRCUIT_OPEN, queued p-6, retry after \d+ms/,
    "state: HalfOpen -> Closed (ProbesSucceeded)",
    "charged p-8",
    "final state: Closed"
  ],
  "examples/payment.ts": [
    /message="charge p-1".*result=charged/,
    /message="charge p-1".*distinct_keys=1/,
    /message="charge p-1".*attempts=3/,
    /message="charge bad".*error_code=PAYMENT_REJECTED/,
    /message=circuit_breaker_state_change .*breaker=payments from=Closed to=Open/,
    /message="payments down".*upstream_calls=3/,
    /message="payments down".*breaker=Open/,
    /results="queued: Payment will be processed shortly \| queued: Payment will be processed shortly \| queued: Payment will be processed shortly"/
  ],
  "examples/kill-switch.ts": [
    /signup u1: recommendations=\["picked-for-u1"\] .*\(engine calls so far: 1\)/,
    /message="graceful degradation activated".*degradation=timeout .*error_code=NETWORK_TIMEOUT.*service=recommendations/,
    "signup u3: recommendations=[] after the 300ms timeout (engine calls so far: 3)",
    /message="feature flag changed" enabled=false flag=recommendations_enabled .*updated_by=oncall:alice previous=true/,
    "signup u4: recommendations=[] at once (engine calls so far: 3)",
    "signup u6: recommendations=[] at once (engine calls so far: 3)",
    "while off the engine received 0 calls",
    "skips counted: 3, timeouts degraded: 2",
    /message="feature flag changed" enabled=true flag=recommendations_enabled/,
    /signup u7: recommendations=\["picked-for-u7"\] .*\(engine calls so far: 4\)/
  ],
  "examples/dlq.ts": [
    "shipped: 1, 3 (order 3 after 2 retries)",
    /dead letter \d+: NOT_FOUND\s+attempts=1\s+product plum not found/,
    "stats: orders VALIDATION_ERROR pending=2",
    "replayed 1 dead letter(s)",
    "after replay, shipped: 1, 3, 2"
  ],
  "examples/inventory.ts": [
    'healthy:                     GET /stock/sku-1 -> 200 application/json {"sku":"sku-1","stock":7,"in_stock":true,"source":"live","stale":false}',
    "upstream saw X-Request-ID: req-1",
    /retrying in \d+ms after SERVICE_UNAVAILABLE \(attempt 2 of 3\)" request_id=req-2/,
    '503 twice, then ok:          GET /stock/sku-1 -> 200 application/json {"sku":"sku-1","stock":6,"in_stock":true,"source":"live","stale":false}',
    '{"sku":"sku-0","in_stock":false,"source":"live","stale":false}',
    /GET \/stock\/bad -> 502 application\/problem\+json .*"code":"UPSTREAM_CLIENT_ERROR".*"request_id":"req-4"/,
    /message=circuit_breaker_state_change .*request_id=req-5 .*from=Closed to=Open/,
    'upstream down:               GET /stock/sku-1 -> 200 application/json {"sku":"sku-1","stock":6,"in_stock":true,"source":"cache","stale":true}',
    'down, nothing cached:        GET /stock/sku-2 -> 200 application/json {"sku":"sku-2","in_stock":true,"source":"default","stale":true}',
    'breaker open:                GET /stock/sku-1 -> 200 application/json {"sku":"sku-1","stock":6,"in_stock":true,"source":"cache","stale":true}',
    "upstream calls while the breaker is open: 0"
  ]
}

describe("examples", () => {
  it.each(Object.entries(examples))("%s runs and shows its pattern", async (file, expected) => {
    const { stdout, stderr } = await run(tsx, [file], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, DATABASE_URL: inject("databaseUrl") }
    })
    const output = stdout + stderr
    for (const line of expected) {
      if (typeof line === "string") expect(output).toContain(line)
      else expect(output).toMatch(line)
    }
  })
})
