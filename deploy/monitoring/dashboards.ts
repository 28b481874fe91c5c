/**
 * The Grafana dashboards, as code. `deno run -A deploy/monitoring/dashboards.ts`
 * writes them to `deploy/monitoring/grafana/dashboards/*.json`, which Grafana
 * loads through `grafana/provisioning/dashboards/platform.yaml`; a test
 * checks the committed JSON is what this file builds.
 *
 * @module
 */

/** One PromQL target of a panel. */
export interface Target {
  /** PromQL expression. */
  expr: string;
  /** Legend, Grafana template (`{{model_name}}`). */
  legend: string;
}

/** A Grafana panel, as provisioned JSON. */
export type Panel = Record<string, unknown> & { title: string; targets?: GrafanaTarget[] };

/** A target in Grafana's JSON shape. */
export interface GrafanaTarget {
  refId: string;
  expr: string;
  legendFormat: string;
  datasource: { type: string; uid: string };
}

/** A provisioned dashboard and the file it is written to. */
export interface DashboardFile {
  file: string;
  dashboard: Record<string, unknown> & { title: string; uid: string; panels: Panel[] };
}

const DATASOURCE = { type: "prometheus", uid: "prometheus" };
const RATE = "$__rate_interval";

interface PanelSpec {
  title: string;
  targets: Target[];
  unit?: string;
  type?: "timeseries" | "stat";
  description?: string;
  width?: number;
}

function panel(spec: PanelSpec, id: number, x: number, y: number): Panel {
  return {
    id,
    type: spec.type ?? "timeseries",
    title: spec.title,
    description: spec.description ?? "",
    datasource: DATASOURCE,
    gridPos: { h: 8, w: spec.width ?? 12, x, y },
    fieldConfig: {
      defaults: { unit: spec.unit ?? "short" },
      overrides: [],
    },
    options: spec.type === "stat"
      ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false } }
      : { legend: { displayMode: "table", placement: "bottom", calcs: ["mean", "max"] } },
    targets: spec.targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      expr: t.expr,
      legendFormat: t.legend,
      datasource: DATASOURCE,
    })),
  };
}

function dashboard(uid: string, title: string, tags: string[], specs: PanelSpec[]): DashboardFile {
  const panels: Panel[] = [];
  let x = 0;
  let y = 0;
  specs.forEach((spec, i) => {
    const w = spec.width ?? 12;
    if (x + w > 24) {
      x = 0;
      y += 8;
    }
    panels.push(panel(spec, i + 1, x, y));
    x += w;
  });
  return {
    file: `${uid}.json`,
    dashboard: {
      uid,
      title,
      tags: ["ml-platform", ...tags],
      schemaVersion: 39,
      version: 1,
      editable: true,
      refresh: "30s",
      time: { from: "now-6h", to: "now" },
      timezone: "utc",
      templating: { list: [] },
      annotations: { list: [] },
      panels,
    },
  };
}

function servingDashboard(): DashboardFile {
  return dashboard("ml-model-serving", "ML platform / Model serving", ["edge"], [
    {
      title: "Throughput by model and variant",
      unit: "reqps",
      targets: [{
        expr: `sum by (model_name, variant) (rate(ml_predictions_total[${RATE}]))`,
        legend: "{{model_name}} {{variant}}",
      }],
    },
    {
      title: "Prediction latency percentiles",
      unit: "s",
      targets: [50, 95, 99].map((p) => ({
        expr: `model_variant:ml_prediction_duration_seconds:p${p}_5m`,
        legend: `p${p} {{model_name}} {{variant}}`,
      })),
    },
    {
      title: "Errors by variant",
      unit: "reqps",
      targets: [{
        expr:
          `sum by (model_name, variant, status) (rate(ml_predictions_total{status!="success"}[${RATE}]))`,
        legend: "{{model_name}} {{variant}} {{status}}",
      }],
    },
    {
      title: "Success ratio by variant",
      unit: "percentunit",
      targets: [{
        expr: "model_variant:ml_predictions_success:ratio_rate5m",
        legend: "{{model_name}} {{variant}}",
      }],
    },
    {
      title: "Cache hit rate",
      unit: "percentunit",
      description: "Online feature cache (in-isolate) and prediction cache",
      targets: [
        { expr: "job:ml_feature_cache_hits:ratio_rate5m", legend: "features {{job}}" },
        {
          expr: `sum by (model_name) (rate(ml_prediction_cache_hits_total[${RATE}])) / ` +
            `(sum by (model_name) (rate(ml_prediction_cache_hits_total[${RATE}])) + ` +
            `sum by (model_name) (rate(ml_prediction_cache_misses_total[${RATE}])))`,
          legend: "predictions {{model_name}}",
        },
      ],
    },
    {
      title: "Active model versions",
      targets: [
        { expr: "sum by (instance) (ml_active_models)", legend: "{{instance}}" },
        {
          expr: `sum by (model_name, model_version) (rate(ml_predictions_total[${RATE}])) > 0`,
          legend: "serving {{model_name}} v{{model_version}}",
        },
      ],
    },
    {
      title: "Batch predictions",
      unit: "reqps",
      targets: [{
        expr: `sum by (model_name, status) (rate(ml_batch_predictions_total[${RATE}]))`,
        legend: "{{model_name}} {{status}}",
      }],
    },
    {
      title: "Model loads",
      targets: [{
        expr: "sum by (model_name, status) (increase(ml_model_loads_total[1h]))",
        legend: "{{model_name}} {{status}}",
      }],
    },
    {
      title: "API requests by route and status",
      unit: "reqps",
      targets: [{
        expr: `sum by (route, status) (rate(ml_api_requests_total[${RATE}]))`,
        legend: "{{route}} {{status}}",
      }],
    },
    {
      title: "Shadow predictions by agreement",
      unit: "reqps",
      targets: [{
        expr: `sum by (model_name, agreement) (rate(ml_shadow_predictions_total[${RATE}]))`,
        legend: "{{model_name}} {{agreement}}",
      }],
    },
  ]);
}

