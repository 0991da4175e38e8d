/** @internal */
export interface RuleInfo {
  readonly name: RuleName
  readonly summary: string
  readonly why: string
  readonly fix: string
}

/** @internal */
export const ruleNames = [
  "swallowed-error",
  "error-as-null",
  "catch-all-to-success",
  "missing-timeout",
  "unbounded-retry",
  "retry-without-jitter",
  "hand-rolled-retry",
  "retry-everything",
  "non-idempotent-retry",
  "uncategorized-error",
  "error-details-in-response",
  "unstructured-error-log",
  "invalid-suppression"
] as const

/** @internal */
export type RuleName = typeof ruleNames[number]

/**
 * The table of the seed's anti-patterns, translated to TypeScript and Effect. `summary` is what
 * the rule finds, `why` why it hurts, `fix` what to write instead.
 *
 * @internal
 */
export const rules: ReadonlyArray<RuleInfo> = [
  {
    name: "swallowed-error",
    summary: "empty or comment-only catch block, a catch that only continues, `.catch(() => {})`",
    why: "swallows every error, including bugs; nothing is logged and nobody learns the call failed",
    fix: "catch the specific error you expect, log it, and rethrow or fail with a tagged error"
  },
  {
    name: "error-as-null",
    summary: "`catch { return null }` / `return undefined`, `.catch(() => null)`",
    why: "hides the failure from callers, who cannot tell \"absent\" from \"broken\"; impossible to debug",
    fix: "fail with a domain error (or Option for real absence) and handle it at the boundary"
  },
  {
    name: "catch-all-to-success",
    summary: "`Effect.catchAll`/`catchAllCause`/`orElse` returning a success, `Effect.orElseSucceed`, outside a boundary",
    why: "turns every failure, including bugs and fatal errors, into a normal value deep inside the program",
    fix: "catch specific tags (`catchTag`), degrade with a logged fallback, or mark the boundary with a `// boundary:` comment"
  },
  {
    name: "missing-timeout",
    summary: "`fetch`, `http(s).request/get`, axios, got, undici or @effect/platform HttpClient request with no timeout or AbortSignal",
    why: "a dead service holds the connection (and the caller) forever",
    fix: "pass `signal: AbortSignal.timeout(ms)` / a `timeout` option, or pipe the request through `Effect.timeout`"
  },
  {
    name: "unbounded-retry",
    summary: "a retry with no `recurs`/`upTo`/`times` bound (`Schedule.forever`, bare `spaced`/`exponential`)",
    why: "loops forever on a persistent failure and keeps hammering a service that is down",
    fix: "bound it: `Schedule.intersect(Schedule.recurs(3..5))`, `Schedule.upTo(...)` or `times`"
  },
  {
    name: "retry-without-jitter",
    summary: "a retry schedule without jitter (fixed, linear, plain exponential, or immediate `times`)",
    why: "all clients retry in lock-step: a thundering herd hits the service the moment it recovers",
    fix: "exponential backoff with jitter: `Schedule.exponential(base).pipe(Schedule.jittered, ...)`"
  },
  {
    name: "hand-rolled-retry",
    summary: "a loop that catches and sleeps a fixed delay before trying again",
    why: "fixed delays synchronise clients (thundering herd) and the loop rarely has a bound, a predicate or a log",
    fix: "use `Effect.retry` with a bounded, jittered exponential Schedule that only retries transient errors"
  },
  {
    name: "retry-everything",
    summary: "`Effect.retry` with no predicate on the error (`while`/`until`, `Schedule.whileInput`)",
    why: "retries 4xx, validation and bugs that will never succeed, wasting time and quota",
    fix: "retry only transient errors: `{ while: Errors.isTransient }` or `Schedule.whileInput(Errors.isTransient)`"
  },
  {
    name: "non-idempotent-retry",
    summary: "a POST/PATCH request retried without an idempotency key",
    why: "a retry after a lost response repeats the side effect (double charge, duplicate order)",
    fix: "send an `Idempotency-Key` header the server deduplicates on, or do not retry"
  },
  {
    name: "uncategorized-error",
    summary: "`throw new Error(\"...\")`, `Effect.fail(new Error(...))`, `Effect.die(\"...\")`, `catch: () => new Error(...)`",
    why: "an uncategorised error cannot be handled specifically: no category, no code, no status",
    fix: "declare a tagged error in its category (`Errors.Transient/Permanent/Partial/Fatal`) and fail with it"
  },
  {
    name: "error-details-in-response",
    summary: "`err.stack`, `String(err)`, `err.message` or `Cause.pretty` sent in a response body",
    why: "leaks internals (file paths, SQL, versions) to clients and attackers",
    fix: "log the details with the request id; return a generic problem-details body"
  },
  {
    name: "unstructured-error-log",
    summary: "an error-level log (`console.error`, `logger.error`, `Effect.logError`) whose message is a template or `+` string, or any log that interpolates a caught error",
    why: "the error's fields are flattened into text that cannot be searched, grouped or alerted on",
    fix: "log a constant message with the error and context as structured fields / annotations"
  },
  {
    name: "invalid-suppression",
    summary: "a suppression comment without a reason or naming an unknown rule",
    why: "a suppression that does not say why is indistinguishable from hiding a bug",
    fix: "write `// effect-resilience-audit-ignore rule-name: why this is safe`"
  }
]

/** @internal */
export const ruleByName: ReadonlyMap<string, RuleInfo> = new Map(rules.map((r) => [r.name, r]))
