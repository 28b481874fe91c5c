import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { binIndex } from "../pipeline/drift_bins.ts";
import {
  createDriftGauge,
  type FeatureBaseline,
  populationStabilityIndex,
  PsiDriftMonitor,
} from "./drift.ts";

/** Deterministic PRNG (mulberry32) so the streams are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box-Muller. */
function normal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Baseline of N(0, 1) with deciles-ish edges, as a trainer would compute it. */
function normalBaseline(random: () => number): FeatureBaseline {
  const edges = [-1.5, -1, -0.5, 0, 0.5, 1, 1.5];
  const counts = new Array(edges.length + 1).fill(0);
  const n = 50_000;
  for (let i = 0; i < n; i++) counts[binIndex(edges, normal(random))]++;
  return { edges, frequencies: counts.map((c) => c / n) };
}

const NAMES = ["amount_log", "hour_of_day", "not_monitored"];

function monitorFor(baseline: Record<string, FeatureBaseline>, size = 5_000) {
  return new PsiDriftMonitor({
    modelName: "fraud_detector",
    modelVersion: "3",
    baseline,
    window: { kind: "count", size, segments: 5 },
  });
}

Deno.test("populationStabilityIndex() is 0 for identical distributions and finite with empty bins", () => {
  assert.equal(populationStabilityIndex([0.25, 0.25, 0.5], [25, 25, 50]), 0);
  const withEmpty = populationStabilityIndex([0.5, 0.5, 0], [0, 50, 50], 1e-4);
  assert.ok(Number.isFinite(withEmpty));
  assert.ok(withEmpty > 1);
});

Deno.test("PsiDriftMonitor.psi() stays low on a stream from the training distribution", () => {
  const random = rng(7);
  const baseline = { amount_log: normalBaseline(random), hour_of_day: normalBaseline(random) };
  const monitor = monitorFor(baseline);
  for (let i = 0; i < 5_000; i++) {
    monitor.observe([normal(random), normal(random), 42], NAMES);
  }
  const psi = monitor.psi();
  assert.deepEqual(Object.keys(psi).sort(), ["amount_log", "hour_of_day"]);
  assert.ok(psi.amount_log < 0.02, `amount_log PSI ${psi.amount_log}`);
  assert.ok(psi.hour_of_day < 0.02, `hour_of_day PSI ${psi.hour_of_day}`);
});

Deno.test("PsiDriftMonitor.psi() is high for the feature whose stream shifted", () => {
  const random = rng(11);
  const baseline = { amount_log: normalBaseline(random), hour_of_day: normalBaseline(random) };
  const monitor = monitorFor(baseline);
  const vector = new Float32Array(3);
  for (let i = 0; i < 5_000; i++) {
    vector[0] = normal(random) + 1.5; // shifted by 1.5 standard deviations
    vector[1] = normal(random);
    vector[2] = 0;
    monitor.observe(vector, NAMES);
  }
  const psi = monitor.psi();
  assert.ok(psi.amount_log > 1, `amount_log PSI ${psi.amount_log}`);
  assert.ok(psi.hour_of_day < 0.02, `hour_of_day PSI ${psi.hour_of_day}`);
});

Deno.test("PsiDriftMonitor count window forgets vectors older than the window", () => {
  const random = rng(3);
  const monitor = monitorFor({ amount_log: normalBaseline(random) }, 1_000);
  for (let i = 0; i < 1_000; i++) monitor.observe([normal(random) + 3], NAMES);
  assert.ok(monitor.psi().amount_log > 1);
  for (let i = 0; i < 1_000; i++) monitor.observe([normal(random)], NAMES);
  assert.ok(monitor.psi().amount_log < 0.05, `PSI ${monitor.psi().amount_log}`);
  assert.ok(monitor.samples().amount_log <= 1_000);
  assert.ok(monitor.samples().amount_log >= 800);
});

Deno.test("PsiDriftMonitor time window forgets vectors older than windowMs", () => {
  const random = rng(5);
  let now = 1_000_000;
  const monitor = new PsiDriftMonitor({
    modelName: "m",
    modelVersion: "1",
    baseline: { amount_log: normalBaseline(random) },
    window: { kind: "time", windowMs: 60_000, segments: 6 },
    minSamples: 10,
    now: () => now,
  });
  for (let i = 0; i < 500; i++) monitor.observe([normal(random) + 3], ["amount_log"]);
  assert.ok(monitor.psi().amount_log > 1);
  now += 30_000;
  assert.equal(monitor.samples().amount_log, 500);
  now += 31_000;
  assert.equal(monitor.samples().amount_log, 0);
  assert.deepEqual(monitor.psi(), {});
  for (let i = 0; i < 500; i++) monitor.observe([normal(random)], ["amount_log"]);
  assert.ok(monitor.psi().amount_log < 0.1);
});

Deno.test("PsiDriftMonitor.psi() leaves out features below minSamples and skips non-finite values", () => {
  const monitor = new PsiDriftMonitor({
    modelName: "m",
    modelVersion: "1",
    baseline: { a: { edges: [0], frequencies: [0.5, 0.5] } },
    minSamples: 3,
  });
  monitor.observe([1], ["a"]);
  monitor.observe([Number.NaN], ["a"]);
  monitor.observe([-1], ["a"]);
  assert.deepEqual(monitor.psi(), {});
  monitor.observe([Number.POSITIVE_INFINITY], ["a"]);
  monitor.observe([-2], ["a"]);
  assert.deepEqual(monitor.samples(), { a: 3 });
  assert.ok(Number.isFinite(monitor.psi().a));
});

