/**
 * Every metric a Prometheus rule, a Grafana panel or an autoscaler names must
 * be one the code really exports, with the labels the expression uses.
 *
 * The names come from each part as it runs: the edge app built in-process
 * (`createApp`, then `GET /metrics`), a worker's app (`createWorkerApp`, then
 * `GET /metrics`) over ingest metrics plus the feature pipeline's, as one
 * worker process registers them, and the registry sync worker's metrics.
 *
 * prom-client's default process metrics (`collectDefaultMetrics`) are not
 * registered by any part yet; the System dashboard's memory, CPU and event
 * loop panels name them. They are accepted only while listed in
 * {@linkcode AWAITING_DEFAULT_METRICS} and only if prom-client really
 * produces them under Deno, so a typo still fails.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createApp, defaultEdgeConfig, RegistryModelSource } from "../../edge/mod.ts";
import { LocalRegistry } from "../../registry/local.ts";
import { createIngestMetrics } from "../../ingest-workers/ingest_metrics.ts";
import { createWorkerApp } from "../../ingest-workers/server.ts";
import { FeatureMetrics } from "../../pipeline/feature_metrics.ts";
import { createRegistryMetrics } from "../../registry/registry_metrics.ts";
import { buildDashboards, dashboardExpressions } from "../../deploy/monitoring/dashboards.ts";
import {
  exposedNames,
  groupingLabels,
  metricNames,
  selectors,
  SYNTHETIC_METRICS,
} from "../../deploy/monitoring/promql.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const RULES = `${ROOT}deploy/monitoring/prometheus/rules/`;
/** Labels Prometheus adds to every series of a target, and histogram/summary labels. */
const TARGET_LABELS = new Set(["job", "instance", "region", "le", "quantile"]);
/**
 * Default prom-client metrics the dashboards use before the parts register
 * them (`collectDefaultMetrics({ register })` in each process).
 */
const AWAITING_DEFAULT_METRICS = new Set([
  "process_resident_memory_bytes",
  "process_cpu_seconds_total",
  "nodejs_eventloop_lag_p99_seconds",
]);

interface Exported {
  /** Sample names (histograms with `_bucket`, `_sum`, `_count`) to the part that exports them. */
  names: Map<string, string>;
  /** Base metric name to its label names. */
  labels: Map<string, Set<string>>;
}

function addRegistry(into: Exported, part: string, registry: Registry): void {
  for (const m of registry.getMetricsAsArray()) {
    const names = (m as unknown as { labelNames?: string[] }).labelNames ?? [];
    into.labels.set(m.name, new Set(names));
  }
  void part;
}

function addText(into: Exported, part: string, text: string): void {
  for (const name of exposedNames(text)) if (!into.names.has(name)) into.names.set(name, part);
}

async function collectExported(): Promise<Exported> {
  const out: Exported = { names: new Map(), labels: new Map() };

  // The edge, scraped through its own /metrics route.
  const root = await Deno.makeTempDir({ prefix: "ops_metrics_" });
  const edgeRegistry = new Registry();
  const app = createApp({
    config: defaultEdgeConfig(),
    models: new RegistryModelSource(new LocalRegistry({ root })),
    registry: edgeRegistry,
  });
  try {
    const res = await app.request("/metrics");
    assert.equal(res.status, 200, "edge /metrics");
    addText(out, "edge", await res.text());
    addRegistry(out, "edge", edgeRegistry);
  } finally {
    await app.close();
    await Deno.remove(root, { recursive: true });
  }

  // A regional worker: ingest metrics and the pipeline's on one registry,
  // scraped through the worker's own /metrics route.
  const worker = new Registry();
  createIngestMetrics(worker);
  new FeatureMetrics(worker);
  const workerApp = createWorkerApp({
    source: "kafka",
    registry: worker,
    status: () => ({ state: "running", sourceReady: true }),
  });
  const workerRes = await workerApp.request("/metrics");
  assert.equal(workerRes.status, 200, "worker /metrics");
  addText(out, "worker", await workerRes.text());
  addRegistry(out, "worker", worker);

  // The registry sync worker and rollout controller.
  const registry = new Registry();
  createRegistryMetrics(registry);
  addText(out, "registry", await registry.metrics());
  addRegistry(out, "registry", registry);

  return out;
}

interface RuleFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[];
}

