/**
 * `EdgeConfig`: every setting of the prediction service, resolved once at
 * start-up from environment variables. The only module of `edge/` that reads
 * `Deno.env`.
 *
 * @module
 */
import { z } from "zod";
import { envBool, envInt, envList, envOptionalBool, parseConfig } from "../schemas/config.ts";
import { ConfigError } from "../schemas/errors.ts";
import { type TrafficSplit, TrafficSplitSchema } from "../schemas/pointer.ts";

const trafficEntry = /^([A-Za-z0-9_.-]+)=(single|canary|shadow)(?::(\d+(?:\.\d+)?))?$/;

const EnvSchema = z.object({
  EDGE_DEFAULT_MODEL: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/).default("fraud_detector"),
  EDGE_DEFAULT_VERSION: z.string().min(1).default("champion"),
  EDGE_MODEL_SOURCE: z.enum(["local", "pointer"]).default("local"),
  EDGE_REGISTRY_DIR: z.string().min(1).default(".data/registry"),
  EDGE_POINTER_POLL_MS: envInt(1000, 100, 3_600_000),
  EDGE_MAX_VERSIONS: envInt(4, 1, 64),
  EDGE_TRAFFIC: envList([]),
  EDGE_ONLINE_STORE: z.enum(["upstash", "none"]).optional(),
  EDGE_ONLINE_TIMEOUT_MS: envInt(50, 1, 60_000),
  EDGE_FEATURE_CACHE_TTL_MS: envInt(1000, 0, 3_600_000),
  EDGE_FEATURE_CACHE_MAX: envInt(10_000, 0, 10_000_000),
  EDGE_PREDICTION_CACHE_TTL_MS: envInt(5000, 0, 3_600_000),
  EDGE_PREDICTION_CACHE_MAX: envInt(10_000, 0, 10_000_000),
  EDGE_BATCH_MAX: envInt(1000, 1, 100_000),
  EDGE_BODY_LIMIT_BYTES: envInt(1_048_576, 1024, 1_073_741_824),
  EDGE_BODY_TIMEOUT_MS: envInt(10_000, 100, 600_000),
  EDGE_API_KEYS: envList([]),
  EDGE_MODELS: envList([]),
  EDGE_ARTIFACT_ORIGINS: envList([]),
  EDGE_ARTIFACT_MAX_BYTES: envInt(256 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
  EDGE_REGISTRY_TOKEN: z.string().min(1).optional(),
  EDGE_METRICS_FEATURE_EXTREMES: envBool(false),
  EDGE_CORS_ORIGINS: envList([]),
  EDGE_CORS_CREDENTIALS: envBool(false),
  EDGE_COALESCE: envBool(true),
  EDGE_COALESCE_MAX_ROWS: envInt(512, 1, 100_000),
  EDGE_CHUNKED_PREDICT: envOptionalBool(),
  EDGE_ROLLOUT_COUNTERS: envBool(true),
  EDGE_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  UPSTASH_REDIS_REST_URL: z.url().optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
});

