/**
 * Registry configuration, resolved once at start-up from env. Every field is
 * optional with a documented default; `resolveRegistryConfig` lists every
 * problem at once.
 *
 * @module
 */
import { z } from "zod";
import { envBool, envInt, envList, parseConfig } from "../schemas/config.ts";
import type { MlflowRegistryOptions } from "./mlflow.ts";
import type { RolloutPolicy } from "./rollout_controller.ts";

const num = (def: number, min: number, max: number) =>
  z.coerce.number().min(min).max(max).default(def);
const optional = z.string().optional().transform((v) => v === "" ? undefined : v);

const RegistryEnvSchema = z.object({
  /** MLflow tracking server; unset → the local folder registry. */
  MLFLOW_TRACKING_URI: z.url().optional().or(z.literal("").transform(() => undefined)),
  MLFLOW_TRACKING_TOKEN: optional,
  MLFLOW_TRACKING_USERNAME: optional,
  MLFLOW_TRACKING_PASSWORD: optional,
  MLFLOW_EXPERIMENT_NAME: z.string().min(1).default("platform-models"),
  /** Timeout of one MLflow API call (ms). */
  REGISTRY_TIMEOUT_MS: envInt(10_000, 100, 120_000),
  DATA_DIR: z.string().min(1).default(".data"),
  /** Folder of the local registry (default `$DATA_DIR/registry`). */
  REGISTRY_DIR: optional,
  /** Models whose aliases the sync worker follows. */
  REGISTRY_MODELS: envList(["fraud_detector"]),
  /** Alias polling period (ms); with the edge's 1 s pointer check, a change lands within ~2 s. */
  REGISTRY_POLL_INTERVAL_MS: envInt(500, 50, 3_600_000),
  /** Shared secret of MLflow webhooks; unset → webhooks refused. */
  REGISTRY_WEBHOOK_SECRET: optional,
  /** How old a webhook timestamp may be (s). */
  REGISTRY_WEBHOOK_TOLERANCE_S: envInt(300, 1, 3600),
  /** Bearer token for `/models/rollouts` and `/health` details; unset → the admin routes answer 401. */
  REGISTRY_ADMIN_TOKEN: optional,
  /** Bearer token the edges send to read `/packages/<sha>` (the admin token also works). */
  REGISTRY_EDGE_TOKEN: optional,
  /** Largest POST body (webhook, rollback) in bytes. */
  REGISTRY_MAX_BODY_BYTES: envInt(64 * 1024, 1024, 16 * 1024 * 1024),
  /** Longest time to receive a POST body (ms). */
  REGISTRY_BODY_TIMEOUT_MS: envInt(10_000, 100, 600_000),
  REGISTRY_HOST: z.string().default("127.0.0.1"),
  REGISTRY_PORT: envInt(8100, 0, 65535),
  /** Base URL under which the sync worker serves large packages (`/packages/<sha>`). */
  REGISTRY_PUBLIC_URL: optional,
  /** Packages up to this size go into Redis; larger ones are served over HTTP. */
  REGISTRY_BLOB_MAX_BYTES: envInt(5 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  UPSTASH_REDIS_REST_URL: optional,
  UPSTASH_REDIS_REST_TOKEN: optional,
  /** Golden rows must reproduce within this absolute tolerance. */
  REGISTRY_VALIDATION_TOLERANCE: num(1e-5, 0, 1),
  /** Latency smoke run: p99 of one-row runs must stay under this (ms). */
  REGISTRY_VALIDATION_LATENCY_MS: num(50, 0.01, 10_000),
  /** Canary steps in percent, ascending, ending at 100. */
  REGISTRY_CANARY_STEPS: envList(["5", "25", "50", "100"]).refine(
    (steps) => {
      const n = steps.map(Number);
      return n.at(-1) === 100 &&
        n.every((s, i) => Number.isFinite(s) && s > 0 && s <= 100 && (i === 0 || s > n[i - 1]));
    },
    { message: "must be ascending percentages in (0, 100] ending at 100" },
  ),
  REGISTRY_CANARY_MIN_REQUESTS: envInt(200, 1),
  REGISTRY_CANARY_MIN_STEP_S: envInt(60, 0),
  /** Roll back when challenger error rate exceeds champion's by more than this. */
  REGISTRY_ROLLBACK_ERROR_MARGIN: num(0.02, 0, 1),
  /** Roll back when challenger p99 exceeds champion's × this factor. */
  REGISTRY_ROLLBACK_P99_FACTOR: num(1.5, 1, 100),
  /** ... and by at least this many ms (the edge's latency buckets are coarse). */
  REGISTRY_ROLLBACK_P99_MIN_DELTA_MS: num(2, 0, 10_000),
  /** Roll back when shadow disagreement exceeds this fraction. */
  REGISTRY_ROLLBACK_SHADOW_DISAGREEMENT: num(0.1, 0, 1),
  REGISTRY_ROLLOUT_INTERVAL_MS: envInt(5000, 100),
  /** Start the rollout controller inside the sync worker. */
  REGISTRY_ROLLOUT_ENABLED: envBool(true),
});

/** Registry configuration (see field docs in `RegistryEnvSchema`). */
export type RegistryConfig = z.output<typeof RegistryEnvSchema> & {
  /** Resolved local registry folder. */
  registryDir: string;
  /** Canary steps as numbers. */
  canarySteps: number[];
};

/** Resolves the registry configuration from an env record, failing fast. */
export function resolveRegistryConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): RegistryConfig {
  const parsed = parseConfig("registry", RegistryEnvSchema, env);
  const canarySteps = parsed.REGISTRY_CANARY_STEPS.map(Number);
  return {
    ...parsed,
    registryDir: parsed.REGISTRY_DIR ?? `${parsed.DATA_DIR}/registry`,
    canarySteps,
  };
}

/** The rollout policy of a resolved config. */
export function rolloutPolicyFrom(config: RegistryConfig): RolloutPolicy {
  return {
    steps: config.canarySteps,
    minRequests: config.REGISTRY_CANARY_MIN_REQUESTS,
    minStepMs: config.REGISTRY_CANARY_MIN_STEP_S * 1000,
    errorMargin: config.REGISTRY_ROLLBACK_ERROR_MARGIN,
    p99Factor: config.REGISTRY_ROLLBACK_P99_FACTOR,
    p99MinDeltaMs: config.REGISTRY_ROLLBACK_P99_MIN_DELTA_MS,
    shadowDisagreement: config.REGISTRY_ROLLBACK_SHADOW_DISAGREEMENT,
  };
}

/** MLflow client options from a resolved config, or undefined when MLflow is not configured. */
export function mlflowOptionsFrom(config: RegistryConfig): MlflowRegistryOptions | undefined {
  if (!config.MLFLOW_TRACKING_URI) return undefined;
  return {
    trackingUri: config.MLFLOW_TRACKING_URI,
    token: config.MLFLOW_TRACKING_TOKEN,
    username: config.MLFLOW_TRACKING_USERNAME,
    password: config.MLFLOW_TRACKING_PASSWORD,
    timeoutMs: config.REGISTRY_TIMEOUT_MS,
    experimentName: config.MLFLOW_EXPERIMENT_NAME,
  };
}
