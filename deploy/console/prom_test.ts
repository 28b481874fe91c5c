import assert from "node:assert/strict";
import { Histogram, Registry } from "prom-client";
import { bucketsOf, histogramQuantile, MetricsSampler, parsePrometheusText } from "./prom.ts";
import { counterQuantile } from "./data.ts";
import { driftAlertThreshold } from "./mod.ts";

Deno.test("parsePrometheusText() keeps the labels of every histogram series", async () => {
  const registry = new Registry();
  const h = new Histogram({
    name: "h_seconds",
    help: "x",
    labelNames: ["source"],
    buckets: [0.1, 1],
    registers: [registry],
  });
  h.observe({ source: "kafka" }, 0.05);
  h.observe({ source: "http" }, 0.5);
  h.observe({ source: "http" }, 5);
  const samples = parsePrometheusText(await registry.metrics());
  const http = bucketsOf(samples, "h_seconds", (l) => l.source === "http");
  assert.deepEqual(http, [[0.1, 0], [1, 1], [Infinity, 2]]);
  assert.equal(
    samples.find((s) => s.name === "h_seconds_count" && s.labels.source === "kafka")?.value,
    1,
  );
  assert.deepEqual(parsePrometheusText('x{a="q\\"uote"} 3 1700000000\nbad line\n'), [
    { name: "x", labels: { a: 'q"uote' }, value: 3 },
  ]);
});

Deno.test("histogramQuantile() interpolates inside the bucket as Prometheus does", () => {
  assert.equal(histogramQuantile(0.5, [[1, 0], [2, 10], [Infinity, 10]]), 1.5);
  assert.equal(histogramQuantile(0.99, [[1, 5], [Infinity, 10]]), 1);
  assert.equal(histogramQuantile(0.5, [[1, 0], [Infinity, 0]]), null);
});

Deno.test("counterQuantile() reads the edge's per-bucket latency counts", () => {
  // 10 requests at ≤ 0.5 ms and 10 at ≤ 2 ms (per-bucket, not cumulative).
  assert.equal(counterQuantile(0.5, { requests: "20", "le_0.5": "10", le_2: "10" }), 0.5);
  assert.equal(counterQuantile(0.99, { requests: "20", "le_0.5": "10", le_2: "10" }), 1.98);
});

Deno.test("MetricsSampler.sample() records what each source said, and why one failed", async () => {
  let n = 0;
  const sampler = new MetricsSampler({
    sources: [
      { name: "a", read: () => Promise.resolve(`c_total ${++n}\n`) },
      { name: "b", read: () => Promise.reject(new Error("refused")) },
    ],
    keep: 2,
  });
  await sampler.sample();
  await sampler.sample();
  const last = await sampler.sample();
  assert.equal(sampler.snapshots().length, 2);
  assert.deepEqual(last.samples, [{ name: "c_total", labels: { __source: "a" }, value: 3 }]);
  assert.deepEqual(last.errors, [{ source: "b", message: "refused" }]);
});

Deno.test("driftAlertThreshold() is the PSI of the drift alert rule", () => {
  assert.equal(driftAlertThreshold(), 0.25);
  assert.throws(() => driftAlertThreshold("groups: []"), /Cannot find the drift alert/);
});
