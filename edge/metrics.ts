/**
 * The edge's Prometheus metrics, registered on a registry passed in. The
 * reference platform's names are kept (`ml_predictions_total`,
 * `ml_prediction_duration_seconds`, ...), with a `variant` label added where
 * an arm of an A/B split serves.
 *
 * @module
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

const LATENCY_BUCKETS = [
  0.00005,
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
];

/**
 * Entries by label values, found through one map per label: no joined key
 * string is built (and hashed) per call.
 */
class LabelIndex<T> {
  /** Every entry, in creation order. */
  readonly entries: T[] = [];
  readonly #root = new Map<string, unknown>();
  readonly #make: (labels: string[]) => T;

  constructor(make: (labels: string[]) => T) {
    this.#make = make;
  }

  /** The entry of `labels` (at least one value), created on first use. */
  get(labels: string[]): T {
    let m = this.#root;
    const last = labels.length - 1;
    for (let i = 0; i < last; i++) {
      let next = m.get(labels[i]) as Map<string, unknown> | undefined;
      if (!next) {
        next = new Map();
        m.set(labels[i], next);
      }
      m = next;
    }
    let e = m.get(labels[last]) as T | undefined;
    if (e === undefined) {
      e = this.#make(labels);
      m.set(labels[last], e);
      this.entries.push(e);
    }
    return e;
  }
}

interface HistogramSlot {
  obj: Record<string, string>;
  /** Key of its series in prom-client's map once created. */
  key: string | undefined;
  counts: number[];
  /** Sum of the values since the last scrape. */
  sum: number;
  /** The series' sum plus those values, added one by one. */
  run: number;
  count: number;
}

