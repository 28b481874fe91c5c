import assert from "node:assert/strict";
import { Counter, Histogram, Registry } from "prom-client";
import { createEdgeMetrics, LATENCY_BUCKETS } from "./metrics.ts";

Deno.test("createEdgeMetrics() observe exposes exactly what prom-client's Histogram would", async () => {
  const m = createEdgeMetrics(new Registry());
  const plainRegistry = new Registry();
  const plain = new Histogram({
    name: "ml_prediction_duration_seconds",
    help: "Time to serve one prediction (features, model, response)",
    labelNames: ["model_name", "variant"],
    buckets: LATENCY_BUCKETS,
    registers: [plainRegistry],
  });
  const values = [0, 0.00005, 0.00007, 0.001, 0.0011, 0.3, 1, 1.5, 42, -1];
  const labelSets = [["m", "champion"], ["m", "challenger"], ["other", "pinned"]];
  const text = (r: Registry) => r.getSingleMetricAsString("ml_prediction_duration_seconds");
  for (let scrape = 0; scrape < 3; scrape++) {
    for (let i = 0; i < 50 * (scrape + 1); i++) {
      const labels = labelSets[(i * 7 + scrape) % labelSets.length];
      const v = values[(i * 3) % values.length];
      m.observe(m.predictionDuration, labels, v);
      plain.observe({ model_name: labels[0], variant: labels[1] }, v);
    }
    assert.equal(await text(m.registry), await text(plainRegistry));
  }
  m.registry.resetMetrics();
  plain.reset();
  m.observe(m.predictionDuration, ["m", "champion"], 0.002);
  plain.observe({ model_name: "m", variant: "champion" }, 0.002);
  assert.equal(await text(m.registry), await text(plainRegistry));
  assert.throws(() => m.observe(m.predictionDuration, ["m", "x"], Number.NaN), TypeError);
});

Deno.test("createEdgeMetrics() inc exposes exactly what prom-client's Counter would", async () => {
  const m = createEdgeMetrics(new Registry());
  const plainRegistry = new Registry();
  const plain = new Counter({
    name: "ml_predictions_total",
    help: "Predictions served, by model, version, status and A/B variant",
    labelNames: ["model_name", "model_version", "status", "variant"],
    registers: [plainRegistry],
  });
  const sets = [
    ["m", "1", "success", "champion"],
    ["m", "1", "success", "challenger"],
    ["m", "1", "error", "champion"],
    ["m", "2", "success", "champion"],
    ["n", "1", "success", "champion"],
  ];
  const text = (r: Registry) => r.getSingleMetricAsString("ml_predictions_total");
  for (let scrape = 0; scrape < 3; scrape++) {
    for (let i = 0; i < 40 * (scrape + 1); i++) {
      const [model_name, model_version, status, variant] = sets[(i * 3 + scrape) % sets.length];
      m.inc(m.predictions, [model_name, model_version, status, variant], 1 + (i % 2));
      plain.inc({ model_name, model_version, status, variant }, 1 + (i % 2));
    }
    assert.equal(await text(m.registry), await text(plainRegistry));
  }
});
