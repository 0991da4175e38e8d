import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Cause, Duration, Effect, Equal, Exit, FastCheck, Option, Schema } from "effect"
import * as Errors from "../src/Errors.js"

/** Every concrete error of the seed, with one sample and what the taxonomy must say of it. */
const cases = [
  {
    schema: Errors.NetworkTimeout,
    sample: new Errors.NetworkTimeout({ service: "payments", timeout: Duration.seconds(5) }),
    category: "Transient",
    code: "NETWORK_TIMEOUT",
    status: 504,
    message: "payments timed out after 5s"
  },
  {
    schema: Errors.ServiceUnavailable,
    sample: new Errors.ServiceUnavailable({ service: "payments" }),
    category: "Transient",
    code: "SERVICE_UNAVAILABLE",
    status: 503,
    message: "payments is unavailable"
  },
  {
    schema: Errors.ConnectFailed,
    sample: new Errors.ConnectFailed({ service: "inventory", reason: "ECONNREFUSED" }),
    category: "Transient",
    code: "CONNECT_FAILED",
    status: 503,
    message: "inventory connection failed: ECONNREFUSED"
  },
  {
    schema: Errors.RateLimited,
    sample: new Errors.RateLimited({ service: "search", retryAfter: Duration.millis(1500) }),
    category: "Transient",
    code: "RATE_LIMITED",
    status: 429,
    message: "search rate limited, retry after 1s 500ms"
  },
  {
    schema: Errors.ValidationFailed,
    sample: new Errors.ValidationFailed({ field: "email", reason: "must contain @" }),
    category: "Permanent",
    code: "VALIDATION_ERROR",
    status: 422,
    message: "Validation failed on email: must contain @"
  },
  {
    schema: Errors.NotFound,
    sample: new Errors.NotFound({ resource: "user", id: "42" }),
    category: "Permanent",
    code: "NOT_FOUND",
    status: 404,
    message: "user 42 not found"
  },
  {
    schema: Errors.AuthenticationFailed,
    sample: new Errors.AuthenticationFailed(),
    category: "Permanent",
    code: "AUTH_FAILED",
    status: 401,
    message: "Authentication failed"
  },
  {
    schema: Errors.Conflict,
    sample: new Errors.Conflict({ resource: "order" }),
    category: "Permanent",
    code: "CONFLICT",
    status: 409,
    message: "order already exists"
  },
  {
    schema: Errors.CacheMiss,
    sample: new Errors.CacheMiss({ key: "stock:1" }),
    category: "Partial",
    code: "CACHE_MISS",
    status: 503,
    message: "Cache miss for stock:1"
  },
  {
    schema: Errors.NonCriticalServiceFailed,
    sample: new Errors.NonCriticalServiceFailed({ service: "analytics", reason: "timeout" }),
    category: "Partial",
    code: "NON_CRITICAL_FAILURE",
    status: 503,
    message: "Non-critical service analytics failed: timeout"
  },
  {
    schema: Errors.MissingConfig,
    sample: new Errors.MissingConfig({ key: "DATABASE_URL" }),
    category: "Fatal",
    code: "MISSING_CONFIG",
    status: 500,
    message: "Required config missing: DATABASE_URL"
  },
  {
    schema: Errors.CorruptState,
    sample: new Errors.CorruptState({ detail: "ledger" }),
    category: "Fatal",
    code: "CORRUPT_STATE",
    status: 500,
    message: "Corrupt state detected: ledger"
  }
] as const

const predicates = {
  Transient: Errors.isTransient,
  Permanent: Errors.isPermanent,
  Partial: Errors.isPartial,
  Fatal: Errors.isFatal
} as const

const severityOfCategory = { Transient: "expected", Permanent: "expected", Partial: "expected", Fatal: "critical" }

