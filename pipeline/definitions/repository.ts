/**
 * `FeatureRepository`: a validated, cross-checked and compiled feature
 * repository. Loading one checks every definition's shape (zod) and every
 * reference between them (a view's entity and source, its fields and their
 * types, filters, windows, request-time transforms and their operands,
 * routing), and throws one `DefinitionError` listing every problem, each
 * naming the definition it is in.
 *
 * @module
 */
import {
  type EntityDefinition,
  type FieldSpec,
  type RepositoryDefinition,
  RepositoryDefinitionSchema,
  type RequestFeatureDefinition,
  type SourceDefinition,
} from "../../schemas/definitions.ts";
import type { ModelInput } from "../../schemas/manifest.ts";
import { transformOperands } from "../../schemas/transform.ts";
import { EventValidator } from "../../schemas/event.ts";
import { DefinitionError } from "../errors.ts";
import { compileView, type FeatureView } from "../features/view.ts";
import { filterFields } from "../features/filter.ts";
import { SCALAR_KINDS, transformDomain } from "../features/transforms.ts";
import { RowAssembler } from "../features/row.ts";

/** The longest entity id `/predict` accepts; entity key fields must not allow longer. */
export const MAX_ENTITY_ID_LENGTH = 256;

/** Which part of a model a feature name resolves to. */
export interface ModelFeatures {
  /** The ordered inputs, with dtypes, transforms, defaults and declared domains. */
  inputs: ModelInput[];
  /** Request-time features the inputs read without being inputs themselves. */
  requestFeatures: ModelInput[];
  /** Views whose features the inputs read (directly or through transforms). */
  views: FeatureView[];
  /** Every name of the repository a request may carry (its sources' fields, its features). */
  acceptedFields: string[];
}

/** The kinds of route a source can be read from. */
export type RouteKind = "kafkaTopic" | "kinesisStream" | "pubsubSubscription" | "httpPath";

/** A loaded feature repository. */
export class FeatureRepository {
  /** Repository name. */
  readonly name: string;
  /** Where it was loaded from (a folder, or `example:<name>`). */
  readonly origin: string;
  /** The definition as validated (defaults applied, durations in ms). */
  readonly definition: RepositoryDefinition;
  /** Every feature view, compiled. */
  readonly views: readonly FeatureView[];
  readonly #validators = new Map<string, EventValidator>();

  private constructor(def: RepositoryDefinition, origin: string) {
    this.name = def.name;
    this.origin = origin;
    this.definition = def;
    this.views = def.views.map((v) => compileView(v, this.entity(v.entity)!));
  }

