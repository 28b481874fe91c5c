/**
 * The edge's Prometheus metrics, registered on a registry passed in. The
 * reference platform's names are kept (`ml_predictions_total`,
 * `ml_prediction_duration_seconds`, ...), with a `variant` label added where
 * an arm of an A/B split serves.
 *
 * @module
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { LabelIndex } from "./_label_index.ts";
import { DeferredHistogram } from "./deferred_histogram.ts";

/** Buckets of `ml_prediction_duration_seconds`, seconds (50 µs to 1 s). */
export const LATENCY_BUCKETS = [
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

/** Every metric of the edge. */
export interface EdgeMetrics {
  registry: Registry;
  predictions: Counter<"model_name" | "model_version" | "status" | "variant">;
  predictionDuration: DeferredHistogram<"model_name" | "variant">;
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
  observe(h: Histogram<string> | DeferredHistogram<string>, labels: string[], value: number): void;
}

/** Registers the edge metrics on `registry`. */
export function createEdgeMetrics(registry: Registry): EdgeMetrics {
  const registers = [registry];
  // Hot counters are summed in plain numbers and handed to prom-client (its
  // public `inc`) when the registry is scraped: prom-client hashes the labels
  // on every `inc`.
  const pending = new Map<Counter<string>, LabelIndex<{ labels: string[]; n: number }>>();
  const deferred = <L extends string>(name: string, help: string, labelNames: L[]) => {
    const slots = new LabelIndex((labels) => ({ labels: [...labels], n: 0 }));
    const counter = new Counter<L>({
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
    pending.set(counter as Counter<string>, slots);
    return counter;
  };
  type Child = { inc(v?: number): void; observe(v: number): void };
  const children = new Map<Counter<string> | Histogram<string>, LabelIndex<Child>>();
  const child = (m: Counter<string> | Histogram<string>, labels: string[]): Child => {
    let index = children.get(m);
    if (!index) {
      index = new LabelIndex((values) =>
        (m as Counter<string>).labels(...values) as unknown as Child
      );
      children.set(m, index);
    }
    return index.get(labels);
  };
  return {
    registry,
    predictions: deferred(
      "ml_predictions_total",
      "Predictions served, by model, version, status and A/B variant",
      ["model_name", "model_version", "status", "variant"],
    ),
    predictionDuration: new DeferredHistogram({
      name: "ml_prediction_duration_seconds",
      help: "Time to serve one prediction (features, model, response)",
      labelNames: ["model_name", "variant"],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
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
      const slots = pending.get(counter);
      if (!slots) return child(counter, labels).inc(value);
      slots.get(labels).n += value;
    },
    observe(h, labels, value) {
      if (h instanceof DeferredHistogram) h.observe(labels, value);
      else child(h, labels).observe(value);
    },
  };
}
