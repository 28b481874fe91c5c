/**
 * Feature drift: the population stability index (PSI) of each model input
 * over a sliding window of served feature vectors, against the training
 * baseline stored in the model manifest.
 *
 * Pure (no I/O, no timers): {@linkcode PsiDriftMonitor.observe} costs one
 * binary search per feature, so it runs on the prediction hot path. The
 * window is a ring of segments of bin counts: by count (the last N vectors,
 * in `segments` steps) or by time (the last `windowMs`, in `segments` steps).
 * {@linkcode createDriftGauge} exports the PSI as the gauge
 * `ml_feature_drift_psi{model_name,model_version,feature}`, computed when
 * the registry is scraped.
 *
 * @example
 * ```ts
 * import { Registry } from "prom-client";
 * import { createDriftGauge, PsiDriftMonitor } from "./drift.ts";
 *
 * const registry = new Registry();
 * const gauge = createDriftGauge(registry);
 * const monitor = new PsiDriftMonitor({
 *   modelName: "fraud_detector",
 *   modelVersion: "3",
 *   baseline: { amount_log: { edges: [2, 4, 6], frequencies: [0.1, 0.4, 0.4, 0.1] } },
 *   minSamples: 1,
 * });
 * gauge.add(monitor);
 * monitor.observe([3.1], ["amount_log"]);
 * await registry.metrics(); // ml_feature_drift_psi{...,feature="amount_log"} ...
 * ```
 *
 * @module
 */
import { Gauge, type Registry } from "prom-client";
import type { z } from "zod";
import type { FeatureBaselineSchema } from "../schemas/manifest.ts";
import { binIndex } from "../pipeline/drift_bins.ts";

/** Training baseline of one feature (see `FeatureBaselineSchema`). */
export type FeatureBaseline = z.infer<typeof FeatureBaselineSchema>;

/** The sliding window: the last `size` vectors, or the last `windowMs` milliseconds. */
export type DriftWindow =
  | { kind: "count"; size: number; segments?: number }
  | { kind: "time"; windowMs: number; segments?: number };

/** Options of {@linkcode PsiDriftMonitor}. */
export interface PsiDriftMonitorOptions {
  /** Model name, used as the `model_name` label. */
  modelName: string;
  /** Model version, used as the `model_version` label. */
  modelVersion: string;
  /** The manifest's `baseline`: feature name to bins and frequencies. */
  baseline: Record<string, FeatureBaseline>;
  /**
   * Sliding window; default the last 10 000 vectors in 10 segments. The
   * window drops one whole segment at a time, so it holds between
   * `size - size / segments` and `size` vectors (or that much time).
   */
  window?: DriftWindow;
  /** Floor applied to both fractions before the logarithm; default 1e-4. */
  epsilon?: number;
  /** Fewer observations than this in the window: no PSI for the feature; default 100. */
  minSamples?: number;
  /** Clock for time windows (ms); default `Date.now`. */
  now?: () => number;
}

/** A feature of the baseline that cannot be monitored, and why. */
export interface IgnoredFeature {
  /** The feature name. */
  feature: string;
  /** Why it is ignored. */
  reason: string;
}

interface Tracked {
  name: string;
  edges: Float64Array;
  expected: Float64Array;
  offset: number;
}

/** What the window holds for one feature. */
export interface FeatureWindowStats {
  /** Finite observations. */
  samples: number;
  /** Null or non-finite observations over all observations (0 when none). */
  nullRatio: number;
  /** Smallest finite value. */
  min?: number;
  /** Largest finite value. */
  max?: number;
}

function emptyStats(features: number): Float64Array {
  const st = new Float64Array(features * 3);
  for (let i = 0; i < features; i++) {
    st[i * 3 + 1] = Number.POSITIVE_INFINITY;
    st[i * 3 + 2] = Number.NEGATIVE_INFINITY;
  }
  return st;
}

const DEFAULT_WINDOW: DriftWindow = { kind: "count", size: 10_000, segments: 10 };