describe("Errors", () => {
  describe.each(cases)("$code", (c) => {
    it("has its category, code, status, severity and message", () => {
      expect(Errors.categoryOf(c.sample)).toBe(c.category)
      expect(c.sample.category).toBe(c.category)
      expect(c.sample.code).toBe(c.code)
      expect(Errors.codeOf(c.sample)).toBe(c.code)
      expect(Errors.statusOf(c.sample)).toBe(c.status)
      expect(Errors.severityOf(c.sample)).toBe(severityOfCategory[c.category])
      expect(c.sample.message).toBe(c.message)
      expect(c.sample).toBeInstanceOf(Error)
      expect(c.sample._tag).toBe(c.schema._tag)
    })

    it("answers exactly one category predicate", () => {
      const answers = Object.entries(predicates).filter(([, is]) => is(c.sample)).map(([name]) => name)
      expect(answers).toEqual([c.category])
    })

    it("round-trips through JSON with its own Schema and with the ServiceError union", () => {
      const schema = c.schema as unknown as Schema.Schema<Errors.Categorized, unknown>
      const arbitrary = Arbitrary.make(schema)
      FastCheck.assert(
        FastCheck.property(arbitrary, (error) => {
          const json = JSON.parse(JSON.stringify(Schema.encodeSync(schema)(error)))
          const back = Schema.decodeUnknownSync(schema)(json)
          const viaUnion = Schema.decodeUnknownSync(Errors.ServiceError)(json)
          return Equal.equals(back, error) && Equal.equals(viaUnion, error) && back.code === c.code &&
            viaUnion.category === c.category && back instanceof (c.schema as unknown as Function)
        }),
        { numRuns: 50 }
      )
    })

    it.effect("is yieldable and matchable by tag", () =>
      Effect.gen(function*() {
        const tag = yield* Effect.fail(c.sample).pipe(Effect.catchTag(c.sample._tag as never, (e: any) => Effect.succeed(e._tag)))
        expect(tag).toBe(c.sample._tag)
      }))
  })

  it("rejects an encoded error whose fields are wrong", () => {
    const result = Schema.decodeUnknownEither(Errors.NotFound)({ _tag: "NotFound", resource: "user" })
    expect(result._tag).toBe("Left")
  })

  it("treats foreign errors and defects as outside the taxonomy", () => {
    for (const foreign of [new Error("boom"), new TypeError("x"), "thrown string", null, undefined, { category: "Transient" }]) {
      expect(Errors.isCategorized(foreign)).toBe(false)
      expect(Errors.categoryOf(foreign)).toBeUndefined()
      expect(Errors.codeOf(foreign)).toBe("INTERNAL_ERROR")
      expect(Errors.statusOf(foreign)).toBe(500)
      expect(Errors.severityOf(foreign)).toBe("unexpected")
      expect(Object.values(predicates).some((is) => is(foreign))).toBe(false)
    }
  })

  describe("user-declared errors", () => {
    class PaymentDeclined extends Errors.Permanent<PaymentDeclined>()("PaymentDeclined", { reason: Schema.String }, { code: "PAYMENT_DECLINED", status: 402, message: (e) => `declined: ${e.reason}` }) {}
    class BrokerBusy extends Errors.Transient<BrokerBusy>()("BrokerBusy", { broker: Schema.String }, { code: "BROKER_BUSY" }) {}
    class Glitch extends Errors.Permanent<Glitch>()("Glitch", {}, { code: "GLITCH", severity: "unexpected", status: 500 }) {}

    it("get category, code, status, severity and a message from one declaration", () => {
      const declined = new PaymentDeclined({ reason: "insufficient funds" })
      expect(declined.category).toBe("Permanent")
      expect(declined.code).toBe("PAYMENT_DECLINED")
      expect(Errors.statusOf(declined)).toBe(402)
      expect(declined.message).toBe("declined: insufficient funds")
      const busy = new BrokerBusy({ broker: "kafka-1" })
      expect(Errors.isTransient(busy)).toBe(true)
      expect(Errors.statusOf(busy)).toBe(503)
      expect(busy.message).toBe("BrokerBusy: broker=kafka-1")
      expect(Errors.severityOf(new Glitch())).toBe("unexpected")
      expect(PaymentDeclined.code).toBe("PAYMENT_DECLINED")
      expect(PaymentDeclined.category).toBe("Permanent")
    })

    it("round-trip through their Schema", () => {
      const declined = new PaymentDeclined({ reason: "x" })
      const back = Schema.decodeUnknownSync(PaymentDeclined)(JSON.parse(JSON.stringify(Schema.encodeSync(PaymentDeclined)(declined))))
      expect(back).toBeInstanceOf(PaymentDeclined)
      expect(Equal.equals(back, declined)).toBe(true)
    })
  })

  describe("classification", () => {
    const notFound = new Errors.NotFound({ resource: "page", id: "x" })

    it("overrides status per code, status per category and severity per category", () => {
      const custom = Errors.mergeClassification(Errors.defaultClassification, {
        statusByCode: { NOT_FOUND: 410 },
        statusByCategory: { Partial: 200 },
        severityByCategory: { Transient: "unexpected" }
      })
      expect(Errors.statusOf(notFound, custom)).toBe(410)
      expect(Errors.statusOf(new Errors.CacheMiss({ key: "k" }), custom)).toBe(200)
      expect(Errors.statusOf(new Errors.ServiceUnavailable({ service: "s" }), custom)).toBe(503)
      expect(Errors.severityOf(new Errors.ServiceUnavailable({ service: "s" }), custom)).toBe("unexpected")
      expect(Errors.statusOf(notFound)).toBe(404)
    })

    it.effect("is a Context.Reference with defaults that can be replaced", () =>
      Effect.gen(function*() {
        const defaults = yield* Errors.ErrorClassification
        expect(Errors.statusOf(notFound, defaults)).toBe(404)
        const overridden = yield* Errors.ErrorClassification.pipe(
          Effect.provideService(
            Errors.ErrorClassification,
            Errors.mergeClassification(defaults, { statusByCode: { NOT_FOUND: 410 } })
          )
        )
        expect(Errors.statusOf(notFound, overridden)).toBe(410)
      }))
  })

  it("reads retryAfter from any error that carries one", () => {
    expect(Errors.retryAfterOf(new Errors.RateLimited({ service: "s", retryAfter: Duration.seconds(2) })))
      .toEqual(Option.some(Duration.seconds(2)))
    expect(Option.isNone(Errors.retryAfterOf(new Errors.RateLimited({ service: "s" })))).toBe(true)
    expect(Option.isNone(Errors.retryAfterOf(new Error("x")))).toBe(true)
  })

  describe("dieOnFatal", () => {
    it.effect("turns a fatal failure into a defect carrying the error", () =>
      Effect.gen(function*() {
        const fatal = new Errors.MissingConfig({ key: "DATABASE_URL" })
        const exit = yield* Effect.fail(fatal).pipe(Errors.dieOnFatal, Effect.exit)
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
        if (Exit.isFailure(exit)) expect(Option.getOrThrow(Cause.dieOption(exit.cause))).toBe(fatal)
      }))

    it.effect("cannot be caught by catchAll afterwards, and lets other failures through", () =>
      Effect.gen(function*() {
        const caught = yield* Effect.fail(new Errors.CorruptState({ detail: "x" })).pipe(
          Errors.dieOnFatal,
          Effect.catchAll(() => Effect.succeed("swallowed")),
          Effect.exit
        )
        expect(Exit.isFailure(caught)).toBe(true)
        const notFound = new Errors.NotFound({ resource: "user", id: "1" })
        const passed = yield* Effect.fail(notFound).pipe(Errors.dieOnFatal, Effect.flip)
        expect(passed).toBe(notFound)
      }))
  })

  describe("types", () => {
    const transientOnly = <E extends Errors.Transient>(effect: Effect.Effect<unknown, E>) => effect

    it("a transient-only API accepts transient errors and rejects every other category", () => {
      transientOnly(Effect.fail(new Errors.ServiceUnavailable({ service: "s" })))
      transientOnly(Effect.fail(new Errors.RateLimited({ service: "s" })) as Effect.Effect<never, Errors.RateLimited | Errors.NetworkTimeout>)
      // @ts-expect-error a permanent error is not transient
      transientOnly(Effect.fail(new Errors.NotFound({ resource: "user", id: "1" })))
      // @ts-expect-error a union with one permanent member is not transient
      transientOnly(Effect.fail(new Errors.NotFound({ resource: "user", id: "1" })) as Effect.Effect<never, Errors.NotFound | Errors.ServiceUnavailable>)
      // @ts-expect-error a fatal error is not transient
      transientOnly(Effect.fail(new Errors.MissingConfig({ key: "K" })))
      // @ts-expect-error a plain Error is outside the taxonomy
      transientOnly(Effect.fail(new Error("x")))
      expect(Errors.isTransient(new Errors.ServiceUnavailable({ service: "s" }))).toBe(true)
    })

    it("dieOnFatal removes fatal errors from the error type", () => {
      const program = (Effect.fail(new Errors.NotFound({ resource: "u", id: "1" })) as Effect.Effect<
        never,
        Errors.NotFound | Errors.MissingConfig
      >).pipe(Errors.dieOnFatal)
      const onlyNotFound: Effect.Effect<never, Errors.NotFound> = program
      // @ts-expect-error MissingConfig is gone from the error channel
      const withFatal: Effect.Effect<never, Errors.MissingConfig> = program
      expect([onlyNotFound, withFatal]).toHaveLength(2)
    })

    it("literal codes and categories are visible to the compiler", () => {
      const code: "NOT_FOUND" = new Errors.NotFound({ resource: "u", id: "1" }).code
      const category: "Fatal" = new Errors.CorruptState({ detail: "x" }).category
      // @ts-expect-error the code is a literal, not any string
      const wrong: "CONFLICT" = new Errors.NotFound({ resource: "u", id: "1" }).code
      expect([code, category, wrong]).toEqual(["NOT_FOUND", "Fatal", "NOT_FOUND"])
    })
  })
})
