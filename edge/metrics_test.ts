import assert from "node:assert/strict";
import { Histogram, Registry } from "prom-client";
import { createEdgeMetrics } from "./metrics.ts";

Deno.test("createEdgeMetrics() observe exposes exactly what prom-client's Histogram would", async () => {
  const m = createEdgeMetrics(new Registry());
  const plainRegistry = new Registry();
  const plain = new Histogram({
    name: "ml_prediction_duration_seconds",
    help: "Time to serve one prediction (features, model, response)",
    labelNames: ["model_name", "variant"],
    buckets: [
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
    ],
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
