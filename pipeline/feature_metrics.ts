/**
 * Prometheus metrics of the feature pipeline (`features_*`), registered on
 * the `Registry` passed in (no global registry at import).
 *
 * @module
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import {
  computeWindowFeatures,
  type FeatureView,
  type OnlineEntityState,
  type RawValue,
  RowAssembler,
  SCALAR_KINDS,
} from "./features/mod.ts";
import type { FeatureRepository } from "./definitions/repository.ts";

/** How many recent values per feature the value gauges summarise. */
export const FEATURE_STATS_WINDOW = 5000;

/** A ring of the most recent values of one feature (NaN = null). */
class ValueRing {
  readonly values = new Float64Array(FEATURE_STATS_WINDOW);
  size = 0;
  next = 0;
  push(v: number) {
    this.values[this.next] = v;
    this.next = (this.next + 1) % FEATURE_STATS_WINDOW;
    if (this.size < FEATURE_STATS_WINDOW) this.size++;
  }
  summary(): { nullRate: number; min: number; max: number; mean: number } {
    let n = 0, nulls = 0, sum = 0, min = Infinity, max = -Infinity;
    for (let i = 0; i < this.size; i++) {
      const v = this.values[i];
      if (Number.isNaN(v)) {
        nulls++;
        continue;
      }
      n++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return {
      nullRate: this.size === 0 ? 0 : nulls / this.size,
      min: n ? min : 0,
      max: n ? max : 0,
      mean: n ? sum / n : 0,
    };
  }
}

/** The pipeline's metrics. */
export class FeatureMetrics {
  readonly events: Counter<"outcome">;
  readonly deadLetters: Counter<"reason">;
  readonly batchSeconds: Histogram;
  readonly freshnessSeconds: Histogram;
  readonly #rings = new Map<string, ValueRing>();
  /** Per source, the assembler of its request features computed from an event alone. */
  readonly #eventFeatures = new Map<string, RowAssembler>();

  /**
   * `extremes` also exports `features_value_min` and `features_value_max`:
   * raw values of recent events (the largest transaction amount) on an
   * unauthenticated `/metrics`, so off unless asked (`FEATURES_METRICS_EXTREMES`).
   * `repository` names the sources whose events feed the value gauges.
   */
  constructor(
    registry: Registry,
    options: { repository?: FeatureRepository; extremes?: boolean } = {},
  ) {
    const repository = options.repository;
    for (const source of repository?.sources ?? []) {
      const fields = new Set([...Object.keys(source.fields), "timestamp"]);
      const inputs = repository!.requestFeatures.filter((f) =>
        SCALAR_KINDS.has(f.transform.kind) && fields.has((f.transform as { source: string }).source)
      );
      if (inputs.length > 0) this.#eventFeatures.set(source.name, new RowAssembler({ inputs }));
    }
    const registers = [registry];
    this.events = new Counter({
      name: "features_events_total",
      help: "Events processed by outcome (accepted, duplicate, dead_lettered)",
      labelNames: ["outcome"],
      registers,
    });
    this.deadLetters = new Counter({
      name: "features_dead_letters_total",
      help: "Dead-lettered messages by reason",
      labelNames: ["reason"],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: "features_batch_duration_seconds",
      help: "processBatch latency",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.freshnessSeconds = new Histogram({
      name: "features_freshness_seconds",
      help: "Time from an event accepted by the pipeline to its features visible online",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const rings = this.#rings;
    const gauge = (
      name: string,
      help: string,
      pick: (s: ReturnType<ValueRing["summary"]>) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ["feature"],
        registers,
        collect() {
          for (const [feature, ring] of rings) this.set({ feature }, pick(ring.summary()));
        },
      });
    gauge(
      "features_value_null_rate",
      "Share of null values of a feature over recent writes",
      (s) => s.nullRate,
    );
    if (options.extremes) {
      gauge("features_value_min", "Minimum of a feature over recent writes", (s) => s.min);
      gauge("features_value_max", "Maximum of a feature over recent writes", (s) => s.max);
    }
    gauge("features_value_mean", "Mean of a feature over recent writes", (s) => s.mean);
  }

  /** Records one value of a feature (`null` or non-finite counts as null). */
  observeValue(feature: string, value: number | null | undefined): void {
    let ring = this.#rings.get(feature);
    if (!ring) this.#rings.set(feature, ring = new ValueRing());
    ring.push(typeof value === "number" && Number.isFinite(value) ? value : NaN);
  }

  /**
   * Records the windowed features of freshly written states (as of now, or
   * their newest event when later).
   */
  observeStates(view: FeatureView, states: Iterable<OnlineEntityState>, nowMs: number): void {
    for (const state of states) {
      const f = computeWindowFeatures(view, state, Math.max(nowMs, state.sealed));
      for (const k in f) this.observeValue(k, f[k]);
    }
  }

  /**
   * Records the request-time features that accepted events give on their
   * own (through the row assembler, as serving computes them); a missing
   * raw value (even one a default stands in for), or one the transform
   * cannot read, is null.
   */
  observeEvents(
    events: readonly { source: string; payload: Record<string, unknown>; timeMs: number }[],
  ): void {
    for (const e of events) {
      const rows = this.#eventFeatures.get(e.source);
      if (!rows) continue;
      const a = rows.assemble({
        fields: e.payload as Record<string, RawValue>,
        timeMs: e.timeMs,
      });
      const bad = new Set([
        ...a.missing,
        ...a.defaultsUsed,
        ...a.issues.map((i) => i.path.split(".").pop()!),
      ]);
      rows.names.forEach((name, i) => this.observeValue(name, bad.has(name) ? null : a.row[i]));
    }
  }

  /** Records that `n` events became visible online `seconds` after they were accepted. */
  observeFreshness(seconds: number, n: number): void {
    for (let i = 0; i < n; i++) this.freshnessSeconds.observe(seconds);
  }
}