Deno.test("PsiDriftMonitor.observeRows() records a row-major batch like single observes", () => {
  const baseline = { a: { edges: [0, 1], frequencies: [0.3, 0.4, 0.3] } };
  const one = new PsiDriftMonitor({ modelName: "m", modelVersion: "1", baseline, minSamples: 1 });
  const batch = new PsiDriftMonitor({ modelName: "m", modelVersion: "1", baseline, minSamples: 1 });
  const rows = [[-1, 9], [0.5, 9], [2, 9], [3, 9]];
  for (const r of rows) one.observe(r, ["a", "b"]);
  batch.observeRows(Float32Array.from(rows.flat()), rows.length, ["a", "b"]);
  assert.deepEqual(batch.psi(), one.psi());
});

Deno.test("PsiDriftMonitor lists malformed baseline features as ignored", () => {
  const monitor = new PsiDriftMonitor({
    modelName: "m",
    modelVersion: "1",
    baseline: {
      ok: { edges: [0], frequencies: [0.5, 0.5] },
      short: { edges: [0, 1], frequencies: [1] },
      unsorted: { edges: [2, 1], frequencies: [0.3, 0.3, 0.4] },
    },
  });
  assert.deepEqual(monitor.features, ["ok"]);
  assert.deepEqual(monitor.ignored.map((i) => i.feature), ["short", "unsorted"]);
});

Deno.test("createDriftGauge() exports ml_feature_drift_psi per model version and feature", async () => {
  const registry = new Registry();
  const gauge = createDriftGauge(registry);
  const baseline = { amount_log: { edges: [0], frequencies: [0.5, 0.5] } };
  const monitor = new PsiDriftMonitor({
    modelName: "fraud_detector",
    modelVersion: "3",
    baseline,
    minSamples: 1,
  });
  gauge.add(monitor);
  for (let i = 0; i < 10; i++) monitor.observe([1], ["amount_log"]);
  const text = await registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith("ml_feature_drift_psi{"));
  assert.ok(line, text);
  assert.match(line, /model_name="fraud_detector",model_version="3",feature="amount_log"/);
  assert.ok(Number(line.split(" ").at(-1)) > 1);
  gauge.remove("fraud_detector", "3");
  const after = await registry.metrics();
  assert.ok(!after.includes("ml_feature_drift_psi{"), after);
});

Deno.test("PsiDriftMonitor.stats() reports null ratio and range over the window only", () => {
  const monitor = new PsiDriftMonitor({
    modelName: "m",
    modelVersion: "1",
    baseline: { a: { edges: [0], frequencies: [0.5, 0.5] } },
    window: { kind: "count", size: 4, segments: 2 },
  });
  assert.deepEqual(monitor.stats(), { a: { samples: 0, nullRatio: 0 } });
  monitor.observe([100], ["a"]);
  monitor.observe([Number.NaN], ["a"]);
  monitor.observe([-5], ["a"]);
  monitor.observe([2], ["a"]);
  assert.deepEqual(monitor.stats(), { a: { samples: 3, nullRatio: 0.25, min: -5, max: 100 } });
  monitor.observe([1], ["a"]); // drops the first segment: 100 and NaN
  assert.deepEqual(monitor.stats(), { a: { samples: 3, nullRatio: 0, min: -5, max: 2 } });
});

Deno.test("createDriftGauge() exports null ratio and, when asked, value range gauges", async () => {
  const registry = new Registry();
  const gauge = createDriftGauge(registry, { extremes: true });
  const monitor = new PsiDriftMonitor({
    modelName: "m",
    modelVersion: "1",
    baseline: { a: { edges: [0], frequencies: [0.5, 0.5] } },
  });
  gauge.add(monitor);
  monitor.observe([3], ["a"]);
  monitor.observe([Number.NaN], ["a"]);
  monitor.observe([-1], ["a"]);
  monitor.observe([7], ["a"]);
  const text = await registry.metrics();
  const value = (name: string) =>
    Number(text.split("\n").find((l) => l.startsWith(`${name}{`))?.split(" ").at(-1));
  assert.equal(value("ml_feature_null_ratio"), 0.25);
  assert.equal(value("ml_feature_value_min"), -1);
  assert.equal(value("ml_feature_value_max"), 7);
  // Fewer than minSamples (100) observations: no PSI yet.
  assert.ok(!text.includes("ml_feature_drift_psi{"), text);
});

Deno.test("createDriftGauge() keeps raw input extremes off /metrics by default", async () => {
  const registry = new Registry();
  const gauge = createDriftGauge(registry);
  const monitor = new PsiDriftMonitor({
    modelName: "m",
    modelVersion: "1",
    baseline: { amount: { edges: [0], frequencies: [0.5, 0.5] } },
  });
  gauge.add(monitor);
  monitor.observe([98765.43], ["amount"]);
  const text = await registry.metrics();
  assert.match(text, /ml_feature_null_ratio\{/);
  assert.ok(!text.includes("ml_feature_value_max") && !text.includes("98765"), text);
});
