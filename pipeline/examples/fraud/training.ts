/**
 * The fraud example's demo training set: the reference platform's demo
 * events, labelled by the reference's own rule (`labeling.py`), with
 * point-in-time features the platform computes.
 *
 * @module
 */
import type { ModelInput } from "../../../schemas/manifest.ts";
import { loadExample } from "../../definitions/load.ts";
import type { FeatureView } from "../../features/mod.ts";
import { parseIsoUtc } from "../../../schemas/time.ts";
import { pointInTimeFromEvents, type TrainingRecord } from "../../training_set.ts";

/** The reference's merchant base fraud rates (its `labeling.py`). */
const BASE_RATE: Record<string, number> = {
  grocery: 0.01,
  gas_station: 0.02,
  restaurant: 0.03,
  pharmacy: 0.01,
  clothing: 0.04,
  online_retail: 0.06,
  electronics: 0.08,
  travel: 0.10,
  jewelry: 0.15,
  cash_advance: 0.25,
};

/** A seeded uniform generator on [0, 1) (mulberry32). */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded standard normal generator (mulberry32 + Box–Muller). */
export function gaussian(seed: number): () => number {
  const u = uniform(seed);
  return () => {
    const x = 1 - u();
    return Math.sqrt(-2 * Math.log(x)) * Math.cos(2 * Math.PI * u());
  };
}

/**
 * The reference's rule-based label: merchant base rate, +0.2 at night,
 * +0.3 when amount > 1000, +0.4 for jewelry or cash_advance, +0.3 more for
 * cash_advance on a weekend, capped at 1, plus Gaussian noise (σ 0.05);
 * 1 when ≥ 0.65.
 */
export function referenceLabel(
  merchantCategory: string,
  amount: number,
  timeMs: number,
  noise: number,
): number {
  const d = new Date(timeMs);
  const hour = d.getUTCHours();
  const weekend = (d.getUTCDay() + 6) % 7 >= 5;
  let p = BASE_RATE[merchantCategory] ?? 0.03;
  if (hour < 6 || hour >= 22) p += 0.2;
  if (amount > 1000) p += 0.3;
  if (merchantCategory === "jewelry" || merchantCategory === "cash_advance") p += 0.4;
  if (merchantCategory === "cash_advance" && weekend) p += 0.3;
  p = Math.min(p, 1) + 0.05 * noise;
  return p >= 0.65 ? 1 : 0;
}

/** The champion's inputs: the reference's eight names. */
export const CHAMPION_FEATURES = [
  "hour_of_day",
  "day_of_week",
  "is_weekend",
  "transaction_count_24h",
  "avg_amount_30d",
  "amount",
  "merchant_category_encoded",
  "payment_method_encoded",
] as const;

/** The demo training set, ready for `trainModel({ data: table, label: "label", ... })`. */
export interface DemoTrainingSet {
  table: { source: string; columns: string[]; records: TrainingRecord[] };
  championInputs: ModelInput[];
  challengerInputs: ModelInput[];
  /** The views the models read. */
  views: FeatureView[];
  positives: number;
}

/**
 * Builds the demo training set from raw demo events: labels by the
 * reference's rule (seeded noise), and every feature of the fraud
 * repository as of each event's own time (strictly before it).
 */
export function buildDemoTrainingSet(
  events: readonly Record<string, unknown>[],
  options: { seed?: number } = {},
): DemoTrainingSet {
  const repo = loadExample("fraud");
  const noise = gaussian(options.seed ?? 42);
  const timed = events.map((event) => ({ event, timeMs: parseIsoUtc(String(event.timestamp))! }));
  const records = pointInTimeFromEvents(repo, "transactions", timed, (e) => {
    const c = e.event.merchant_category;
    return referenceLabel(
      typeof c === "string" ? c : "unknown",
      Number(e.event.amount),
      e.timeMs,
      noise(),
    );
  });
  const champion = repo.modelFeatures(CHAMPION_FEATURES);
  const challenger = repo.modelFeatures([
    ...repo.requestFeatures.map((f) => f.name),
    ...repo.views.flatMap((v) => v.windowFeatures.map((f) => f.name)),
  ]);
  return {
    table: {
      source: "demo_events.jsonl (point-in-time)",
      columns: Object.keys(records[0] ?? {}),
      records,
    },
    championInputs: champion.inputs,
    challengerInputs: challenger.inputs,
    views: challenger.views,
    positives: records.filter((r) => r.label === 1).length,
  };
}

/** Reads the demo events shipped in `pipeline/demo_data/demo_events.jsonl`. */
export async function loadDemoEvents(): Promise<Record<string, unknown>[]> {
  const url = new URL("../../demo_data/demo_events.jsonl", import.meta.url);
  const text = await Deno.readTextFile(url);
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}
