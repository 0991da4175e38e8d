/**
 * The same orders service written the usual way, without the library: node:http, `pg` and
 * `fetch`. No timeout, no retry, no breaker, no fallback, and a catch-all that answers 500 with
 * the error's message. It is the contrast the demo measures, not code to copy: the project's
 * audit skips it (`.effect-resilience-audit.json`), and a test checks that the audit flags it.
 */
import * as Http from "node:http"
import pg from "pg"

export interface NaiveService {
  readonly url: string
  readonly close: () => Promise<void>
}

const readBody = (request: Http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

export const start = async (databaseUrl: string, inventoryUrl: string): Promise<NaiveService> => {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 })
  await pool.query(`CREATE TABLE IF NOT EXISTS naive_orders (
    order_id bigint PRIMARY KEY, sku text NOT NULL, qty int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`)

  const server = Http.createServer(async (request, response) => {
    try {
      if (request.method !== "POST" || request.url !== "/orders") {
        response.writeHead(404).end()
        return
      }
      const order = JSON.parse(await readBody(request)) as { orderId: number; sku: string; qty: number }
      const stock = await fetch(`${inventoryUrl}/stock/${order.sku}`, { headers: { "x-client": "naive" } })
      if (!stock.ok) throw new Error(`inventory answered ${stock.status}`)
      await stock.json()
      await pool.query("INSERT INTO naive_orders (order_id, sku, qty) VALUES ($1, $2, $3)", [
        order.orderId,
        order.sku,
        order.qty
      ])
      response.writeHead(201, { "content-type": "application/json" })
        .end(JSON.stringify({ orderId: order.orderId, stock: "live" }))
    } catch (error) {
      // The catch-all most services start with: the client gets whatever the error says.
      response.writeHead(500, { "content-type": "application/json" })
        .end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await pool.end()
    }
  }
}
