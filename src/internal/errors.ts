import type { Cause } from "effect"
import { Context, Duration, Effect, Option, Predicate, Schema } from "effect"

/** @internal */
export const TypeId: unique symbol = Symbol.for("effect-resilience/Errors")

/** @internal */
export type TypeId = typeof TypeId

/** @internal */
export const Millis: Schema.Schema<Duration.Duration, number> = Schema.transform(
  Schema.NonNegative,
  Schema.DurationFromSelf,
  {
    strict: true,
    decode: (millis) => Duration.millis(Math.round(millis)),
    encode: (duration) => Math.round(Duration.toMillis(duration))
  }
).annotations({
  identifier: "Millis",
  arbitrary: () => (fc) => fc.integer({ min: 0, max: 1_000_000_000 }).map(Duration.millis)
})

/** @internal */
export type Category = "Transient" | "Permanent" | "Partial" | "Fatal"

/** @internal */
export type Severity = "expected" | "unexpected" | "critical"

/** @internal */
export interface Meta {
  readonly category: Category
  readonly code: string
  readonly status: number | undefined
  readonly severity: Severity | undefined
}

/** @internal */
export interface Categorized<C extends Category = Category, Code extends string = string> {
  readonly [TypeId]: Meta
  readonly _tag: string
  readonly category: C
  readonly code: Code
  readonly message: string
}

/** @internal */
export interface DeclareOptions<Fields extends Schema.Struct.Fields, Code extends string> {
  readonly code: Code
  readonly message?: ((error: Schema.Struct.Type<Fields>) => string) | undefined
  readonly status?: number | undefined
  readonly severity?: Severity | undefined
}

/** @internal */
export interface CategorizedErrorClass<
  Self,
  Tag extends string,
  Fields extends Schema.Struct.Fields,
  C extends Category,
  Code extends string
> extends
  Schema.Class<
    Self,
    Fields,
    Schema.Struct.Encoded<Fields>,
    Schema.Struct.Context<Fields>,
    Schema.Struct.Constructor<Omit<Fields, "_tag">>,
    {},
    Cause.YieldableError & Categorized<C, Code>
  >
{
  readonly _tag: Tag
  readonly category: C
  readonly code: Code
}

/** @internal */
export type Declare<C extends Category> = <Self = never>(identifier?: string) => <
  Tag extends string,
  Fields extends Schema.Struct.Fields,
  const Code extends string
>(
  tag: Tag,
  fields: Fields,
  options: DeclareOptions<Fields, Code>
) => [Self] extends [never] ? "Missing `Self` generic - use `class Self extends Transient<Self>()(...)`"
  : CategorizedErrorClass<Self, Tag, { readonly _tag: Schema.tag<Tag> } & Fields, C, Code>

const defaultMessage = (tag: string, fields: Schema.Struct.Fields, self: Record<string, unknown>): string => {
  const keys = Object.keys(fields)
  if (keys.length === 0) return tag
  return `${tag}: ${keys.map((k) => `${k}=${formatValue(self[k])}`).join(", ")}`
}

const formatValue = (value: unknown): string =>
  Duration.isDuration(value) ? Duration.format(value) : typeof value === "string" ? value : String(value)

/** @internal */
export const declare = <C extends Category>(category: C): Declare<C> => (identifier?: string) =>
(
  tag: string,
  fields: Schema.Struct.Fields,
  options: DeclareOptions<any, string>
) => {
  const meta: Meta = {
    category,
    code: options.code,
    status: options.status,
    severity: options.severity
  }
  const Base: new(...args: Array<any>) => object = Schema.TaggedError<any>(identifier)(tag, fields) as any
  class CategorizedError extends Base {
    static readonly category = category
    static readonly code = options.code
    get [TypeId](): Meta {
      return meta
    }
    get category(): C {
      return category
    }
    get code(): string {
      return options.code
    }
    get message(): string {
      return options.message !== undefined
        ? options.message(this as any)
        : defaultMessage(tag, fields, this as any)
    }
  }
  return CategorizedError as any
}