/**
 * Population stability index of `actual` counts against `expected`
 * fractions: sum of (a - e) * ln(a / e) over bins, both fractions floored at
 * `epsilon` so an empty bin does not make it infinite.
 */
export function populationStabilityIndex(
  expected: ArrayLike<number>,
  actual: ArrayLike<number>,
  epsilon = 1e-4,
): number {
  let expectedTotal = 0;
  let actualTotal = 0;
  for (let i = 0; i < expected.length; i++) {
    expectedTotal += expected[i];
    actualTotal += actual[i];
  }
  if (actualTotal === 0 || expectedTotal === 0) return 0;
  let psi = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] / expectedTotal, epsilon);
    const a = Math.max(actual[i] / actualTotal, epsilon);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

function checkBaseline(b: FeatureBaseline): string | undefined {
  if (b.frequencies.length !== b.edges.length + 1) {
    return `expected ${b.edges.length + 1} frequencies, got ${b.frequencies.length}`;
  }
  for (let i = 1; i < b.edges.length; i++) {
    if (!(b.edges[i] > b.edges[i - 1])) return `edges are not ascending at index ${i}`;
  }
  if (!b.frequencies.some((f) => f > 0)) return "frequencies are all zero";
  return undefined;
}

/**
 * Population stability index per feature over a sliding window of served
 * feature vectors. Features of the baseline that are malformed are listed in
 * {@linkcode PsiDriftMonitor.ignored} instead of failing the model load.
 */
export class PsiDriftMonitor {
  /** The `model_name` label. */
  readonly modelName: string;
  /** The `model_version` label. */
  readonly modelVersion: string;
  /** Baseline features that cannot be monitored. */
  readonly ignored: IgnoredFeature[] = [];
  readonly #features: Tracked[] = [];
  readonly #byName = new Map<string, number>();
  readonly #segments: Uint32Array[];
  readonly #totals: Float64Array;
  /** Per segment and feature: [null count, min, max]. */
  readonly #stats: Float64Array[];
  readonly #epsilon: number;
  readonly #minSamples: number;
  readonly #now: () => number;
  readonly #window: DriftWindow;
  readonly #segmentSpan: number;
  #current = 0;
  #currentFill = 0;
  #currentSlot = Number.NaN;
  #lastNames: readonly string[] | undefined;
  #lastMap: Int32Array = new Int32Array(0);

  constructor(options: PsiDriftMonitorOptions) {
    this.modelName = options.modelName;
    this.modelVersion = options.modelVersion;
    this.#epsilon = options.epsilon ?? 1e-4;
    this.#minSamples = options.minSamples ?? 100;
    this.#now = options.now ?? Date.now;
    this.#window = options.window ?? DEFAULT_WINDOW;
    const segments = Math.max(1, Math.floor(this.#window.segments ?? 10));
    const span = this.#window.kind === "count" ? this.#window.size : this.#window.windowMs;
    if (!(span > 0)) throw new RangeError(`Drift window must be positive: ${span}`);
    this.#segmentSpan = Math.max(1, Math.ceil(span / segments));
    let offset = 0;
    for (const [name, b] of Object.entries(options.baseline)) {
      const problem = checkBaseline(b);
      if (problem) {
        this.ignored.push({ feature: name, reason: problem });
        continue;
      }
      this.#byName.set(name, this.#features.length);
      this.#features.push({
        name,
        edges: Float64Array.from(b.edges),
        expected: Float64Array.from(b.frequencies),
        offset,
      });
      offset += b.frequencies.length;
    }
    this.#segments = Array.from({ length: segments }, () => new Uint32Array(offset));
    this.#totals = new Float64Array(offset);
    this.#stats = Array.from({ length: segments }, () => emptyStats(this.#features.length));
  }

  /** Names of the monitored features. */
  get features(): string[] {
    return this.#features.map((f) => f.name);
  }

  /**
   * Records one served feature vector; `inputNames[i]` names `vector[i]`.
   * Inputs without a baseline and non-finite values are skipped. Pass the
   * same `inputNames` array each call: its name lookup is then cached.
   */
  observe(vector: ArrayLike<number>, inputNames: readonly string[]): void {
    this.#record(vector, 0, this.#mapFor(inputNames));
  }