async function loadRules(): Promise<{ where: string; expr: string; record?: string }[]> {
  const out: { where: string; expr: string; record?: string }[] = [];
  for await (const e of Deno.readDir(RULES)) {
    const file: RuleFile = parse(await Deno.readTextFile(`${RULES}${e.name}`));
    for (const g of file.groups) {
      for (const r of g.rules) {
        out.push({ where: `${e.name} / ${r.record ?? r.alert}`, expr: r.expr, record: r.record });
      }
    }
  }
  return out;
}

async function promClientDefaults(): Promise<Exported> {
  const out: Exported = { names: new Map(), labels: new Map() };
  const process = new Registry();
  collectDefaultMetrics({ register: process });
  addText(out, "prom-client defaults", await process.metrics());
  addRegistry(out, "prom-client defaults", process);
  return out;
}

const exported = await collectExported();
const defaults = await promClientDefaults();
for (const name of AWAITING_DEFAULT_METRICS) {
  if (exported.names.has(name) || !defaults.names.has(name)) continue;
  exported.names.set(name, "awaiting collectDefaultMetrics");
  exported.labels.set(name, defaults.labels.get(name) ?? new Set());
}
const rules = await loadRules();
const recorded = new Set(rules.flatMap((r) => r.record ? [r.record] : []));
const expressions = [...rules, ...dashboardExpressions(buildDashboards())];

function baseName(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, "");
}

function labelsOf(name: string): Set<string> | undefined {
  return exported.labels.get(name) ?? exported.labels.get(baseName(name));
}

Deno.test("metric names: each part exports the metrics the rules were written for", () => {
  const expectations: Record<string, string[]> = {
    edge: [
      "ml_predictions_total",
      "ml_prediction_duration_seconds_bucket",
      "ml_model_loads_total",
      "ml_feature_drift_psi",
      "ml_feature_cache_hits_total",
    ],
    worker: [
      "ingest_kafka_partition_lag",
      "ingest_kinesis_millis_behind_latest",
      "features_dead_letters_total",
      "features_freshness_seconds_bucket",
    ],
    registry: ["registry_validation_failures_total", "registry_rollbacks_total"],
  };
  for (const [part, names] of Object.entries(expectations)) {
    for (const name of names) assert.equal(exported.names.get(name), part, name);
  }
});

Deno.test("metric names: every rule and panel expression names an exported metric", () => {
  assert.ok(expressions.length > 40, `only ${expressions.length} expressions`);
  const problems: string[] = [];
  for (const { where, expr } of expressions) {
    const names = metricNames(expr);
    if (names.length === 0) problems.push(`${where}: no metric in ${expr}`);
    for (const name of names) {
      if (exported.names.has(name) || recorded.has(name) || SYNTHETIC_METRICS.has(name)) continue;
      problems.push(`${where}: ${name} is not exported by any part`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("metric names: label matchers and groupings use labels the metrics have", () => {
  const problems: string[] = [];
  for (const { where, expr } of expressions) {
    const raw = selectors(expr).filter((s) => !recorded.has(s.name));
    for (const s of raw) {
      const labels = labelsOf(s.name);
      if (!labels) continue; // synthetic series
      for (const l of s.labels) {
        if (!labels.has(l) && !TARGET_LABELS.has(l)) {
          problems.push(`${where}: ${s.name} has no label ${l}`);
        }
      }
    }
    // Groupings over raw metrics only: recorded series carry the labels they were grouped by.
    if (raw.length === 0 || selectors(expr).some((s) => recorded.has(s.name))) continue;
    const available = new Set(raw.flatMap((s) => [...(labelsOf(s.name) ?? [])]));
    for (const l of groupingLabels(expr)) {
      if (!available.has(l) && !TARGET_LABELS.has(l)) {
        problems.push(`${where}: groups by ${l}, which none of ${raw.map((s) => s.name)} has`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("metric names: awaited default metrics are real prom-client names", () => {
  for (const name of AWAITING_DEFAULT_METRICS) {
    assert.ok(defaults.names.has(name), `${name} is not a prom-client default metric`);
  }
});

Deno.test("metric names: the name checker rejects a metric that does not exist", () => {
  const bogus = "sum(rate(ml_predictions_totl[5m]))";
  const missing = metricNames(bogus).filter((n) => !exported.names.has(n));
  assert.deepEqual(missing, ["ml_predictions_totl"]);
});
