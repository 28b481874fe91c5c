/**
 * Feature view definitions: one declarative object drives the offline
 * computation, the online state, training-set export and the model
 * manifest's transforms.
 *
 * @module
 */
import type { ModelInput } from "../../schemas/manifest.ts";

/** Milliseconds in one minute. */
export const MINUTE_MS = 60_000;
/** Milliseconds in one hour. */
export const HOUR_MS = 3_600_000;
/** Milliseconds in one day. */
export const DAY_MS = 86_400_000;

/** The aggregate a windowed feature computes over the entity's events. */
export type WindowAggregate =
  /** Number of events. */
  | "count"
  /** Sum of `amount`. */
  | "sum"
  /** Mean of `amount`, `empty` when there is none. */
  | "mean"
  /** Max of `amount`, `empty` when there is none. */
  | "max"
  /** Number of distinct categories (a missing category is `unknown`). */
  | "distinct"
  /** Seconds from the latest event before T to T, `empty` when none. */
  | "seconds_since_last";

/**
 * One windowed aggregate. An event e counts at time T when `e.time < T` and
 * `floor(e.time / tileMs) >= floor(T / tileMs) - windowMs / tileMs + 1`
 * (tiles aligned to the Unix epoch, UTC).
 */
export interface WindowFeature {
  /** Feature name, e.g. `transaction_count_24h`. */
  readonly name: string;
  /** What is computed. */
  readonly aggregate: WindowAggregate;
  /** Window length in ms, a multiple of `tileMs`. */
  readonly windowMs: number;
  /** Tile (granularity) in ms. */
  readonly tileMs: number;
  /** Value when no event is in the window. */
  readonly empty: number;
}

/** A versioned feature view over transaction events. */
export interface FeatureView {
  /** View name, e.g. `user_transactions`. */
  readonly name: string;
  /** Definition version; a changed definition is a new version. */
  readonly version: number;
  /** Entity type, e.g. `user`. */
  readonly entity: string;
  /** Event field holding the entity id, e.g. `user_id`. */
  readonly entityKey: string;
  /** Event field aggregated by `sum`/`mean`/`max`. */
  readonly valueField: string;
  /** Event field whose distinct values `distinct` counts (missing → `missing`). */
  readonly categoryField: string;
  /** Category used when `categoryField` is absent. */
  readonly missingCategory: string;
  /**
   * How far back from the newest event the online state keeps raw events
   * (the future tolerance of validation plus clock skew): online values are
   * exact for any T ≥ newest event time − `tailMs`.
   */
  readonly tailMs: number;
  /** Features of the event or request itself, as manifest inputs with transforms. */
  readonly eventFeatures: readonly ModelInput[];
  /** Windowed aggregates of the entity's events. */
  readonly windowFeatures: readonly WindowFeature[];
}

/** The demo view: user transactions, keyed by `user_id`. */
export const DEMO_VIEW: FeatureView = Object.freeze({
  name: "user_transactions",
  version: 1,
  entity: "user",
  entityKey: "user_id",
  valueField: "amount",
  categoryField: "merchant_category",
  missingCategory: "unknown",
  tailMs: 10 * MINUTE_MS,
  eventFeatures: Object.freeze(
    [
      { name: "amount", dtype: "float32", transform: { kind: "identity", source: "amount" } },
      { name: "amount_log", dtype: "float32", transform: { kind: "log1p", source: "amount" } },
      {
        name: "hour_of_day",
        dtype: "float32",
        transform: { kind: "hour_of_day", source: "timestamp" },
      },
      {
        name: "day_of_week",
        dtype: "float32",
        transform: { kind: "day_of_week", source: "timestamp" },
      },
      {
        name: "is_weekend",
        dtype: "float32",
        transform: { kind: "is_weekend", source: "timestamp" },
      },
      { name: "is_night", dtype: "float32", transform: { kind: "is_night", source: "timestamp" } },
      {
        name: "merchant_category_encoded",
        dtype: "float32",
        transform: {
          kind: "crc32_mod",
          source: "merchant_category",
          modulo: 100,
          missing: "unknown",
        },
      },
      {
        name: "payment_method_encoded",
        dtype: "float32",
        transform: { kind: "crc32_mod", source: "payment_method", modulo: 10, missing: "unknown" },
      },
      {
        name: "risk_score",
        dtype: "float32",
        transform: { kind: "identity", source: "risk_score" },
        default: 0,
      },
    ] satisfies ModelInput[],
  ),
  windowFeatures: Object.freeze([
    win("transaction_count_1h", "count", HOUR_MS, MINUTE_MS, 0),
    win("transaction_count_24h", "count", DAY_MS, HOUR_MS, 0),
    win("amount_sum_24h", "sum", DAY_MS, HOUR_MS, 0),
    win("avg_amount_30d", "mean", 30 * DAY_MS, DAY_MS, 0),
    win("max_amount_7d", "max", 7 * DAY_MS, DAY_MS, 0),
    win("distinct_merchant_categories_24h", "distinct", DAY_MS, HOUR_MS, 0),
    win("seconds_since_last_txn", "seconds_since_last", 30 * DAY_MS, DAY_MS, 2_592_000),
  ]),
});

function win(
  name: string,
  aggregate: WindowAggregate,
  windowMs: number,
  tileMs: number,
  empty: number,
): WindowFeature {
  return Object.freeze({ name, aggregate, windowMs, tileMs, empty });
}

const VIEWS: readonly FeatureView[] = [DEMO_VIEW];

/** Looks up a registered feature view, or `undefined` when unknown. */
export function getFeatureView(name: string, version: number): FeatureView | undefined {
  return VIEWS.find((v) => v.name === name && v.version === version);
}

/** Every registered feature view. */
export function listFeatureViews(): readonly FeatureView[] {
  return VIEWS;
}

/** Names of the windowed features of `view`, in definition order. */
export function windowFeatureNames(view: FeatureView): string[] {
  return view.windowFeatures.map((f) => f.name);
}

/** Every feature name of `view`: event features then windowed ones. */
export function featureNames(view: FeatureView): string[] {
  return [...view.eventFeatures.map((f) => f.name), ...windowFeatureNames(view)];
}

/** The `feature_view` block of a model manifest for `view`. */
export function featureViewRef(
  view: FeatureView,
): { name: string; version: number; entity_key: string } {
  return { name: view.name, version: view.version, entity_key: view.entityKey };
}

/**
 * A canonical JSON text of the definition (stable key order), which the
 * store hashes to detect a changed definition.
 */
export function canonicalDefinition(view: FeatureView): string {
  return stableStringify(view);
}

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}
