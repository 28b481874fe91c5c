/**
 * Point-in-time training sets: for each labelled `(entity, time)` the
 * windowed features as of that time (events strictly before it), computed
 * by the same code as the offline API, plus the raw event fields the
 * manifest transforms read. Also the demo training set of `fraud_detector`.
 *
 * @module
 */
import type { ModelInput } from "../schemas/manifest.ts";
import {
  computeWindowFeaturesFromEvents,
  DEMO_VIEW,
  type FeatureView,
  toWindowEvent,
  type WindowEvent,
  windowFeatureNames,
} from "./features/mod.ts";
import type { FeatureStore } from "./store/port.ts";
import { horizonMs } from "./feature_pipeline.ts";

/** One labelled point in time. */
export interface LabelRow {
  entityId: string;
  /** As-of time, epoch ms. */
  timeMs: number;
  label: number;
  /** When given, the event's stored raw fields are added to the row. */
  eventId?: string;
}

/** A point-in-time row: entity, time, label, the event's raw fields when known, features. */
export type TrainingRecord = Record<string, string | number | boolean | null>;

/** Options of {@linkcode pointInTimeRows}. */
export interface PointInTimeOptions {
  /** Entities per store query. Default 500. */
  chunkEntities?: number;
  /** Called after each chunk with rows done and total. */
  onProgress?: (done: number, total: number) => void;
}

/** The raw event fields a training row carries for the manifest transforms. */
export const RAW_EVENT_FIELDS = [
  "timestamp",
  "amount",
  "merchant_category",
  "payment_method",
  "risk_score",
] as const;

/**
 * Builds point-in-time rows for `labels` from the store (label order within
 * each chunk of entities), yielded chunk by chunk (bounded memory for large
 * label files). The next chunk's events load while this one is computed.
 */
export async function* pointInTimeRows(
  store: FeatureStore,
  view: FeatureView,
  labels: readonly LabelRow[],
  options: PointInTimeOptions = {},
): AsyncGenerator<TrainingRecord[]> {
  const chunk = options.chunkEntities ?? 2000;
  const byEntity = new Map<string, number[]>();
  labels.forEach((l, i) => {
    const list = byEntity.get(l.entityId);
    if (list) list.push(i);
    else byEntity.set(l.entityId, [i]);
  });
  const entities = [...byEntity.keys()];
  const withEvents = labels.some((l) => l.eventId !== undefined);
  const load = async (start: number) => {
    const ids = entities.slice(start, start + chunk);
    const idx = ids.flatMap((id) => byEntity.get(id)!).sort((a, b) => a - b);
    let lo = Infinity, hi = -Infinity;
    for (const j of idx) {
      if (labels[j].timeMs < lo) lo = labels[j].timeMs;
      if (labels[j].timeMs > hi) hi = labels[j].timeMs;
    }
    const [events, payloads] = await Promise.all([
      store.loadEvents(view, ids, lo - horizonMs(view), hi),
      withEvents
        ? store.loadPayloads(idx.map((j) => labels[j].eventId).filter((x) => x !== undefined))
        : new Map<string, Record<string, unknown>>(),
    ]);
    return { idx, events, payloads };
  };
  let done = 0;
  let next = entities.length > 0 ? load(0) : null;
  for (let i = 0; next; i += chunk) {
    const { idx, events, payloads } = await next;
    next = i + chunk < entities.length ? load(i + chunk) : null;
    // A rejected prefetch is rethrown by the next await; avoid an unhandled rejection meanwhile.
    next?.catch(() => {});
    const out: TrainingRecord[] = [];
    for (const j of idx) {
      const l = labels[j];
      const p = l.eventId === undefined ? undefined : payloads.get(l.eventId);
      const w = computeWindowFeaturesFromEvents(view, events.get(l.entityId) ?? [], l.timeMs);
      out.push(toRecord(view, l, w, withEvents ? p ?? {} : undefined));
    }
    done += out.length;
    options.onProgress?.(done, labels.length);
    yield out;
  }
}

