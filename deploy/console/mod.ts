/**
 * The operator console (`/console`): overview of models and traffic, a page
 * per model (versions and metrics, canary, promote/canary/rollback, drift),
 * features (online vs offline lookup, freshness, view definitions) and
 * ingest (throughput, lag, dead letters and their replay). The embedded
 * default serves it at `/console`; `deno task console` serves it against
 * real services and requires the admin token.
 *
 * It composes the parts below it and holds no product logic: model
 * commands are `registry/operations.ts`, features and dead letters the
 * pipeline's, metrics the processes' own.
 *
 * @module
 */
import { parse } from "yaml";
import alertRules from "../monitoring/prometheus/rules/alerts.yaml" with { type: "text" };

export { CONSOLE_MAX_BODY_BYTES, type ConsoleApp, createConsole } from "./app.tsx";
export { CONSOLE_ROUTES } from "./api.ts";
export type { ConsoleDeps, ConsolePipeline, DeadLetterStore } from "./data.ts";
export { MetricsSampler, type MetricsSource, urlSource } from "./prom.ts";

/**
 * The PSI above which the drift alert of `deploy/monitoring` fires, read
 * from its rule so the console's threshold line and the alert agree.
 */
export function driftAlertThreshold(rules: string = alertRules): number {
  const doc = parse(rules) as { groups?: { rules?: { alert?: string; expr?: string }[] }[] };
  for (const g of doc.groups ?? []) {
    for (const r of g.rules ?? []) {
      const m = /ml_feature_drift_psi\)?\s*>\s*([0-9.]+)/.exec(r.expr ?? "");
      if (m) return Number(m[1]);
    }
  }
  throw new Error("Cannot find the drift alert (ml_feature_drift_psi > N) in alerts.yaml");
}