function featuresDashboard(): DashboardFile {
  return dashboard("ml-features", "ML platform / Features", ["features"], [
    {
      title: "Freshness p99: broker receipt to commit, accepted to online",
      unit: "s",
      targets: [
        { expr: "source:ingest_freshness_seconds:p99_5m", legend: "ingest {{source}}" },
        { expr: "job:features_freshness_seconds:p99_5m", legend: "pipeline {{job}}" },
      ],
    },
    {
      title: "Null rate of computed features (pipeline writes)",
      unit: "percentunit",
      targets: [{ expr: "max by (feature) (features_value_null_rate)", legend: "{{feature}}" }],
    },
    {
      // Raw minima and maxima (the largest transaction) are not exported by
      // default (SECURITY.md); the mean of recent writes is.
      title: "Mean of computed features (pipeline writes)",
      targets: [
        { expr: "avg by (feature) (features_value_mean)", legend: "mean {{feature}}" },
      ],
    },
    {
      title: "Age of online features used at the edge",
      unit: "s",
      targets: [50, 99].map((p) => ({
        expr:
          `histogram_quantile(0.${p}, sum by (le) (rate(ml_feature_age_seconds_bucket[${RATE}])))`,
        legend: `p${p}`,
      })),
    },
    {
      title: "Drift (PSI) per feature",
      description: "Population stability index vs the training baseline; alert above 0.25",
      targets: [{
        expr: "max by (model_name, model_version, feature) (ml_feature_drift_psi)",
        legend: "{{model_name}} v{{model_version}} {{feature}}",
      }],
    },
    {
      title: "Null or non-finite rate of served model inputs (edge)",
      unit: "percentunit",
      targets: [{
        expr: "max by (model_name, model_version, feature) (ml_feature_null_ratio)",
        legend: "{{model_name}} v{{model_version}} {{feature}}",
      }],
    },
    {
      title: "Online store errors at the edge",
      unit: "reqps",
      targets: [{
        expr: `sum by (reason) (rate(ml_online_store_errors_total[${RATE}]))`,
        legend: "{{reason}}",
      }],
    },
    {
      title: "Feature cache lookups",
      unit: "reqps",
      targets: [
        { expr: `sum(rate(ml_feature_cache_hits_total[${RATE}]))`, legend: "hits" },
        { expr: `sum(rate(ml_feature_cache_misses_total[${RATE}]))`, legend: "misses" },
      ],
    },
  ]);
}

