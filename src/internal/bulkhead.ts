import { Effect, Metric, MetricLabel, Schema } from "effect"
import { dual } from "effect/Function"
import * as Errors from "../Errors.js"

/** @internal */
export class BulkheadFull extends Errors.Transient<BulkheadFull>()("BulkheadFull", {
  name: Schema.String,
  maxConcurrent: Schema.Number,
  maxQueue: Schema.Number
}, {
  code: "BULKHEAD_FULL",
  status: 503,
  message: (e) => `bulkhead ${e.name} is full (${e.maxConcurrent} in flight, ${e.maxQueue} waiting)`
}) {}

/** @internal */
export interface BulkheadOptions {
  readonly name: string
  readonly maxConcurrent: number
  readonly maxQueue?: number | undefined
}

/** @internal */
export interface Stats {
  readonly inFlight: number
  readonly queued: number
  readonly rejected: number
}

/** @internal */
export const BulkheadTypeId: unique symbol = Symbol.for("effect-resilience/Bulkhead")

/** @internal */
export interface Bulkhead {
  readonly [BulkheadTypeId]: typeof BulkheadTypeId
  readonly name: string
  readonly maxConcurrent: number
  readonly maxQueue: number
  readonly stats: Effect.Effect<Stats>
  run<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | BulkheadFull, R>
}

/** @internal */
export const inFlightGauge = Metric.gauge("effect_resilience_bulkhead_in_flight", {
  description: "Calls running inside a bulkhead"
})

/** @internal */
export const queuedGauge = Metric.gauge("effect_resilience_bulkhead_queued", {
  description: "Calls waiting for a bulkhead slot"
})

/** @internal */
export const rejectedTotal = Metric.counter("effect_resilience_bulkhead_rejected_total", {
  description: "Calls rejected because the bulkhead and its queue were full",
  incremental: true
})

/**
 * A waiter holds its resume callback until a slot is handed over. "granted" means the slot
 * already belongs to it: if it is interrupted at that moment it must pass the slot on. Waiters
 * form a doubly linked list so an interrupted one leaves the queue in O(1) (an array with lazy
 * deletion would grow without bound while slots stay busy and waiters keep giving up).
 */
interface Waiter {
  state: "waiting" | "granted" | "cancelled"
  readonly resume: (effect: Effect.Effect<void>) => void
  prev: Waiter | undefined
  next: Waiter | undefined
}

class BulkheadImpl implements Bulkhead {
  readonly [BulkheadTypeId]: typeof BulkheadTypeId = BulkheadTypeId
  inFlight = 0
  rejected = 0
  waiting = 0
  first: Waiter | undefined = undefined
  last: Waiter | undefined = undefined
  readonly tags: ReadonlyArray<MetricLabel.MetricLabel>
  readonly full: BulkheadFull

  constructor(readonly name: string, readonly maxConcurrent: number, readonly maxQueue: number) {
    // One array for the whole life of the bulkhead: the metric hook cache is keyed by it.
    this.tags = [MetricLabel.make("bulkhead", name)]
    this.full = new BulkheadFull({ name, maxConcurrent, maxQueue })
  }

  get stats(): Effect.Effect<Stats> {
    return Effect.sync(() => ({ inFlight: this.inFlight, queued: this.waiting, rejected: this.rejected }))
  }

  report(): void {
    inFlightGauge.unsafeUpdate(this.inFlight, this.tags)
    queuedGauge.unsafeUpdate(this.waiting, this.tags)
  }

  enqueue(waiter: Waiter): void {
    waiter.prev = this.last
    if (this.last === undefined) this.first = waiter
    else this.last.next = waiter
    this.last = waiter
    this.waiting++
  }

  unlink(waiter: Waiter): void {
    if (waiter.prev === undefined) this.first = waiter.next
    else waiter.prev.next = waiter.next
    if (waiter.next === undefined) this.last = waiter.prev
    else waiter.next.prev = waiter.prev
    waiter.prev = waiter.next = undefined
    this.waiting--
  }

  unsafeRelease(): void {
    const waiter = this.first
    if (waiter === undefined) {
      this.inFlight--
      this.report()
      return
    }
    // Hand the slot straight over: inFlight stays the same and no newcomer can overtake.
    this.unlink(waiter)
    waiter.state = "granted"
    this.report()
    waiter.resume(Effect.void)
  }

  acquire(): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const waiter: Waiter = { state: "waiting", resume, prev: undefined, next: undefined }
      this.enqueue(waiter)
      this.report()
      return Effect.sync(() => {
        if (waiter.state === "waiting") {
          waiter.state = "cancelled"
          this.unlink(waiter)
          this.report()
        } else if (waiter.state === "granted") {
          waiter.state = "cancelled"
          this.unsafeRelease()
        }
      })
    })
  }

  /**
   * Releases in the continuation itself rather than through `Effect.ensuring` (which adds a
   * second mask, an exit value and a finalizer effect: ~1 us a call). Inside the mask the
   * failure handler runs even when the call is interrupted, so the slot always comes back.
   */
  guarded<A, E, R>(
    self: Effect.Effect<A, E, R>,
    restore: <AX, EX, RX>(effect: Effect.Effect<AX, EX, RX>) => Effect.Effect<AX, EX, RX>
  ): Effect.Effect<A, E, R> {
    return Effect.matchCauseEffect(restore(self), {
      onFailure: (cause) => {
        this.unsafeRelease()
        return Effect.failCause(cause)
      },
      onSuccess: (value) => {
        this.unsafeRelease()
        return Effect.succeed(value)
      }
    })
  }

  run<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | BulkheadFull, R> {
    return Effect.uninterruptibleMask((restore): Effect.Effect<A, E | BulkheadFull, R> => {
      if (this.inFlight < this.maxConcurrent) {
        this.inFlight++
        this.report()
        return this.guarded(self, restore)
      }
      if (this.waiting >= this.maxQueue) {
        this.rejected++
        rejectedTotal.unsafeUpdate(1, this.tags)
        return Effect.fail(this.full)
      }
      return Effect.zipRight(restore(this.acquire()), this.guarded(self, restore))
    })
  }
}

/** @internal */
export const unsafeMake = (options: BulkheadOptions): Bulkhead => {
  const maxQueue = options.maxQueue ?? 0
  if (!Number.isInteger(options.maxConcurrent) || options.maxConcurrent < 1) {
    throw new RangeError(`Bulkhead ${options.name}: maxConcurrent must be a positive integer`)
  }
  if (!Number.isInteger(maxQueue) || maxQueue < 0) {
    throw new RangeError(`Bulkhead ${options.name}: maxQueue must be a non-negative integer`)
  }
  return new BulkheadImpl(options.name, options.maxConcurrent, maxQueue)
}

/** @internal */
export const make = (options: BulkheadOptions): Effect.Effect<Bulkhead> => Effect.sync(() => unsafeMake(options))

/** @internal */
export const withBulkhead: {
  (bulkhead: Bulkhead): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | BulkheadFull, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, bulkhead: Bulkhead): Effect.Effect<A, E | BulkheadFull, R>
} = dual(2, <A, E, R>(self: Effect.Effect<A, E, R>, bulkhead: Bulkhead) => bulkhead.run(self))