/** Settings of the edge; every field has a documented default. */
export interface EdgeConfig {
  /** Model served when a request names none (`EDGE_DEFAULT_MODEL`, `fraud_detector`). */
  defaultModel: string;
  /** Version selector used when a request names none (`EDGE_DEFAULT_VERSION`, `champion`). */
  defaultVersion: string;
  /** Where models come from (`EDGE_MODEL_SOURCE`): `local` registry folder or the Redis `pointer`. */
  modelSource: "local" | "pointer";
  /** Folder of the local registry (`EDGE_REGISTRY_DIR`, `.data/registry`). */
  registryDir: string;
  /** Least time between two checks of a model's pointer or aliases (`EDGE_POINTER_POLL_MS`, 1000). */
  pointerPollMs: number;
  /** Versions of one model kept in memory at most (`EDGE_MAX_VERSIONS`, 4). */
  maxVersions: number;
  /** Traffic split per model for sources without a pointer (`EDGE_TRAFFIC`, `name=canary:10,...`). */
  traffic: Record<string, TrafficSplit>;
  /** Online feature store (`EDGE_ONLINE_STORE`): `upstash` when its URL is set, else `none`. */
  onlineStore: "upstash" | "none";
  /**
   * Timeout of one online read (`EDGE_ONLINE_TIMEOUT_MS`, 50); reads of an
   * in-process store (the embedded in-memory cache) have none.
   */
  onlineTimeoutMs: number;
  /** TTL of the in-isolate online feature cache; 0 turns it off (`EDGE_FEATURE_CACHE_TTL_MS`, 1000). */
  featureCacheTtlMs: number;
  /** Entities held by that cache at most (`EDGE_FEATURE_CACHE_MAX`, 10000). */
  featureCacheMax: number;
  /** TTL of the prediction cache; 0 turns it off (`EDGE_PREDICTION_CACHE_TTL_MS`, 5000). */
  predictionCacheTtlMs: number;
  /** Predictions held at most (`EDGE_PREDICTION_CACHE_MAX`, 10000). */
  predictionCacheMax: number;
  /** Instances per `/predict/batch` at most (`EDGE_BATCH_MAX`, 1000). */
  batchMax: number;
  /** Request body limit in bytes (`EDGE_BODY_LIMIT_BYTES`, 1 MiB). */
  bodyLimitBytes: number;
  /** Longest time to receive a request body, ms (`EDGE_BODY_TIMEOUT_MS`, 10 000; then 408). */
  bodyTimeoutMs: number;
  /**
   * Accepted Bearer API keys; empty means no auth (`EDGE_API_KEYS`). They
   * guard predictions, model metadata, feature routes of the embedded
   * platform and the details of `/health`.
   */
  apiKeys: string[];
  /**
   * Model names served in pointer mode (`EDGE_MODELS`, default: the default
   * model only). Another name answers 404 without a Redis read; `*` serves
   * any name that has a pointer (a documented choice: see SECURITY.md).
   */
  models: string[];
  /** Origins `http(s)` artifact locations may use (`EDGE_ARTIFACT_ORIGINS`, none). */
  artifactOrigins: string[];
  /** Largest model artifact read, bytes (`EDGE_ARTIFACT_MAX_BYTES`, 256 MiB). */
  artifactMaxBytes: number;
  /** Bearer token sent to the artifact origins (`EDGE_REGISTRY_TOKEN`, the registry's edge token). */
  registryToken?: string;
  /**
   * Export `ml_feature_value_min`/`_max` (`EDGE_METRICS_FEATURE_EXTREMES`,
   * false): raw extremes of request inputs (the largest transaction amount)
   * on an unauthenticated `/metrics`; drift and null ratios stay on.
   */
  metricsFeatureExtremes: boolean;
  /** Allowed CORS origins; empty means no CORS headers (`EDGE_CORS_ORIGINS`). */
  corsOrigins: string[];
  /** Whether CORS allows credentials (`EDGE_CORS_CREDENTIALS`, false). */
  corsCredentials: boolean;
  /** Coalesce concurrent single predictions into one ONNX run (`EDGE_COALESCE`, true). */
  coalesce: boolean;
  /** Rows per coalesced ONNX run at most (`EDGE_COALESCE_MAX_ROWS`, 512). */
  coalesceMaxRows: number;
  /**
   * Answer `/predict` with chunked framing on HTTP/1.1 (`EDGE_CHUNKED_PREDICT`;
   * true unless `DENO_DEPLOYMENT_ID` is set, i.e. off on Deno Deploy). Deno
   * 2.9 writes a fixed-length response of more than 512 bytes (status line
   * and headers included) in two `send()` calls, a `/predict` answer is about
   * 650, and a chunked one leaves in one; HTTP/1.0 and HTTP/2 clients still
   * get a `Content-Length`.
   */
  chunkedPredict: boolean;
  /** Write per-variant rollout counters to Redis (`EDGE_ROLLOUT_COUNTERS`, true when Upstash is set). */
  rolloutCounters: boolean;
  /** Log level (`EDGE_LOG_LEVEL`, `info`); access logs are `debug`. */
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** Upstash REST URL and token (`UPSTASH_REDIS_REST_URL`, `UPSTASH_REDIS_REST_TOKEN`). */
  upstash?: { url: string; token: string };
}

function parseTraffic(entries: string[]): { traffic: Record<string, TrafficSplit>; bad: string[] } {
  const traffic: Record<string, TrafficSplit> = {};
  const bad: string[] = [];
  for (const entry of entries) {
    const m = trafficEntry.exec(entry);
    const percent = m?.[3] === undefined ? 0 : Number(m[3]);
    if (!m || percent > 100) {
      bad.push(entry);
      continue;
    }
    traffic[m[1]] = TrafficSplitSchema.parse({
      mode: m[2],
      challenger_percent: m[2] === "canary" ? percent : 0,
    });
  }
  return { traffic, bad };
}

/**
 * Resolves the edge configuration from `env` (default: the process env) and
 * throws a `ConfigError` listing every problem at once.
 *
 * @example
 * ```ts
 * const config = resolveEdgeConfig({ EDGE_DEFAULT_MODEL: "fraud_detector" });
 * ```
 */
