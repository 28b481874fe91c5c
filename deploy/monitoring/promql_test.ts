import assert from "node:assert/strict";
import { exposedNames, groupingLabels, metricNames, selectors } from "./promql.ts";

Deno.test("metricNames() returns selectors and skips functions, clauses and matchers", () => {
  assert.deepEqual(
    metricNames(
      `histogram_quantile(0.99, sum by (model_name, le) (rate(ml_prediction_duration_seconds_bucket{status!="x", job=~"a|b"}[5m])))`,
    ),
    ["ml_prediction_duration_seconds_bucket"],
  );
  assert.deepEqual(
    metricNames(
      "(sum(rate(ml_predictions_total[10m])) or vector(0)) == 0 and on (job) up offset 5m",
    ),
    ["ml_predictions_total", "up"],
  );
  assert.deepEqual(
    metricNames("a:b:rate5m / ignoring(reason) group_left(x) b_total > bool 1e3"),
    ["a:b:rate5m", "b_total"],
  );
});

Deno.test("metricNames() ignores durations in ranges, strings and Grafana variables", () => {
  assert.deepEqual(
    metricNames(`sum by (route) (rate(ml_api_requests_total{route="/predict"}[$__rate_interval]))`),
    ["ml_api_requests_total"],
  );
  assert.deepEqual(metricNames(`label_replace(up, "dst", "$1", "src", "(.*)")`), ["up"]);
});

Deno.test("exposedNames() expands histogram suffixes and reads sample lines", () => {
  const text = [
    "# HELP h Help",
    "# TYPE h histogram",
    "# TYPE c counter",
    'c{a="1"} 2',
    "g 3",
  ].join("\n");
  assert.deepEqual([...exposedNames(text)].sort(), ["c", "g", "h", "h_bucket", "h_count", "h_sum"]);
});

Deno.test("selectors() lists matcher label names per metric", () => {
  assert.deepEqual(
    selectors(`sum by (a) (rate(x_total{status!="ok", route=~"/p.*"}[5m])) / y`),
    [{ name: "x_total", labels: ["status", "route"] }, { name: "y", labels: [] }],
  );
});

Deno.test("groupingLabels() reads by and without clauses", () => {
  assert.deepEqual(
    groupingLabels("sum by (model, le) (rate(h[5m])) / sum without(instance) (c)"),
    ["instance", "le", "model"],
  );
});
