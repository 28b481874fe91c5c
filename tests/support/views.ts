/**
 * Views for tests: the shipped examples' views, and a synthetic view that
 * uses every aggregate, filters and `missingAs`.
 *
 * @module
 */
import { EXAMPLES, loadExample } from "../../pipeline/definitions/load.ts";
import { FeatureRepository } from "../../pipeline/definitions/repository.ts";
import type { FeatureView } from "../../pipeline/features/mod.ts";

/** The fraud example's `user_transactions` view. */
export const FRAUD_VIEW: FeatureView = loadExample("fraud").view("user_transactions")!;
/** The sensors example's `device_readings` view. */
export const DEVICE_VIEW: FeatureView = loadExample("sensors").view("device_readings")!;
/** The sensors example's `site_readings` view. */
export const SITE_VIEW: FeatureView = loadExample("sensors").view("site_readings")!;

/** A repository whose one view uses every aggregate, `where` filters and `missingAs`. */
export const ALL_AGGREGATES = FeatureRepository.fromDefinition({
  name: "kitchen_sink",
  entities: [{ name: "thing", keys: ["thing_id"] }],
  sources: [{
    name: "things",
    eventId: "event_id",
    timestamp: "ts",
    fields: {
      event_id: { type: "string", minLength: 1, maxLength: 64 },
      thing_id: { type: "string", minLength: 1, maxLength: 64 },
      ts: { type: "timestamp" },
      kind: { type: "string", enum: ["a", "b", "c"], optional: true, nullable: true },
      x: { type: "number", optional: true, nullable: true },
      tag: { type: "string", optional: true, nullable: true },
    },
  }],
  views: [{
    name: "thing_stats",
    version: 1,
    entity: "thing",
    source: "things",
    filter: { field: "kind", op: "!=", value: "c" },
    features: [
      { name: "n_1h", aggregate: "count", window: "1h", tile: "1m" },
      {
        name: "n_a_1h",
        aggregate: "count",
        where: { field: "kind", op: "==", value: "a" },
        window: "1h",
        tile: "1m",
      },
      { name: "n_x_1d", aggregate: "count", field: "x", window: "1d", tile: "1h" },
      { name: "sum_x_1d", aggregate: "sum", field: "x", window: "1d", tile: "1h" },
      { name: "mean_x_7d", aggregate: "mean", field: "x", window: "7d", tile: "1d", empty: -1 },
      { name: "min_x_1d", aggregate: "min", field: "x", window: "1d", tile: "1h" },
      {
        name: "max_x_b_1d",
        aggregate: "max",
        field: "x",
        where: { field: "kind", op: "==", value: "b" },
        window: "1d",
        tile: "1h",
      },
      { name: "std_x_1h", aggregate: "stddev", field: "x", window: "1h", tile: "1m" },
      { name: "std_x_7d", aggregate: "stddev", field: "x", window: "7d", tile: "1d" },
      { name: "last_x_1d", aggregate: "last", field: "x", window: "1d", tile: "1h", empty: -7 },
      { name: "tags_1d", aggregate: "distinct", field: "tag", window: "1d", tile: "1h" },
      {
        name: "tags_or_none_1d",
        aggregate: "distinct",
        field: "tag",
        missingAs: "none",
        window: "1d",
        tile: "1h",
      },
      {
        name: "since_x_7d",
        aggregate: "seconds_since_last",
        field: "x",
        window: "7d",
        tile: "1d",
        empty: 604800,
      },
      { name: "since_1h", aggregate: "seconds_since_last", window: "1h", tile: "1m", empty: 3600 },
    ],
  }],
}, "tests");

/** The synthetic view of {@linkcode ALL_AGGREGATES}. */
export const ALL_VIEW: FeatureView = ALL_AGGREGATES.view("thing_stats")!;

/**
 * A shipped example with view names of their own (`<view>_<tag>`), so a test
 * on a shared Redis keeps its keys apart from every other test's.
 */
export function isolatedRepository(
  example: "fraud" | "sensors" | "recommendations",
  tag: string = crypto.randomUUID().replaceAll("-", "").slice(0, 8),
): FeatureRepository {
  const def = structuredClone(EXAMPLES[example]) as { views: { name: string }[] };
  for (const v of def.views) v.name = `${v.name}_${tag}`;
  return FeatureRepository.fromDefinition(def, `test:${example}`);
}
