/**
 * The schemas of a feature repository: entities, sources (the event schema
 * and its routing), feature views (filters and windowed aggregates as data)
 * and request-time features. `pipeline/definitions` loads a repository,
 * checks the references between these definitions and compiles them; these
 * schemas only check each definition's own shape.
 *
 * @example
 * ```ts
 * const view = FeatureViewDefinitionSchema.parse({
 *   name: "device_readings", version: 1, entity: "device", source: "sensor_readings",
 *   features: [{ name: "readings_count_1h", aggregate: "count", window: "1h", tile: "1m" }],
 * });
 * view.features[0].windowMs; // 3600000
 * ```
 *
 * @module
 */
import { z } from "zod";
import { TransformSpecSchema } from "./transform.ts";

/** A definition name: letters, digits and `_`, starting with a letter. */
export const NameSchema = z.string().regex(
  /^[A-Za-z][A-Za-z0-9_]{0,62}$/,
  "Must start with a letter and hold only letters, digits and _ (at most 63)",
);

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `"90s"`, `"5m"`, `"1h"`, `"7d"` or a number of milliseconds; `null` when invalid. */
export function durationMs(value: string | number): number | null {
  if (typeof value === "number") return Number.isInteger(value) && value > 0 ? value : null;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}

/** A duration: milliseconds, or text like `"5m"`, `"1h"`, `"7d"`; parsed to ms. */
export const DurationSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = durationMs(v);
  if (ms === null) {
    ctx.addIssue({
      code: "custom",
      message: `Expected a positive duration like "5m", "1h", "7d" or ms, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return ms;
});

const common = { optional: z.boolean().default(false), nullable: z.boolean().default(false) };

/** The declared type of one event field. */
export const FieldSpecSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("string"),
    minLength: z.number().int().nonnegative().optional(),
    maxLength: z.number().int().positive().optional(),
    enum: z.array(z.string()).min(1).optional(),
    ...common,
  }),
  z.strictObject({
    type: z.literal("number"),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    integer: z.boolean().default(false),
    ...common,
  }),
  z.strictObject({ type: z.literal("boolean"), ...common }),
  /** An ISO 8601 instant; without an offset it is UTC. */
  z.strictObject({ type: z.literal("timestamp"), ...common }),
  /** Any JSON object, kept as sent (e.g. a location). */
  z.strictObject({ type: z.literal("object"), ...common }),
]);
/** The declared type of one event field. */
export type FieldSpec = z.infer<typeof FieldSpecSchema>;
/** A field spec as written (defaults not applied). */
export type FieldSpecInput = z.input<typeof FieldSpecSchema>;

/** Which stream or route carries a source's events. */
export const RoutingSchema = z.strictObject({
  kafkaTopic: z.string().min(1).max(249).optional(),
  kinesisStream: z.string().min(1).max(128).optional(),
  /** The topic producers publish to (replay, the topic-creating task). */
  pubsubTopic: z.string().min(1).max(255).optional(),
  /** The subscription workers pull from. */
  pubsubSubscription: z.string().min(1).max(255).optional(),
  /** The `{source}` of `POST /ingest/{source}`; default the source's name. */
  httpPath: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});

/** A source: the schema of its events, their id and time fields, and their routing. */
export const SourceDefinitionSchema = z.strictObject({
  name: NameSchema,
  description: z.string().optional(),
  /** Field holding the event id (first accepted one wins). */
  eventId: z.string().min(1),
  /** Field holding the event time (a `timestamp` field). */
  timestamp: z.string().min(1),
  /** How far ahead of the processing clock a timestamp may be. Default 5 minutes. */
  maxFuture: DurationSchema.optional(),
  fields: z.record(z.string().min(1), FieldSpecSchema).refine((f) => Object.keys(f).length > 0, {
    message: "A source needs at least one field",
  }),
  /** Groups of fields of which at least one must be present and non-null. */
  atLeastOneOf: z.array(z.array(z.string().min(1)).min(1)).default([]),
  /** Fields not declared: kept as sent (`keep`, default) or a dead letter (`reject`). */
  extraFields: z.enum(["keep", "reject"]).default("keep"),
  routing: RoutingSchema.default({}),
});
/** A source definition (defaults applied, durations in ms). */
export type SourceDefinition = z.infer<typeof SourceDefinitionSchema>;
/** A source definition as written. */
export type SourceDefinitionInput = z.input<typeof SourceDefinitionSchema>;

/** An entity: a name and the event field(s) that identify one. */
export const EntityDefinitionSchema = z.strictObject({
  name: NameSchema,
  description: z.string().optional(),
  /** Key fields; several make a composite key (their values joined as `a:b`, URL-encoded). */
  keys: z.array(z.string().min(1)).min(1).max(4),
});
/** An entity definition. */
export type EntityDefinition = z.infer<typeof EntityDefinitionSchema>;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A condition on event fields, declared as data. */
export type Filter =
  | { field: string; op: "==" | "!=" | "<" | "<=" | ">" | ">="; value: string | number | boolean }
  | { field: string; op: "in" | "not_in"; value: (string | number | boolean)[] }
  | { field: string; op: "is_null" | "not_null" }
  | { all: Filter[] }
  | { any: Filter[] }
  | { not: Filter };

/** A filter: `{field, op, value}`, or `all`/`any`/`not` of filters. */
export const FilterSchema: z.ZodType<Filter> = z.lazy(() =>
  z.union([
    z.strictObject({
      field: z.string().min(1),
      op: z.enum(["==", "!=", "<", "<=", ">", ">="]),
      value: z.union([z.string(), z.number().finite(), z.boolean()]),
    }),
    z.strictObject({
      field: z.string().min(1),
      op: z.enum(["in", "not_in"]),
      value: z.array(z.union([z.string(), z.number().finite(), z.boolean()])).min(1),
    }),
    z.strictObject({ field: z.string().min(1), op: z.enum(["is_null", "not_null"]) }),
    z.strictObject({ all: z.array(FilterSchema).min(1) }),
    z.strictObject({ any: z.array(FilterSchema).min(1) }),
    z.strictObject({ not: FilterSchema }),
  ])
);

/** The aggregates a windowed feature can compute. */
export const AGGREGATES = [
  "count",
  "sum",
  "mean",
  "min",
  "max",
  "stddev",
  "distinct",
  "last",
  "seconds_since_last",
] as const;
/** One aggregate. */
export type Aggregate = typeof AGGREGATES[number];

/** A windowed aggregate of a view. */
export const WindowFeatureDefinitionSchema = z.strictObject({
  name: NameSchema,
  description: z.string().optional(),
  aggregate: z.enum(AGGREGATES),
  /**
   * The event field aggregated. Required by every aggregate but `count` and
   * `seconds_since_last` (which then count every event the filters pass).
   * An event whose field is null or absent is skipped by this aggregate.
   */
  field: z.string().min(1).optional(),
  /** Value counted for a null or absent `field` instead of skipping the event. */
  missingAs: z.union([z.string(), z.number().finite()]).optional(),
  /** Only events passing this filter (and the view's) count. */
  where: FilterSchema.optional(),
  /** Window length; a multiple of `tile`. */
  window: DurationSchema,
  /** Tile (granularity) of the window, aligned to the Unix epoch. */
  tile: DurationSchema,
  /** Value when no event counts. Default 0. */
  empty: z.number().finite().default(0),
});
/** A windowed aggregate (durations in ms). */
export type WindowFeatureDefinition = z.infer<typeof WindowFeatureDefinitionSchema>;

/** A feature view: windowed aggregates of one entity's events of one source. */
export const FeatureViewDefinitionSchema = z.strictObject({
  name: NameSchema,
  description: z.string().optional(),
  /** A changed definition needs a new version. */
  version: z.number().int().positive(),
  entity: NameSchema,
  source: NameSchema,
  /** Only events passing this filter count for any feature of the view. */
  filter: FilterSchema.optional(),
  /**
   * How far behind the newest event the online state keeps raw events (the
   * future tolerance of validation plus clock skew). Default 10 minutes.
   */
  tail: DurationSchema.optional(),
  features: z.array(WindowFeatureDefinitionSchema).min(1),
});
/** A feature view definition (durations in ms). */
export type FeatureViewDefinition = z.infer<typeof FeatureViewDefinitionSchema>;
/** A feature view definition as written. */
export type FeatureViewDefinitionInput = z.input<typeof FeatureViewDefinitionSchema>;

/** The dtypes of model inputs and request features. */
export const DtypeSchema = z.enum(["float32", "bool"]);
/** A dtype: `float32` takes JSON numbers; `bool` takes booleans (and 0/1). */
export type Dtype = z.infer<typeof DtypeSchema>;

/** A declared domain: values outside it are refused (422). */
export const DomainSchema = z.strictObject({
  min: z.number().finite().optional(),
  max: z.number().finite().optional(),
});

/** A request-time (on-demand) feature: a transform of request fields or other features. */
export const RequestFeatureDefinitionSchema = z.strictObject({
  name: NameSchema,
  description: z.string().optional(),
  dtype: DtypeSchema.default("float32"),
  transform: TransformSpecSchema,
  /** Value used when its source is missing (listed in `defaults_used`). */
  default: z.number().finite().optional(),
  /** Valid values; a request value outside is a 422. */
  domain: DomainSchema.optional(),
});
/** A request-time feature definition. */
export type RequestFeatureDefinition = z.infer<typeof RequestFeatureDefinitionSchema>;

/** A feature repository: what the platform loads to know the events and features. */
export const RepositoryDefinitionSchema = z.strictObject({
  name: NameSchema,
  description: z.string().optional(),
  entities: z.array(EntityDefinitionSchema).min(1),
  sources: z.array(SourceDefinitionSchema).min(1),
  views: z.array(FeatureViewDefinitionSchema).min(1),
  requestFeatures: z.array(RequestFeatureDefinitionSchema).default([]),
  /** Source of `POST /ingest/events` and of files loaded without `--source`. Default the first. */
  defaultSource: NameSchema.optional(),
});
/** A repository definition (defaults applied). */
export type RepositoryDefinition = z.infer<typeof RepositoryDefinitionSchema>;
/** A repository definition as written. */
export type RepositoryDefinitionInput = z.input<typeof RepositoryDefinitionSchema>;

/** A scalar value of an event field. */
export type Scalar = z.infer<typeof scalar>;
