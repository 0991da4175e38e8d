/**
 * A queue consumer with a dead-letter queue on a real Postgres: good messages are processed,
 * poison messages (malformed JSON, a schema-invalid order, an unknown product) are
 * dead-lettered at once, a flaky dependency is retried, and after the fix the dead letters are
 * replayed and processed.
 *
 * Run: npx tsx examples/dlq.ts   (uses DATABASE_URL if set, else an embedded Postgres)
 */
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Logger, LogLevel, Redacted, Schedule, Schema } from "effect"
import * as Consumer from "../src/Consumer.js"
import * as DeadLetter from "../src/DeadLetter.js"
import * as DeadLetterPostgres from "../src/DeadLetter/Postgres.js"
import * as Errors from "../src/Errors.js"
import * as PgQueue from "../src/PgQueue.js"
import { withScratchDatabase } from "../test/support/PostgresServer.js"

const Order = Schema.Struct({ orderId: Schema.Number, sku: Schema.String })

const catalogue = new Set(["apple", "pear"])
let flakyCalls = 0
const shipped: Array<number> = []

// The handler's failures carry their category: the consumer decides what to do from it.
const ship = (order: typeof Order.Type): Effect.Effect<void, Errors.NotFound | Errors.ServiceUnavailable> => {
  if (order.sku === "plum" && !catalogue.has("plum")) {
    return Effect.fail(new Errors.NotFound({ resource: "product", id: order.sku })) // permanent
  }
  if (order.orderId === 3 && flakyCalls++ < 2) {
    return Effect.fail(new Errors.ServiceUnavailable({ service: "warehouse" })) // transient
  }
  return Effect.sync(() => void shipped.push(order.orderId))
}

const waitFor = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.repeat(check, { until: (done) => done, schedule: Schedule.spaced("20 millis") })

const program = Effect.gen(function*() {
  yield* PgQueue.migrate
  const dlq = yield* DeadLetter.DeadLetter

  yield* PgQueue.enqueueBatch("orders", [
    { orderId: 1, sku: "apple" },
    { orderId: 2, sku: "plum" },
    { orderId: 3, sku: "pear" },
    { orderId: 4 }
  ])
  yield* PgQueue.enqueue("orders", "{\"orderId\": 5, \"sku\": ", { raw: true })

  const consumer = Consumer.run({
    schema: Order,
    handler: ship,
    schedule: Schedule.exponential("20 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(4)))
  }).pipe(Effect.provide(PgQueue.layerSource({ queue: "orders", pollInterval: "20 millis" })))

  const first = yield* Effect.fork(consumer)
  yield* waitFor(Effect.map(PgQueue.depth("orders"), (n) => n === 0))
  console.log(`shipped: ${shipped.join(", ")} (order 3 after ${flakyCalls - 1} retries)`)

  for (const e of yield* dlq.list({ queue: "orders" })) {
    console.log(`dead letter ${e.id}: ${e.errorCode.padEnd(16)} attempts=${e.attempts}  ${e.error.split("\n")[0]}`)
  }
  for (const s of yield* dlq.stats()) console.log(`stats: ${s.queueName} ${s.errorCode} pending=${s.pending}`)

  // The product team adds plums; replay the NOT_FOUND dead letters back onto the queue.
  catalogue.add("plum")
  const report = yield* dlq.replay({ queue: "orders", code: "NOT_FOUND" })
  console.log(`replayed ${report.replayed.length} dead letter(s)`)
  yield* waitFor(Effect.map(PgQueue.depth("orders"), (n) => n === 0))
  yield* waitFor(Effect.sync(() => shipped.includes(2)))
  console.log(`after replay, shipped: ${shipped.join(", ")}`)
  const pending = (yield* dlq.stats()).reduce((n, s) => n + s.pending, 0)
  console.log(`still pending in the dead-letter queue: ${pending} (bad input needs a fixed producer, not a replay)`)
  yield* first.interruptAsFork(first.id())
})

withScratchDatabase("example_dlq", async (url) => {
  const Database = DeadLetterPostgres.layer().pipe(
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(url), connectTimeout: Duration.seconds(10) }))
  )
  await Effect.runPromise(
    program.pipe(Effect.provide(Database), Logger.withMinimumLogLevel(LogLevel.Error))
  )
})
