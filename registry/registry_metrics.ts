/**
 * The registry's Prometheus metrics (`registry_*`), registered on a
 * prom-client `Registry` passed in, so nothing touches the global default.
 *
 * @module
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { redactText } from "../schemas/redact.ts";

/** The metrics the sync worker, validation and the rollout controller update. */
export interface RegistryMetrics {
  validationFailures: Counter<"model" | "reason">;
  validations: Counter<"model" | "result">;
  publishes: Counter<"model">;
  pointerRevision: Gauge<"model">;
  syncErrors: Counter<"model" | "code">;
  syncDuration: Histogram<"trigger">;
  lastSync: Gauge<"model">;
  rollbacks: Counter<"model" | "reason">;
  promotions: Counter<"model">;
  canaryPercent: Gauge<"model">;
  webhooks: Counter<"result">;
}

/** Creates and registers the registry metrics on `registry`. */
export function createRegistryMetrics(registry: Registry): RegistryMetrics {
  const registers = [registry];
  return {
    validationFailures: new Counter({
      name: "registry_validation_failures_total",
      help: "Model versions refused by validation, by reason",
      labelNames: ["model", "reason"],
      registers,
    }),
    validations: new Counter({
      name: "registry_validations_total",
      help: "Model version validations, by result (passed, failed)",
      labelNames: ["model", "result"],
      registers,
    }),
    publishes: new Counter({
      name: "registry_publishes_total",
      help: "Model pointer changes written",
      labelNames: ["model"],
      registers,
    }),
    pointerRevision: new Gauge({
      name: "registry_pointer_revision",
      help: "Revision of the published model pointer",
      labelNames: ["model"],
      registers,
    }),
    syncErrors: new Counter({
      name: "registry_sync_errors_total",
      help: "Sync attempts that failed, by error code (e.g. registry_unavailable)",
      labelNames: ["model", "code"],
      registers,
    }),
    syncDuration: new Histogram({
      name: "registry_sync_duration_seconds",
      help: "Duration of one sync of one model, by trigger (poll, webhook, manual)",
      labelNames: ["trigger"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    lastSync: new Gauge({
      name: "registry_last_successful_sync_timestamp_seconds",
      help: "Unix time of the last successful sync of a model",
      labelNames: ["model"],
      registers,
    }),
    rollbacks: new Counter({
      name: "registry_rollbacks_total",
      help: "Automatic and manual rollbacks, by reason",
      labelNames: ["model", "reason"],
      registers,
    }),
    promotions: new Counter({
      name: "registry_promotions_total",
      help: "Challengers promoted to champion",
      labelNames: ["model"],
      registers,
    }),
    canaryPercent: new Gauge({
      name: "registry_canary_percent",
      help: "Share of traffic the challenger receives in canary mode",
      labelNames: ["model"],
      registers,
    }),
    webhooks: new Counter({
      name: "registry_webhooks_total",
      help:
        "MLflow webhook deliveries, by result (accepted, ignored, unsigned, bad_signature, stale, replayed, malformed)",
      labelNames: ["result"],
      registers,
    }),
  };
}

/** One structured log line (JSON on stdout). */
export type RegistryLog = (
  level: "info" | "warn" | "error",
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Logs JSON lines to stdout/stderr, with credentials in any URL redacted. */
export const jsonLog: RegistryLog = (level, message, fields = {}) => {
  const line = redactText(JSON.stringify({
    time: new Date().toISOString(),
    level,
    component: "registry",
    message,
    ...fields,
  }));
  if (level === "error") console.error(line);
  else console.log(line);
};