  /**
   * Validates a repository definition (as written) and compiles it, or
   * throws a `DefinitionError` listing every problem.
   */
  static fromDefinition(input: unknown, origin: string): FeatureRepository {
    const parsed = RepositoryDefinitionSchema.safeParse(input);
    const label = (input as { name?: unknown })?.name;
    const what = `feature repository${typeof label === "string" ? ` '${label}'` : ""} (${origin})`;
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) =>
        `${describePath(input, i.path)}: ${i.message}`
      );
      throw new DefinitionError(`Invalid ${what}: ${problems.join("; ")}`, { details: problems });
    }
    const problems = checkReferences(parsed.data);
    if (problems.length > 0) {
      throw new DefinitionError(`Invalid ${what}: ${problems.join("; ")}`, { details: problems });
    }
    return new FeatureRepository(parsed.data, origin);
  }

  /** The entities. */
  get entities(): readonly EntityDefinition[] {
    return this.definition.entities;
  }

  /** The sources. */
  get sources(): readonly SourceDefinition[] {
    return this.definition.sources;
  }

  /** The request-time features. */
  get requestFeatures(): readonly RequestFeatureDefinition[] {
    return this.definition.requestFeatures;
  }

  /** An entity by name. */
  entity(name: string): EntityDefinition | undefined {
    return this.definition.entities.find((e) => e.name === name);
  }

  /** A source by name. */
  source(name: string): SourceDefinition | undefined {
    return this.definition.sources.find((s) => s.name === name);
  }

  /** The source of `POST /ingest/events` and of files loaded without a source. */
  get defaultSource(): SourceDefinition {
    const name = this.definition.defaultSource;
    return (name ? this.source(name) : undefined) ?? this.definition.sources[0];
  }

  /** The source a route carries (a Kafka topic, Kinesis stream, subscription or HTTP path). */
  sourceForRoute(kind: RouteKind, value: string): SourceDefinition | undefined {
    return this.definition.sources.find((s) =>
      kind === "httpPath" ? (s.routing.httpPath ?? s.name) === value : s.routing[kind] === value
    );
  }

  /** The event validator of a source (built once). */
  validator(source: string): EventValidator {
    let v = this.#validators.get(source);
    if (!v) {
      const def = this.source(source);
      if (!def) {
        throw new DefinitionError(`Cannot find source '${source}' in repository '${this.name}'`);
      }
      v = new EventValidator(def);
      this.#validators.set(source, v);
    }
    return v;
  }

  /** A view by name. */
  view(name: string): FeatureView | undefined {
    return this.views.find((v) => v.name === name);
  }

  /** The views that aggregate a source's events. */
  viewsOfSource(source: string): FeatureView[] {
    return this.views.filter((v) => v.source === source);
  }

  /** The views of an entity. */
  viewsOfEntity(entity: string): FeatureView[] {
    return this.views.filter((v) => v.entity === entity);
  }

  /** Every feature name: view features, then request-time features. */
  featureNames(): string[] {
    return [
      ...this.views.flatMap((v) => v.windowFeatures.map((f) => f.name)),
      ...this.definition.requestFeatures.map((f) => f.name),
    ];
  }

  /**
   * The model parts for inputs named `names`: each input's definition (a
   * request-time feature with its transform, dtype and domain, or a view
   * feature), the request-time features their transforms read, and the views
   * they read. Throws a `DefinitionError` naming an unknown feature.
   */
  modelFeatures(names: readonly string[]): ModelFeatures {
    const unknown = names.filter((n) => !this.#isFeature(n));
    if (unknown.length > 0) {
      throw new DefinitionError(
        `Cannot build model inputs from repository '${this.name}': unknown feature ` +
          `${unknown.map((n) => `'${n}'`).join(", ")} (known: ${this.featureNames().join(", ")})`,
      );
    }
    const inputs = names.map((n) => this.#inputOf(n));
    const wanted = new Set(names);
    const extra: ModelInput[] = [];
    const views = new Set<FeatureView>();
    const visit = (name: string) => {
      const view = this.views.find((v) => v.windowFeatures.some((f) => f.name === name));
      if (view) views.add(view);
      const rf = this.definition.requestFeatures.find((f) => f.name === name);
      if (!rf) return;
      if (!wanted.has(name)) {
        wanted.add(name);
        extra.push(this.#inputOf(name));
      }
      for (const o of transformOperands(rf.transform)) if (o !== name) visit(o);
    };
    for (const n of names) {
      const rf = this.definition.requestFeatures.find((f) => f.name === n);
      if (!rf) {
        visit(n);
        continue;
      }
      for (const o of transformOperands(rf.transform)) {
        if (o !== n) visit(o);
      }
    }
    return {
      inputs,
      requestFeatures: extra,
      views: this.views.filter((v) => views.has(v)),
      acceptedFields: this.acceptedFields(),
    };
  }

  /**
   * The names a request to a model of this repository may carry: every
   * source field, request feature, window feature and entity key.
   */
  acceptedFields(): string[] {
    const names = new Set<string>();
    for (const s of this.sources) for (const f of Object.keys(s.fields)) names.add(f);
    for (const f of this.definition.requestFeatures) names.add(f.name);
    for (const v of this.views) {
      for (const f of v.windowFeatures) names.add(f.name);
      for (const k of v.keys) names.add(k);
    }
    return [...names].sort();
  }

  #isFeature(name: string): boolean {
    return this.definition.requestFeatures.some((f) => f.name === name) ||
      this.views.some((v) => v.windowFeatures.some((f) => f.name === name));
  }

  #inputOf(name: string): ModelInput {
    const rf = this.definition.requestFeatures.find((f) => f.name === name);
    if (!rf) return { name, dtype: "float32" };
    const input: ModelInput = { name, dtype: rf.dtype, transform: structuredClone(rf.transform) };
    if (rf.default !== undefined) input.default = rf.default;
    const domain = rf.domain ?? transformDomain(rf.transform);
    if (domain) input.domain = { ...domain };
    return input;
  }
}

