/**
 * Feature views at run time: a view definition (from a feature repository
 * or a model manifest) compiled once into what the window code, the store
 * and the edge read. The definitions themselves are data
 * (`schemas/definitions.ts`); nothing here knows a use case.
 *
 * @module
 */
import type {
  Aggregate,
  EntityDefinition,
  FeatureViewDefinition,
  Filter,
} from "../../schemas/definitions.ts";

/** Milliseconds in one minute. */
export const MINUTE_MS = 60_000;
/** Milliseconds in one hour. */
export const HOUR_MS = 3_600_000;
/** Milliseconds in one day. */
export const DAY_MS = 86_400_000;
/** Default of a view's `tail`: how far behind the newest event raw events stay online. */
export const DEFAULT_TAIL_MS = 10 * MINUTE_MS;

/** The aggregate a windowed feature computes over the entity's events. */
export type WindowAggregate = Aggregate;

/**
 * One windowed aggregate. An event e counts at time T when `e.time < T` and
 * `floor(e.time / tileMs) >= floor(T / tileMs) - windowMs / tileMs + 1`
 * (tiles aligned to the Unix epoch, UTC), it passes the view's filter and
 * `where`, and its `field` is present (or `missingAs` is set).
 */
export interface WindowFeature {
  /** Feature name, e.g. `transaction_count_24h`. */
  readonly name: string;
  /** What is computed. */
  readonly aggregate: WindowAggregate;
  /** The event field read; none for a `count` or `seconds_since_last` of events. */
  readonly field?: string;
  /** Value counted for a null or absent `field` (otherwise the event is skipped). */
  readonly missingAs?: string | number;
  /** Only events passing this filter count. */
  readonly where?: Filter;
  /** Window length in ms, a multiple of `tileMs`. */
  readonly windowMs: number;
  /** Tile (granularity) in ms. */
  readonly tileMs: number;
  /** Value when no event counts. */
  readonly empty: number;
}

/** A compiled, versioned feature view. */
export interface FeatureView {
  /** View name, e.g. `user_transactions`. */
  readonly name: string;
  /** Definition version; a changed definition is a new version. */
  readonly version: number;
  /** Entity name, e.g. `user`. */
  readonly entity: string;
  /** Event fields whose values identify the entity (one, or several for a composite key). */
  readonly keys: readonly string[];
  /** The key fields as one label (`user_id`, or `user_id+item_category`). */
  readonly entityKey: string;
  /** Source whose events the view aggregates. */
  readonly source: string;
  /** Only events passing it count for any feature. */
  readonly filter?: Filter;
  /**
   * How far back from the newest event the online state keeps raw events:
   * online values are exact for any T ≥ newest event time − `tailMs`.
   */
  readonly tailMs: number;
  /** Windowed aggregates of the entity's events. */
  readonly windowFeatures: readonly WindowFeature[];
  /** The definition it was compiled from. */
  readonly definition: FeatureViewDefinition;
  /** The entity's definition. */
  readonly entityDefinition: EntityDefinition;
}

/** Compiles a (validated) view definition with its entity. */
export function compileView(def: FeatureViewDefinition, entity: EntityDefinition): FeatureView {
  return Object.freeze({
    name: def.name,
    version: def.version,
    entity: entity.name,
    keys: Object.freeze([...entity.keys]),
    entityKey: entity.keys.join("+"),
    source: def.source,
    filter: def.filter,
    tailMs: def.tail ?? DEFAULT_TAIL_MS,
    windowFeatures: Object.freeze(def.features.map((f) =>
      Object.freeze({
        name: f.name,
        aggregate: f.aggregate,
        field: f.field,
        missingAs: f.missingAs,
        where: f.where,
        windowMs: f.window,
        tileMs: f.tile,
        empty: f.empty,
      })
    )),
    definition: def,
    entityDefinition: entity,
  });
}

/**
 * The entity id of an event or request for `keys`: the key's value (a
 * non-empty string, or a finite number as text), or for a composite key the
 * values URL-encoded and joined by `:`. `undefined` when a key is missing.
 */
export function entityIdOf(
  keys: readonly string[],
  values: Readonly<Record<string, unknown>>,
): string | undefined {
  if (keys.length === 1) return keyText(values[keys[0]]);
  const parts: string[] = [];
  for (const k of keys) {
    const t = keyText(values[k]);
    if (t === undefined) return undefined;
    parts.push(encodeURIComponent(t));
  }
  return parts.join(":");
}

function keyText(v: unknown): string | undefined {
  if (typeof v === "string") return v === "" ? undefined : v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Names of the windowed features of `view`, in definition order. */
export function windowFeatureNames(view: FeatureView): string[] {
  return view.windowFeatures.map((f) => f.name);
}

/** The manifest block describing `view` (its definition and entity). */
export function viewManifestEntry(
  view: FeatureView,
): { view: FeatureViewDefinition; entity: EntityDefinition } {
  return { view: view.definition, entity: view.entityDefinition };
}

/**
 * A canonical JSON text of the definition and its entity (stable key
 * order), which the store hashes to detect a changed definition.
 */
export function canonicalDefinition(view: FeatureView): string {
  return stableStringify({ view: view.definition, entity: view.entityDefinition });
}

/** JSON with object keys sorted (undefined members dropped). */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}
