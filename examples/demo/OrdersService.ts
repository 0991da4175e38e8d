/**
 * The orders service of the demo, written with the library: `POST /orders` checks live stock
 * through ResilientHttp (timeout, retry with budget and Retry-After, circuit breaker, stale cache,
 * optimistic default, a kill switch), writes the order and its event in one transaction, and
 * answers every failure with problem details through HttpBoundary. A duplicate order is a typed
 * `UniqueViolation` from PgError, hence a 409 that never echoes the key.
 *
 * The events are consumed by {@link shipping}: a Consumer on the Postgres queue whose poison
 * messages land in the dead-letter queue.
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Effect, Random, Schema } from "effect"
import * as Errors from "../../src/Errors.js"
import * as FeatureFlags from "../../src/FeatureFlags.js"
import * as HttpBoundary from "../../src/HttpBoundary.js"
import * as PgError from "../../src/PgError.js"
import * as PgQueue from "../../src/PgQueue.js"
import type * as ResilientHttp from "../../src/ResilientHttp.js"

export const OrderRequest = Schema.Struct({
  orderId: Schema.Int.pipe(Schema.positive()),
  sku: Schema.String.pipe(Schema.pattern(/^[a-z0-9-]{1,32}$/)),
  qty: Schema.Int.pipe(Schema.between(1, 100))
})
export type OrderRequest = typeof OrderRequest.Type

/** What the consumer expects on the queue (the current producer's format). */
export const OrderEvent = OrderRequest

const Stock = Schema.Struct({ sku: Schema.String, stock: Schema.Number })

/** Where the stock figure of an accepted order came from. */
export type StockSource = "live" | "cache" | "default" | "switched-off"

export const eventsQueue = "order-events"

/** The kill switch an operator flips when the inventory service is known to be down. */
export const liveInventoryFlag = "inventory_live"

export const migrate = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.zipRight(
    sql`CREATE TABLE IF NOT EXISTS orders (
      order_id bigint PRIMARY KEY,
      sku text NOT NULL,
      qty int NOT NULL,
      stock_source text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`,
    sql`CREATE TABLE IF NOT EXISTS shipments (
      order_id bigint PRIMARY KEY,
      sku text NOT NULL,
      shipped_at timestamptz NOT NULL DEFAULT now())`
  ))

/**
 * The seed's get_stock_level: live stock when the upstream answers, the last good answer when it
 * does not, an optimistic default when nothing is cached, and no call at all while the kill
 * switch is off. Permanent upstream errors (a 4xx, a body that fails its schema) propagate.
 */
const stockSource = (inventory: ResilientHttp.ResilientHttp, sku: string) =>
  inventory.getCached(`/stock/${encodeURIComponent(sku)}`, Stock).pipe(
    Effect.map((r): StockSource => r.source === "live" ? "live" : "cache"),
    Effect.catchIf(Errors.isTransient, () => Effect.succeed<StockSource>("default")),
    FeatureFlags.guard({ flag: liveInventoryFlag, fallback: "switched-off" as const })
  )

const placeOrder = (inventory: ResilientHttp.ResilientHttp, order: OrderRequest) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const stock = yield* stockSource(inventory, order.sku)
    // The event is written with the order (an outbox): no order without its event, no event
    // for an order that was rolled back.
    yield* sql.withTransaction(Effect.zipRight(
      sql`INSERT INTO orders (order_id, sku, qty, stock_source)
          VALUES (${order.orderId}, ${order.sku}, ${order.qty}, ${stock})`,
      PgQueue.enqueue(eventsQueue, order)
    )).pipe(PgError.mapErrors)
    return { orderId: order.orderId, stock }
  })

/** The HTTP API: every failure leaves as problem+json, one log line each. */
export const router = (inventory: ResilientHttp.ResilientHttp) =>
  HttpRouter.empty.pipe(
    HttpRouter.post(
      "/orders",
      Effect.flatMap(HttpServerRequest.schemaBodyJson(OrderRequest), (order) =>
        Effect.flatMap(placeOrder(inventory, order), (placed) => HttpServerResponse.json(placed, { status: 201 })))
    ),
    HttpRouter.get("/health", HttpServerResponse.text("ok")),
    HttpBoundary.middleware()
  )

/** The SKU a buggy producer keeps sending: the handler crashes on it until the fix ships. */
export const crashingSku = "crash-me"

/** What the shipping consumer knows and how it breaks; mutated by the scenario's "fix". */
export interface Warehouse {
  readonly catalogue: Set<string>
  bugFixed: boolean
  /** Chance that the warehouse API answers 503 the first time it sees an order. */
  readonly flakiness: number
  /** Orders the warehouse has already failed once (it never fails the same order twice). */
  readonly failedOnce: Set<number>
}

/**
 * The shipping handler: an unknown SKU is permanent (dead-lettered at once), a flaky warehouse
 * is transient (retried by the consumer), a crash is a defect (dead-lettered as unexpected).
 */
export const shipping = (warehouse: Warehouse) => (event: OrderRequest) =>
  Effect.gen(function*() {
    if (!warehouse.catalogue.has(event.sku)) {
      return yield* Effect.fail(new Errors.NotFound({ resource: "sku", id: event.sku }))
    }
    if (event.sku === crashingSku && !warehouse.bugFixed) {
      return yield* Effect.die(new TypeError("Cannot read properties of undefined (reading 'bin')"))
    }
    if (!warehouse.failedOnce.has(event.orderId) && (yield* Random.next) < warehouse.flakiness) {
      warehouse.failedOnce.add(event.orderId)
      return yield* Effect.fail(new Errors.ServiceUnavailable({ service: "warehouse" }))
    }
    const sql = yield* SqlClient.SqlClient
    yield* sql`INSERT INTO shipments (order_id, sku) VALUES (${event.orderId}, ${event.sku})
        ON CONFLICT DO NOTHING`.pipe(PgError.mapErrors)
  })