function describePath(input: unknown, path: PropertyKey[]): string {
  // Name the definition (`views[device_readings].features[temp_mean].window`) rather than indexes.
  const out: string[] = [];
  let node: unknown = input;
  for (const key of path) {
    const child = (node as Record<PropertyKey, unknown> | undefined)?.[key];
    const name = (child as { name?: unknown } | undefined)?.name;
    out.push(
      typeof key === "number" ? `[${typeof name === "string" ? name : key}]` : `.${String(key)}`,
    );
    node = child;
  }
  return out.join("").replace(/^\./, "") || "(root)";
}

function duplicates(names: string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return [...dup];
}

const NUMERIC = new Set(["sum", "mean", "min", "max", "stddev", "last"]);

/** Every problem of the references between a repository's definitions. */
function checkReferences(def: RepositoryDefinition): string[] {
  const problems: string[] = [];
  for (
    const [kind, list] of [
      ["entity", def.entities.map((e) => e.name)],
      ["source", def.sources.map((s) => s.name)],
      ["view", def.views.map((v) => v.name)],
    ] as const
  ) {
    for (const d of duplicates([...list])) problems.push(`${kind} '${d}' is defined twice`);
  }
  const featureNames = [
    ...def.views.flatMap((v) => v.features.map((f) => f.name)),
    ...def.requestFeatures.map((f) => f.name),
  ];
  for (const d of duplicates(featureNames)) {
    problems.push(`feature '${d}' is defined twice (feature names are unique in a repository)`);
  }
  for (const s of def.sources) problems.push(...checkSource(s));
  for (
    const [kind, label] of [
      ["kafkaTopic", "Kafka topic"],
      ["kinesisStream", "Kinesis stream"],
      ["pubsubSubscription", "Pub/Sub subscription"],
    ] as const
  ) {
    const routes = def.sources.map((s) => s.routing[kind]).filter((r) => r !== undefined);
    for (const d of duplicates(routes)) problems.push(`${label} '${d}' carries two sources`);
  }
  for (const d of duplicates(def.sources.map((s) => s.routing.httpPath ?? s.name))) {
    problems.push(`HTTP path '/ingest/${d}' carries two sources`);
  }
  if (def.defaultSource && !def.sources.some((s) => s.name === def.defaultSource)) {
    problems.push(`defaultSource '${def.defaultSource}' is not a source`);
  }
  for (const v of def.views) problems.push(...checkView(def, v));
  problems.push(...checkRequestFeatures(def));
  return problems;
}

function checkSource(s: SourceDefinition): string[] {
  const p: string[] = [];
  const at = `source '${s.name}'`;
  const id = s.fields[s.eventId];
  if (!id) p.push(`${at}: eventId field '${s.eventId}' is not declared`);
  else if (id.type !== "string" || id.optional || id.nullable) {
    p.push(`${at}: eventId field '${s.eventId}' must be a required, non-null string`);
  } else if (id.maxLength === undefined || id.maxLength > 1024) {
    p.push(`${at}: eventId field '${s.eventId}' needs a maxLength of at most 1024`);
  }
  const ts = s.fields[s.timestamp];
  if (!ts) p.push(`${at}: timestamp field '${s.timestamp}' is not declared`);
  else if (ts.type !== "timestamp" || ts.optional || ts.nullable) {
    p.push(`${at}: timestamp field '${s.timestamp}' must be a required, non-null timestamp`);
  }
  for (const group of s.atLeastOneOf) {
    for (const f of group) {
      if (!s.fields[f]) p.push(`${at}: atLeastOneOf names undeclared field '${f}'`);
    }
  }
  for (const [name, spec] of Object.entries(s.fields)) {
    if (
      spec.type === "number" && spec.min !== undefined && spec.max !== undefined &&
      spec.min > spec.max
    ) {
      p.push(`${at}: field '${name}' has min > max`);
    }
  }
  return p;
}