export function resolveEdgeConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): EdgeConfig {
  const issues: { path: string; message: string }[] = [];
  let e: z.output<typeof EnvSchema> | undefined;
  try {
    e = parseConfig("edge", EnvSchema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.details);
  }
  const list = (v: string | undefined) => (v ?? "").split(",").map((x) => x.trim()).filter(Boolean);
  const { traffic, bad } = parseTraffic(list(env.EDGE_TRAFFIC));
  for (const entry of bad) {
    issues.push({
      path: "EDGE_TRAFFIC",
      message: `Expected name=single|canary:N|shadow: ${entry}`,
    });
  }
  const hasUrl = env.UPSTASH_REDIS_REST_URL !== undefined;
  const hasToken = env.UPSTASH_REDIS_REST_TOKEN !== undefined;
  if (hasUrl !== hasToken) {
    issues.push({
      path: hasUrl ? "UPSTASH_REDIS_REST_TOKEN" : "UPSTASH_REDIS_REST_URL",
      message: "Required together with the other Upstash variable",
    });
  }
  const needsUpstash = env.EDGE_MODEL_SOURCE === "pointer" || env.EDGE_ONLINE_STORE === "upstash";
  if (needsUpstash && !hasUrl) {
    issues.push({
      path: "UPSTASH_REDIS_REST_URL",
      message: "Required by EDGE_MODEL_SOURCE=pointer or EDGE_ONLINE_STORE=upstash",
    });
  }
  const credentials = ["1", "true", "yes", "TRUE"].includes(env.EDGE_CORS_CREDENTIALS ?? "");
  for (const origin of list(env.EDGE_ARTIFACT_ORIGINS)) {
    if (!/^https?:\/\/[^/]+\/?$/.test(origin)) {
      issues.push({
        path: "EDGE_ARTIFACT_ORIGINS",
        message: `Expected scheme://host[:port]: ${origin}`,
      });
    }
  }
  if (credentials && list(env.EDGE_CORS_ORIGINS).includes("*")) {
    issues.push({ path: "EDGE_CORS_ORIGINS", message: "Cannot be * when credentials are allowed" });
  }
  if (issues.length > 0 || !e) throw new ConfigError("edge", issues);
  const upstash = e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN
    ? { url: e.UPSTASH_REDIS_REST_URL, token: e.UPSTASH_REDIS_REST_TOKEN }
    : undefined;
  return {
    defaultModel: e.EDGE_DEFAULT_MODEL,
    defaultVersion: e.EDGE_DEFAULT_VERSION,
    modelSource: e.EDGE_MODEL_SOURCE,
    registryDir: e.EDGE_REGISTRY_DIR,
    pointerPollMs: e.EDGE_POINTER_POLL_MS,
    maxVersions: e.EDGE_MAX_VERSIONS,
    traffic,
    onlineStore: e.EDGE_ONLINE_STORE ?? (upstash ? "upstash" : "none"),
    onlineTimeoutMs: e.EDGE_ONLINE_TIMEOUT_MS,
    featureCacheTtlMs: e.EDGE_FEATURE_CACHE_TTL_MS,
    featureCacheMax: e.EDGE_FEATURE_CACHE_MAX,
    predictionCacheTtlMs: e.EDGE_PREDICTION_CACHE_TTL_MS,
    predictionCacheMax: e.EDGE_PREDICTION_CACHE_MAX,
    batchMax: e.EDGE_BATCH_MAX,
    bodyLimitBytes: e.EDGE_BODY_LIMIT_BYTES,
    bodyTimeoutMs: e.EDGE_BODY_TIMEOUT_MS,
    apiKeys: e.EDGE_API_KEYS,
    models: e.EDGE_MODELS.length > 0 ? e.EDGE_MODELS : [e.EDGE_DEFAULT_MODEL],
    artifactOrigins: e.EDGE_ARTIFACT_ORIGINS,
    artifactMaxBytes: e.EDGE_ARTIFACT_MAX_BYTES,
    registryToken: e.EDGE_REGISTRY_TOKEN,
    metricsFeatureExtremes: e.EDGE_METRICS_FEATURE_EXTREMES,
    corsOrigins: e.EDGE_CORS_ORIGINS,
    corsCredentials: e.EDGE_CORS_CREDENTIALS,
    coalesce: e.EDGE_COALESCE,
    coalesceMaxRows: e.EDGE_COALESCE_MAX_ROWS,
    chunkedPredict: e.EDGE_CHUNKED_PREDICT ?? env.DENO_DEPLOYMENT_ID === undefined,
    rolloutCounters: e.EDGE_ROLLOUT_COUNTERS && upstash !== undefined,
    logLevel: e.EDGE_LOG_LEVEL,
    upstash,
  };
}

/** A config with every default, for tests and embedding; `overrides` win. */
export function defaultEdgeConfig(overrides: Partial<EdgeConfig> = {}): EdgeConfig {
  return { ...resolveEdgeConfig({}), ...overrides };
}