function ingestionDashboard(): DashboardFile {
  return dashboard("ml-ingestion", "ML platform / Ingestion", ["ingest"], [
    {
      title: "Kafka consumer lag per partition",
      targets: [{
        expr: "sum by (topic, partition) (ingest_kafka_partition_lag)",
        legend: "{{topic}}/{{partition}}",
      }],
    },
    {
      title: "Kinesis lag per shard",
      unit: "ms",
      targets: [{
        expr: "max by (stream, shard) (ingest_kinesis_millis_behind_latest)",
        legend: "{{stream}}/{{shard}}",
      }],
    },
    {
      title: "Events per second by source and outcome",
      unit: "reqps",
      targets: [{ expr: "source:ingest_messages:rate5m", legend: "{{source}} {{outcome}}" }],
    },
    {
      title: "Dead letters by reason",
      unit: "reqps",
      targets: [{ expr: "reason:features_dead_letters:rate5m", legend: "{{reason}}" }],
    },
    {
      title: "Pipeline events by outcome",
      unit: "reqps",
      targets: [{ expr: "job:features_events:rate5m", legend: "{{job}} {{outcome}}" }],
    },
    {
      title: "Pipeline batch time p99",
      unit: "s",
      targets: [{
        expr:
          `histogram_quantile(0.99, sum by (job, le) (rate(features_batch_duration_seconds_bucket[${RATE}])))`,
        legend: "{{job}}",
      }],
    },
    {
      title: "Dead letters by source",
      unit: "reqps",
      targets: [{
        expr:
          `sum by (source, outcome) (rate(ingest_messages_total{outcome=~"dead_lettered|gave_up"}[${RATE}]))`,
        legend: "{{source}} {{outcome}}",
      }],
    },
    {
      title: "Batch commit time p99",
      unit: "s",
      targets: [{
        expr:
          `histogram_quantile(0.99, sum by (source, le) (rate(ingest_batch_seconds_bucket[${RATE}])))`,
        legend: "{{source}}",
      }],
    },
    {
      title: "Batches by result",
      unit: "reqps",
      targets: [{
        expr: `sum by (source, result) (rate(ingest_batches_total[${RATE}]))`,
        legend: "{{source}} {{result}}",
      }],
    },
    {
      title: "Kinesis shard leases held",
      targets: [{
        expr: "sum by (stream, instance) (ingest_kinesis_leases_held)",
        legend: "{{stream}} {{instance}}",
      }],
    },
    {
      title: "HTTP ingest requests by status",
      unit: "reqps",
      targets: [{
        expr: `sum by (status) (rate(ingest_http_requests_total[${RATE}]))`,
        legend: "{{status}}",
      }],
    },
  ]);
}

function systemDashboard(): DashboardFile {
  return dashboard("ml-system", "ML platform / System", ["system"], [
    {
      title: "Resident memory",
      unit: "bytes",
      targets: [{
        expr: "sum by (job, instance) (process_resident_memory_bytes)",
        legend: "{{job}} {{instance}}",
      }],
    },
    {
      title: "Event loop lag p99",
      unit: "s",
      targets: [{
        expr: "max by (job, instance) (nodejs_eventloop_lag_p99_seconds)",
        legend: "{{job}} {{instance}}",
      }],
    },
    {
      title: "Targets up",
      targets: [{ expr: "up", legend: "{{job}} {{instance}}" }],
    },
    {
      title: "Postgres and Redis health seen by the workers",
      description:
        "1 while a worker backs off because Postgres, Redis or its broker is unavailable",
      targets: [{
        expr: "max by (source, instance) (ingest_degraded)",
        legend: "{{source}} {{instance}}",
      }],
    },
    {
      title: "Redis (online store) errors seen by the edge",
      unit: "reqps",
      targets: [{
        expr: `sum by (reason) (rate(ml_online_store_errors_total[${RATE}]))`,
        legend: "{{reason}}",
      }],
    },
    {
      title: "CPU",
      unit: "percentunit",
      targets: [{
        expr: `sum by (job, instance) (rate(process_cpu_seconds_total[${RATE}]))`,
        legend: "{{job}} {{instance}}",
      }],
    },
  ]);
}

/** Every provisioned dashboard. */
export function buildDashboards(): DashboardFile[] {
  return [servingDashboard(), featuresDashboard(), ingestionDashboard(), systemDashboard()];
}

/** The JSON text written for one dashboard. */
export function dashboardJson(d: DashboardFile): string {
  return JSON.stringify(d.dashboard, null, 2) + "\n";
}

/** Every PromQL expression of every panel, with where it comes from. */
export function dashboardExpressions(
  dashboards: DashboardFile[],
): { where: string; expr: string }[] {
  return dashboards.flatMap((d) =>
    d.dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: `${d.file} / ${p.title}`, expr: t.expr }))
    )
  );
}

if (import.meta.main) {
  const dir = new URL("./grafana/dashboards/", import.meta.url);
  for (const d of buildDashboards()) {
    await Deno.writeTextFile(new URL(d.file, dir), dashboardJson(d));
    console.log(`wrote ${d.file}`);
  }
}
