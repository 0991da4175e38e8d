import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import type { ServeError } from "@effect/platform/HttpServerError"
import { NodeHttpServer, NodeHttpServerRequest } from "@effect/platform-node"
import { Clock, Duration, Effect, Random, Ref } from "effect"
import type { Scope } from "effect"
import * as Http from "node:http"

/** @internal */
export type Behavior =
  | { readonly _tag: "Respond"; readonly status: number; readonly body: unknown; readonly headers: Readonly<Record<string, string>> }
  | { readonly _tag: "Delay"; readonly duration: Duration.Duration; readonly then: Behavior }
  | { readonly _tag: "Hang" }
  | { readonly _tag: "Reset" }
  | { readonly _tag: "Mix"; readonly choices: ReadonlyArray<readonly [weight: number, behavior: Behavior]> }

/** @internal */
export interface RecordedRequest {
  readonly seq: number
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
  readonly receivedAt: number
}

/** @internal */
export type Script = Behavior | ((request: RecordedRequest) => Behavior)

/** @internal */
export interface Outcome {
  readonly seq: number
  readonly kind: "status" | "hang" | "reset"
  readonly status: number | undefined
}

/** @internal */
export interface HttpUpstream {
  readonly url: string
  readonly port: number
  readonly set: (script: Script) => Effect.Effect<void>
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  readonly outcomes: Effect.Effect<ReadonlyArray<Outcome>>
  readonly clear: Effect.Effect<void>
}

/** @internal */
export const respond = (
  status: number,
  body: unknown = null,
  headers: Readonly<Record<string, string>> = {}
): Behavior => ({ _tag: "Respond", status, body, headers })

/** @internal */
export const delay = (duration: Duration.DurationInput, then: Behavior): Behavior => ({
  _tag: "Delay",
  duration: Duration.decode(duration),
  then
})

/** @internal */
export const hang: Behavior = { _tag: "Hang" }

/** @internal */
export const reset: Behavior = { _tag: "Reset" }

/** @internal */
export const mix = (...choices: ReadonlyArray<readonly [weight: number, behavior: Behavior]>): Behavior => {
  if (choices.length === 0 || choices.some(([w]) => !(w >= 0)) || choices.every(([w]) => w === 0)) {
    throw new RangeError("HttpUpstream.mix needs at least one choice and non-negative weights that are not all 0")
  }
  return { _tag: "Mix", choices }
}

const pick = (choices: ReadonlyArray<readonly [number, Behavior]>, roll: number): Behavior => {
  const total = choices.reduce((sum, [w]) => sum + w, 0)
  let at = roll * total
  for (const [w, behavior] of choices) {
    if (at < w) return behavior
    at -= w
  }
  return choices[choices.length - 1]![1]
}

/**
 * Never answers, and ends (interrupted) once the client's socket closes: a handler parked on
 * `Effect.never` would outlive the connection and, with it, the server's scope.
 */
const untilClosed = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<never> =>
  Effect.async<never>((resume) => {
    const socket = NodeHttpServerRequest.toIncomingMessage(request).socket
    if (socket.destroyed) return resume(Effect.interrupt)
    const onClose = () => resume(Effect.interrupt)
    socket.once("close", onClose)
    return Effect.sync(() => void socket.off("close", onClose))
  })

/** @internal */
export const make = (
  initial: Script,
  options: { readonly port?: number } = {}
): Effect.Effect<HttpUpstream, ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const script = yield* Ref.make<Script>(initial)
    // Appended in place: a load test records thousands of requests, and copying the whole log
    // on each one made recording quadratic. Readers get a copy.
    let requests: Array<RecordedRequest> = []
    let outcomes: Array<Outcome> = []
    const seq = yield* Ref.make(0)
    const server = yield* NodeHttpServer.make(() => Http.createServer(), { port: options.port ?? 0, host: "127.0.0.1" })
    const record = (outcome: Outcome) => Effect.sync(() => void outcomes.push(outcome))

    const run = (
      behavior: Behavior,
      request: HttpServerRequest.HttpServerRequest,
      n: number
    ): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
      switch (behavior._tag) {
        case "Respond":
          return Effect.as(
            record({ seq: n, kind: "status", status: behavior.status }),
            behavior.body === null
              ? HttpServerResponse.empty({ status: behavior.status, headers: behavior.headers })
              : HttpServerResponse.unsafeJson(behavior.body, {
                status: behavior.status,
                headers: behavior.headers
              })
          )
        case "Delay":
          return Effect.zipRight(Effect.sleep(behavior.duration), run(behavior.then, request, n))
        case "Hang":
          return Effect.zipRight(record({ seq: n, kind: "hang", status: undefined }), untilClosed(request))
        case "Reset":
          return Effect.zipRight(
            record({ seq: n, kind: "reset", status: undefined }),
            Effect.zipRight(
              Effect.sync(() => NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()),
              Effect.interrupt
            )
          )
        case "Mix":
          return Effect.flatMap(Random.next, (roll) => run(pick(behavior.choices, roll), request, n))
      }
    }

    const app = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const n = yield* Ref.getAndUpdate(seq, (i) => i + 1)
      // effect-resilience-audit-ignore catch-all-to-success: the upstream records what it received; an unreadable body is recorded as empty and the request is still answered by the script
      const body = yield* Effect.orElseSucceed(request.text, () => "")
      const recorded: RecordedRequest = {
        seq: n,
        method: request.method,
        url: request.url,
        headers: request.headers,
        body,
        receivedAt: yield* Clock.currentTimeMillis
      }
      requests.push(recorded)
      const current = yield* Ref.get(script)
      return yield* run(typeof current === "function" ? current(recorded) : current, request, n)
    })

    yield* server.serve(app)
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : 0
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      set: (next) => Ref.set(script, next),
      requests: Effect.sync(() => requests.slice()),
      outcomes: Effect.sync(() => outcomes.slice()),
      clear: Effect.sync(() => {
        requests = []
        outcomes = []
      })
    }
  })