function checkFilterFields(
  at: string,
  source: SourceDefinition,
  filter: Parameters<typeof filterFields>[0],
): string[] {
  return filterFields(filter).filter((f) => !source.fields[f]).map((f) =>
    `${at}: filter reads '${f}', which is not a field of source '${source.name}'`
  );
}

function checkView(def: RepositoryDefinition, v: RepositoryDefinition["views"][number]): string[] {
  const p: string[] = [];
  const at = `view '${v.name}'`;
  const entity = def.entities.find((e) => e.name === v.entity);
  const source = def.sources.find((s) => s.name === v.source);
  if (!entity) p.push(`${at}: entity '${v.entity}' is not defined`);
  if (!source) p.push(`${at}: source '${v.source}' is not defined`);
  if (!entity || !source) return p;
  for (const k of entity.keys) {
    const spec: FieldSpec | undefined = source.fields[k];
    if (!spec) {
      p.push(`${at}: entity '${entity.name}' key '${k}' is not a field of source '${source.name}'`);
    } else if (
      spec.optional || spec.nullable || (spec.type !== "string" && spec.type !== "number")
    ) {
      p.push(
        `${at}: key field '${k}' of source '${source.name}' must be a required string or number`,
      );
    } else if (spec.type === "string" && (spec.maxLength ?? Infinity) > MAX_ENTITY_ID_LENGTH) {
      p.push(
        `${at}: key field '${k}' of source '${source.name}' needs a maxLength of at most ` +
          `${MAX_ENTITY_ID_LENGTH} (the longest entity id /predict accepts)`,
      );
    }
  }
  if (v.filter) p.push(...checkFilterFields(at, source, v.filter));
  for (const f of v.features) {
    const fat = `${at} feature '${f.name}'`;
    if (f.window % f.tile !== 0) {
      p.push(`${fat}: window ${f.window} ms is not a multiple of its tile ${f.tile} ms`);
    }
    if (f.where) p.push(...checkFilterFields(fat, source, f.where));
    if (f.field === undefined) {
      if (f.aggregate !== "count" && f.aggregate !== "seconds_since_last") {
        p.push(`${fat}: aggregate '${f.aggregate}' needs a field`);
      }
      if (f.missingAs !== undefined) p.push(`${fat}: missingAs needs a field`);
      continue;
    }
    const spec = source.fields[f.field];
    if (!spec) {
      p.push(`${fat}: field '${f.field}' is not a field of source '${source.name}'`);
    } else if (NUMERIC.has(f.aggregate) && spec.type !== "number") {
      p.push(
        `${fat}: aggregate '${f.aggregate}' needs a number field, '${f.field}' is ${spec.type}`,
      );
    } else if (f.aggregate === "distinct" && spec.type === "object") {
      p.push(`${fat}: distinct cannot count values of object field '${f.field}'`);
    }
    if (f.missingAs !== undefined && NUMERIC.has(f.aggregate) && typeof f.missingAs !== "number") {
      p.push(`${fat}: missingAs must be a number for aggregate '${f.aggregate}'`);
    }
  }
  return p;
}

function checkRequestFeatures(def: RepositoryDefinition): string[] {
  const p: string[] = [];
  const rawFields = new Set(def.sources.flatMap((s) => Object.keys(s.fields)));
  rawFields.add("timestamp");
  const names = new Set([
    ...def.views.flatMap((v) => v.features.map((f) => f.name)),
    ...def.requestFeatures.map((f) => f.name),
  ]);
  for (const rf of def.requestFeatures) {
    const at = `request feature '${rf.name}'`;
    for (const o of transformOperands(rf.transform)) {
      const scalar = SCALAR_KINDS.has(rf.transform.kind);
      if (scalar ? !rawFields.has(o) && !names.has(o) : !names.has(o) && !rawFields.has(o)) {
        p.push(`${at}: transform reads '${o}', which is neither a source field nor a feature`);
      }
    }
  }
  if (p.length > 0) return p;
  try {
    // Compiling an assembler over every request feature finds transform cycles.
    new RowAssembler({ inputs: def.requestFeatures.map((f) => ({ ...f })) });
  } catch (error) {
    p.push(error instanceof Error ? error.message : String(error));
  }
  return p;
}