  /** Records `rows` vectors stored row-major in `data` (as fed to the model). */
  observeRows(data: ArrayLike<number>, rows: number, inputNames: readonly string[]): void {
    const map = this.#mapFor(inputNames);
    for (let r = 0; r < rows; r++) this.#record(data, r * inputNames.length, map);
  }

  /** Observations per feature currently in the window. */
  samples(): Record<string, number> {
    this.#expireByTime();
    const out: Record<string, number> = {};
    for (const f of this.#features) out[f.name] = this.#count(f);
    return out;
  }

  /**
   * PSI per monitored feature over the window. Features with fewer than
   * `minSamples` observations in the window are left out.
   */
  psi(): Record<string, number> {
    this.#expireByTime();
    const out: Record<string, number> = {};
    for (const f of this.#features) {
      const n = this.#count(f);
      if (n === 0 || n < this.#minSamples) continue;
      const actual = this.#totals.subarray(f.offset, f.offset + f.expected.length);
      out[f.name] = populationStabilityIndex(f.expected, actual, this.#epsilon);
    }
    return out;
  }

  /**
   * Per monitored feature over the window: finite observations, share of
   * null or non-finite values, and the smallest and largest finite value
   * (absent while the window holds no finite value).
   */
  stats(): Record<string, FeatureWindowStats> {
    this.#expireByTime();
    const out: Record<string, FeatureWindowStats> = {};
    this.#features.forEach((f, fi) => {
      let nulls = 0;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const st of this.#stats) {
        nulls += st[fi * 3];
        min = Math.min(min, st[fi * 3 + 1]);
        max = Math.max(max, st[fi * 3 + 2]);
      }
      const samples = this.#count(f);
      const seen = samples + nulls;
      out[f.name] = {
        samples,
        nullRatio: seen === 0 ? 0 : nulls / seen,
        ...(samples > 0 ? { min, max } : {}),
      };
    });
    return out;
  }

  /** Empties the window. */
  reset(): void {
    for (const seg of this.#segments) seg.fill(0);
    for (const st of this.#stats) st.set(emptyStats(this.#features.length));
    this.#totals.fill(0);
    this.#currentFill = 0;
    this.#currentSlot = Number.NaN;
  }

  #record(data: ArrayLike<number>, base: number, map: Int32Array): void {
    this.#advance();
    const seg = this.#segments[this.#current];
    const st = this.#stats[this.#current];
    for (let i = 0; i < map.length; i++) {
      const fi = map[i];
      if (fi < 0) continue;
      const value = data[base + i];
      if (!Number.isFinite(value)) {
        st[fi * 3]++;
        continue;
      }
      if (value < st[fi * 3 + 1]) st[fi * 3 + 1] = value;
      if (value > st[fi * 3 + 2]) st[fi * 3 + 2] = value;
      const f = this.#features[fi];
      const slot = f.offset + binIndex(f.edges, value);
      seg[slot]++;
      this.#totals[slot]++;
    }
  }

  #count(f: Tracked): number {
    let n = 0;
    for (let i = 0; i < f.expected.length; i++) n += this.#totals[f.offset + i];
    return n;
  }

  #mapFor(inputNames: readonly string[]): Int32Array {
    if (inputNames === this.#lastNames) return this.#lastMap;
    const map = new Int32Array(inputNames.length);
    for (let i = 0; i < inputNames.length; i++) map[i] = this.#byName.get(inputNames[i]) ?? -1;
    this.#lastNames = inputNames;
    this.#lastMap = map;
    return map;
  }