function toRecord(
  view: FeatureView,
  l: LabelRow,
  features: Record<string, number>,
  payload: Record<string, unknown> | undefined,
): TrainingRecord {
  const r: TrainingRecord = {
    entity_id: l.entityId,
    as_of: new Date(l.timeMs).toISOString(),
    label: l.label,
  };
  if (payload) {
    r.event_id = l.eventId ?? null;
    for (const f of RAW_EVENT_FIELDS) {
      const v = payload[f];
      r[f] = typeof v === "string" || typeof v === "number" ? v : null;
    }
  }
  for (const name of windowFeatureNames(view)) r[name] = features[name];
  return r;
}

// ---------------------------------------------------------------- demo set

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

/** A seeded standard normal generator (mulberry32 + Box–Muller). */
export function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
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

/** The champion's inputs: the reference's eight names, event ones with transforms. */
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

/** The manifest inputs of `names` from a view (event features carry their transforms). */
export function viewInputs(view: FeatureView, names: readonly string[]): ModelInput[] {
  return names.map((name) => {
    const ev = view.eventFeatures.find((f) => f.name === name);
    if (ev) return structuredClone(ev) as ModelInput;
    if (!view.windowFeatures.some((f) => f.name === name)) {
      throw new Error(`Feature '${name}' is not in view '${view.name}' v${view.version}`);
    }
    return { name, dtype: "float32" };
  });
}

/** The demo training set, ready for `trainModel({ data: table, label: "label", inputs })`. */
export interface DemoTrainingSet {
  table: { source: string; columns: string[]; records: TrainingRecord[] };
  championInputs: ModelInput[];
  challengerInputs: ModelInput[];
  featureView: { name: string; version: number; entity_key: string };
  positives: number;
}

/**
 * Builds the demo training set from raw demo events: labels by the
 * reference's rule (seeded noise), raw event fields for the transforms, and
 * the windowed features as of each event's own time (strictly before it).
 */
export function buildDemoTrainingSet(
  events: readonly Record<string, unknown>[],
  options: { seed?: number; view?: FeatureView } = {},
): DemoTrainingSet {
  const view = options.view ?? DEMO_VIEW;
  const noise = gaussian(options.seed ?? 42);
  const parsed = events.map((e) => ({ e, t: Date.parse(String(e.timestamp)) }))
    .sort((a, b) => a.t - b.t || String(a.e.event_id).localeCompare(String(b.e.event_id)));
  const byUser = new Map<string, WindowEvent[]>();
  for (const { e, t } of parsed) {
    const id = String(e[view.entityKey]);
    const list = byUser.get(id) ?? [];
    list.push(toWindowEvent(view, e, t));
    byUser.set(id, list);
  }
  const records: TrainingRecord[] = parsed.map(({ e, t }) => {
    const w = computeWindowFeaturesFromEvents(view, byUser.get(String(e[view.entityKey]))!, t);
    const r: TrainingRecord = {};
    for (const f of RAW_EVENT_FIELDS) {
      const v = e[f];
      r[f] = typeof v === "string" || typeof v === "number" ? v : null;
    }
    Object.assign(r, w);
    const category = typeof e.merchant_category === "string" ? e.merchant_category : "unknown";
    r.label = referenceLabel(category, Number(e.amount), t, noise());
    return r;
  });
  const windowNames = windowFeatureNames(view);
  const all = [...view.eventFeatures.map((f) => f.name), ...windowNames];
  return {
    table: {
      source: "demo_events.jsonl (point-in-time)",
      columns: [...RAW_EVENT_FIELDS, ...windowNames, "label"],
      records,
    },
    championInputs: viewInputs(view, CHAMPION_FEATURES),
    challengerInputs: viewInputs(view, all),
    featureView: { name: view.name, version: view.version, entity_key: view.entityKey },
    positives: records.filter((r) => r.label === 1).length,
  };
}

/** Reads the demo events shipped in `pipeline/demo_data/demo_events.jsonl`. */
export async function loadDemoEvents(): Promise<Record<string, unknown>[]> {
  const url = new URL("./demo_data/demo_events.jsonl", import.meta.url);
  const text = await Deno.readTextFile(url);
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}