/** One series in prom-client's (15.x) histogram state. */
interface HistogramSeries {
  labels: Record<string, string>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/** Every metric of the edge. */
export interface EdgeMetrics {
  registry: Registry;
  predictions: Counter<"model_name" | "model_version" | "status" | "variant">;
  predictionDuration: Histogram<"model_name" | "variant">;
  batchPredictions: Counter<"model_name" | "model_version" | "status">;
  modelLoads: Counter<"model_name" | "status">;
  activeModels: Gauge;
  apiRequests: Counter<"route" | "method" | "status">;
  featureCacheHits: Counter;
  featureCacheMisses: Counter;
  featureAge: Histogram;
  predictionCacheHits: Counter<"model_name">;
  predictionCacheMisses: Counter<"model_name">;
  onlineErrors: Counter<"store" | "reason">;
  shadowPredictions: Counter<"model_name" | "agreement">;
  coalescedRows: Histogram;
  /** A cached child of a labelled counter (label lookups cost on the hot path). */
  inc(counter: Counter<string>, labels: string[], value?: number): void;
  /** A cached child of a labelled histogram. */
  observe(h: Histogram<string>, labels: string[], value: number): void;
}

/** Registers the edge metrics on `registry`. */
export function createEdgeMetrics(registry: Registry): EdgeMetrics {
  const registers = [registry];
  // Hot counters are summed in plain numbers and handed to prom-client when
  // the registry is scraped: prom-client hashes the labels on every `inc`.
  const pending = new Map<string, LabelIndex<{ labels: string[]; n: number }>>();
  const deferred = <L extends string>(name: string, help: string, labelNames: L[]) => {
    const slots = new LabelIndex((labels) => ({ labels: [...labels], n: 0 }));
    pending.set(name, slots);
    return new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        for (const e of slots.entries) {
          if (e.n === 0) continue;
          const obj = Object.fromEntries(labelNames.map((l, i) => [l, e.labels[i]]));
          this.inc(obj as Record<L, string>, e.n);
          e.n = 0;
        }
      },
    });
  };
  // Hot histograms likewise: bucket counts in plain numbers, added to
  // prom-client's series when scraped (its `observe` validates and hashes
  // the labels on every call, ~0.7 µs).
  const pendingObs = new Map<string, (labels: string[], value: number) => void>();
  const deferredHistogram = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    buckets: number[],
  ) => {
    const upper = [...buckets].sort((a, b) => a - b);
    const slots = new LabelIndex((labels): HistogramSlot => ({
      obj: Object.fromEntries(labelNames.map((l, i) => [l, labels[i]])),
      key: undefined,
      counts: new Array(upper.length).fill(0),
      sum: 0,
      run: 0,
      count: 0,
    }));
    pendingObs.set(name, (labels, value) => {
      if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
      const e = slots.get(labels);
      let i = 0;
      while (i < upper.length && value > upper[i]) i++;
      if (i < upper.length) e.counts[i]++;
      e.sum += value;
      e.run += value;
      e.count++;
    });
    return new Histogram<L>({
      name,
      help,
      labelNames,
      buckets: upper,
      registers,
      collect() {
        const map = (this as unknown as { hashMap: Record<string, HistogramSeries> }).hashMap;
        for (const e of slots.entries) {
          if (e.count === 0) continue;
          let series = e.key === undefined ? undefined : map[e.key];
          // The sum in the same order of additions as prom-client's, so to the last bit.
          let sum = e.run;
          if (!series || series.labels !== e.obj) {
            sum = e.sum;
            // First scrape of these labels, or the metric was reset: a zeroed series.
            this.zero(e.obj as Record<L, string>);
            e.key = Object.keys(map).find((k) => map[k].labels === e.obj);
            series = map[e.key!];
          }
          for (let i = 0; i < upper.length; i++) {
            series.bucketValues[upper[i]] += e.counts[i];
            e.counts[i] = 0;
          }
          series.sum = sum;
          series.count += e.count;
          e.run = sum;
          e.sum = 0;
          e.count = 0;
        }
      },
    });
  };
  const children = new Map<string, { inc(v?: number): void; observe(v: number): void }>();
  const child = (m: Counter<string> | Histogram<string>, labels: string[]) => {
    const k = `${(m as unknown as { name: string }).name}\u0000${labels.join("\u0000")}`;
    let c = children.get(k);
    if (!c) {
      c = (m as Counter<string>).labels(...labels) as unknown as typeof c;
      children.set(k, c!);
    }
    return c!;
  };
  return {
    registry,
    predictions: deferred(
      "ml_predictions_total",
      "Predictions served, by model, version, status and A/B variant",
      ["model_name", "model_version", "status", "variant"],
    ),
    predictionDuration: deferredHistogram(
      "ml_prediction_duration_seconds",
      "Time to serve one prediction (features, model, response)",
      ["model_name", "variant"],
      LATENCY_BUCKETS,
    ),
    batchPredictions: new Counter({
      name: "ml_batch_predictions_total",
      help: "Batch prediction requests",
      labelNames: ["model_name", "model_version", "status"],
      registers,
    }),
    modelLoads: new Counter({
      name: "ml_model_loads_total",
      help: "Model version loads",
      labelNames: ["model_name", "status"],
      registers,
    }),
    activeModels: new Gauge({
      name: "ml_active_models",
      help: "Model versions loaded and warmed",
      registers,
    }),
    apiRequests: deferred(
      "ml_api_requests_total",
      "HTTP requests by route template, method and status",
      ["route", "method", "status"],
    ),
    featureCacheHits: new Counter({
      name: "ml_feature_cache_hits_total",
      help: "Online feature lookups answered by the in-isolate cache",
      registers,
    }),
    featureCacheMisses: new Counter({
      name: "ml_feature_cache_misses_total",
      help: "Online feature lookups that went to the store",
      registers,
    }),
    featureAge: new Histogram({
      name: "ml_feature_age_seconds",
      help: "Age of the newest event behind the online features used",
      buckets: [1, 5, 15, 60, 300, 900, 3600, 21600, 86400, 604800],
      registers,
    }),
    predictionCacheHits: deferred(
      "ml_prediction_cache_hits_total",
      "Predictions answered from the prediction cache",
      ["model_name"],
    ),
    predictionCacheMisses: deferred(
      "ml_prediction_cache_misses_total",
      "Predictions computed by the model",
      ["model_name"],
    ),
    onlineErrors: new Counter({
      name: "ml_online_store_errors_total",
      help:
        "Failed online feature reads, by store kind and reason (error; timeout: no answer in time; event_loop_blocked: the deadline passed while the thread was busy)",
      labelNames: ["store", "reason"],
      registers,
    }),
    shadowPredictions: new Counter({
      name: "ml_shadow_predictions_total",
      help: "Challenger predictions scored in shadow mode, by agreement with the champion",
      labelNames: ["model_name", "agreement"],
      registers,
    }),
    coalescedRows: new Histogram({
      name: "ml_onnx_coalesced_rows",
      help: "Rows per coalesced ONNX run of single predictions",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    inc(counter, labels, value = 1) {
      const slots = pending.get((counter as unknown as { name: string }).name);
      if (!slots) return child(counter, labels).inc(value);
      slots.get(labels).n += value;
    },
    observe(h, labels, value) {
      const deferredObserve = pendingObs.get((h as unknown as { name: string }).name);
      if (deferredObserve) deferredObserve(labels, value);
      else child(h, labels).observe(value);
    },
  };
}