/** @internal */
export const isCategorized = (u: unknown): u is Categorized =>
  Predicate.hasProperty(u, TypeId) && Predicate.isObject((u as any)[TypeId])

/** @internal */
export const metaOf = (u: unknown): Meta | undefined => isCategorized(u) ? u[TypeId] : undefined

/** @internal */
export const categoryOf = (u: unknown): Category | undefined => metaOf(u)?.category

/** @internal */
export const isCategory = <C extends Category>(category: C) => (u: unknown): u is Categorized<C> =>
  metaOf(u)?.category === category

/** @internal */
export const codeOf = (u: unknown): string => metaOf(u)?.code ?? "INTERNAL_ERROR"

// --- classification ---------------------------------------------------------

/** @internal */
export interface Classification {
  readonly statusByCode: Readonly<Record<string, number>>
  readonly statusByCategory: Readonly<Record<Category, number>>
  readonly severityByCode: Readonly<Record<string, Severity>>
  readonly severityByCategory: Readonly<Record<Category, Severity>>
  readonly unknownStatus: number
  readonly unknownSeverity: Severity
}

/** @internal */
export const defaultClassification: Classification = {
  statusByCode: {},
  statusByCategory: { Transient: 503, Permanent: 400, Partial: 503, Fatal: 500 },
  severityByCode: {},
  severityByCategory: { Transient: "expected", Permanent: "expected", Partial: "expected", Fatal: "critical" },
  unknownStatus: 500,
  unknownSeverity: "unexpected"
}

/** @internal */
export class ErrorClassification extends Context.Reference<ErrorClassification>()(
  "effect-resilience/Errors/ErrorClassification",
  { defaultValue: () => defaultClassification }
) {}

/** @internal */
export const statusOf = (u: unknown, classification: Classification = defaultClassification): number => {
  const meta = metaOf(u)
  if (meta === undefined) return classification.unknownStatus
  return classification.statusByCode[meta.code] ?? meta.status ?? classification.statusByCategory[meta.category]
}

/** @internal */
export const severityOf = (u: unknown, classification: Classification = defaultClassification): Severity => {
  const meta = metaOf(u)
  if (meta === undefined) return classification.unknownSeverity
  return classification.severityByCode[meta.code] ?? meta.severity ?? classification.severityByCategory[meta.category]
}

/** @internal */
export const mergeClassification = (
  base: Classification,
  overrides: {
    readonly [K in keyof Classification]?: Classification[K] extends Readonly<Record<infer Key extends string, infer V>>
      ? Readonly<Partial<Record<Key, V>>>
      : Classification[K]
  }
): Classification => ({
  statusByCode: { ...base.statusByCode, ...overrides.statusByCode },
  statusByCategory: { ...base.statusByCategory, ...overrides.statusByCategory },
  severityByCode: { ...base.severityByCode, ...overrides.severityByCode },
  severityByCategory: { ...base.severityByCategory, ...overrides.severityByCategory },
  unknownStatus: overrides.unknownStatus ?? base.unknownStatus,
  unknownSeverity: overrides.unknownSeverity ?? base.unknownSeverity
} as Classification)

/** @internal */
export const retryAfterOf = (u: unknown): Option.Option<Duration.Duration> => {
  if (!Predicate.hasProperty(u, "retryAfter")) return Option.none()
  const value = (u as { retryAfter: unknown }).retryAfter
  return Duration.isDuration(value) ? Option.some(value) : Option.none()
}

/** @internal */
export const dieOnFatal = <A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, Categorized<"Fatal">>, R> =>
  Effect.catchIf(
    self,
    isCategory("Fatal"),
    (fatal) =>
      Effect.logFatal("fatal error: crashing on purpose").pipe(
        Effect.annotateLogs({ error_code: fatal.code, error_type: fatal._tag, error_message: fatal.message }),
        Effect.zipRight(Effect.die(fatal))
      )
  ) as any
