import assert from "node:assert/strict";
import { Histogram, Registry } from "prom-client";
import { DeferredHistogram } from "./deferred_histogram.ts";

const BUCKETS = [0.001, 0.01, 0.1, 1];

function pair() {
  const ours = new Registry();
  const theirs = new Registry();
  const options = {
    name: "h_seconds",
    help: "A histogram",
    labelNames: ["a", "b"] as ("a" | "b")[],
    buckets: BUCKETS,
  };
  const deferred = new DeferredHistogram<"a" | "b">({ ...options, registers: [ours] });
  const plain = new Histogram<"a" | "b">({ ...options, registers: [theirs] });
  return { ours, theirs, deferred, plain };
}

Deno.test("DeferredHistogram exposes exactly what prom-client's Histogram does, scrape after scrape", async () => {
  const { ours, theirs, deferred, plain } = pair();
  assert.equal(await ours.metrics(), await theirs.metrics());
  const values = [0, 0.001, 0.0011, 0.05, 0.1, 0.7, 1, 3, -2, 1e-9];
  const sets = [["x", "1"], ["y", "1"], ["x", "2"], ['a "quoted"\nvalue', "z"]];
  for (let scrape = 0; scrape < 4; scrape++) {
    for (let i = 0; i < 37 * (scrape + 1); i++) {
      const [a, b] = sets[(i * 5 + scrape) % sets.length];
      const v = values[(i * 7 + scrape) % values.length] * (1 + i / 1000);
      deferred.observe([a, b], v);
      plain.observe({ a, b }, v);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
    assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
  }
  // With a registry's default labels the same labels print in another order
  // (prom-client puts its own series labels last): the same series for Prometheus.
  ours.setDefaultLabels({ region: "eu" });
  theirs.setDefaultLabels({ region: "eu" });
  assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
  const sorted = async (r: Registry) =>
    (await r.metrics()).split("\n").map((line) => {
      const m = /^(\w+)\{(.*)\} (.*)$/.exec(line);
      return m ? `${m[1]}{${m[2].split(/,(?=\w+=")/).sort().join(",")}} ${m[3]}` : line;
    }).join("\n");
  assert.equal(await sorted(ours), await sorted(theirs));
});

Deno.test("DeferredHistogram reset() drops every series, as Registry.resetMetrics() does for prom-client", async () => {
  const { ours, theirs, deferred, plain } = pair();
  deferred.observe(["x", "1"], 0.5);
  plain.observe({ a: "x", b: "1" }, 0.5);
  ours.resetMetrics();
  theirs.resetMetrics();
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.doesNotMatch(await ours.metrics(), /h_seconds_count/);
  deferred.observe(["y", "2"], 0.02);
  plain.observe({ a: "y", b: "2" }, 0.02);
  assert.equal(await ours.metrics(), await theirs.metrics());
});

Deno.test("DeferredHistogram observe() rejects a non-finite value and a wrong number of labels", () => {
  const { ours, deferred } = pair();
  assert.throws(() => deferred.observe(["x", "1"], Number.NaN), /Value is not a valid number: NaN/);
  assert.throws(() => deferred.observe(["x"], 1), /takes 2 label values, got 1/);
  assert.equal(ours.getSingleMetric("h_seconds"), deferred as unknown);
});