  /** Moves the ring forward before recording one vector. */
  #advance(): void {
    if (this.#window.kind === "time") {
      this.#expireByTime();
      return;
    }
    if (this.#currentFill >= this.#segmentSpan) {
      this.#rotate(1);
      this.#currentFill = 0;
    }
    this.#currentFill++;
  }

  #expireByTime(): void {
    if (this.#window.kind !== "time") return;
    const slot = Math.floor(this.#now() / this.#segmentSpan);
    if (Number.isNaN(this.#currentSlot)) {
      this.#currentSlot = slot;
      return;
    }
    if (slot <= this.#currentSlot) return;
    this.#rotate(Math.min(slot - this.#currentSlot, this.#segments.length));
    this.#currentSlot = slot;
  }

  /** Drops the `steps` oldest segments and makes the newest current. */
  #rotate(steps: number): void {
    for (let s = 0; s < steps; s++) {
      this.#current = (this.#current + 1) % this.#segments.length;
      this.#stats[this.#current].set(emptyStats(this.#features.length));
      const seg = this.#segments[this.#current];
      for (let i = 0; i < seg.length; i++) {
        if (seg[i] !== 0) {
          this.#totals[i] -= seg[i];
          seg[i] = 0;
        }
      }
    }
  }
}

/** The drift gauge of one registry; monitors are added and removed as models load and unload. */
export interface DriftGauge {
  /** Starts exporting `monitor` (replaces one with the same model name and version). */
  add(monitor: PsiDriftMonitor): void;
  /** Stops exporting the monitor of this model version. */
  remove(modelName: string, modelVersion: string): void;
  /** The monitor of this model version, if any. */
  get(modelName: string, modelVersion: string): PsiDriftMonitor | undefined;
}

/** Name of the drift gauge. */
export const DRIFT_METRIC_NAME = "ml_feature_drift_psi";

/** Names of every gauge {@linkcode createDriftGauge} can register (the last two are opt-in). */
export const FEATURE_METRIC_NAMES = [
  DRIFT_METRIC_NAME,
  "ml_feature_null_ratio",
  "ml_feature_value_min",
  "ml_feature_value_max",
] as const;

const LABELS = ["model_name", "model_version", "feature"] as const;

/**
 * Registers on `registry`, computed from the added monitors at scrape time:
 * `ml_feature_drift_psi` and `ml_feature_null_ratio`, plus, only when
 * `extremes` is set, `ml_feature_value_min` and `ml_feature_value_max`
 * (raw values of requests, such as the largest transaction amount, on an
 * unauthenticated `/metrics`); each `{model_name,model_version,feature}`.
 */
export function createDriftGauge(
  registry: Registry,
  options: { extremes?: boolean } = {},
): DriftGauge {
  const monitors = new Map<string, PsiDriftMonitor>();
  const key = (name: string, version: string) => `${name}\u0000${version}`;
  const labels = (m: PsiDriftMonitor, feature: string) => ({
    model_name: m.modelName,
    model_version: m.modelVersion,
    feature,
  });
  new Gauge({
    name: DRIFT_METRIC_NAME,
    help: "Population stability index of a model input over the sliding window vs training",
    labelNames: LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const m of monitors.values()) {
        for (const [feature, value] of Object.entries(m.psi())) this.set(labels(m, feature), value);
      }
    },
  });
  const statGauge = (
    name: string,
    help: string,
    pick: (s: FeatureWindowStats) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const m of monitors.values()) {
          for (const [feature, st] of Object.entries(m.stats())) {
            const v = pick(st);
            if (v !== undefined) this.set(labels(m, feature), v);
          }
        }
      },
    });
  statGauge(
    "ml_feature_null_ratio",
    "Share of null or non-finite values of a model input over the window",
    (s) => s.samples + s.nullRatio > 0 ? s.nullRatio : undefined,
  );
  if (options.extremes) {
    statGauge(
      "ml_feature_value_min",
      "Smallest value of a model input over the window",
      (s) => s.min,
    );
    statGauge(
      "ml_feature_value_max",
      "Largest value of a model input over the window",
      (s) => s.max,
    );
  }
  return {
    add(monitor) {
      monitors.set(key(monitor.modelName, monitor.modelVersion), monitor);
    },
    remove(modelName, modelVersion) {
      monitors.delete(key(modelName, modelVersion));
    },
    get(modelName, modelVersion) {
      return monitors.get(key(modelName, modelVersion));
    },
  };
}
