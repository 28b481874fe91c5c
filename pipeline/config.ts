/**
 * Configuration of the feature pipeline, resolved once at start-up. The
 * only module of `pipeline/` (outside training) that reads `Deno.env`.
 *
 * @module
 */
import { z } from "zod";
import { envBool, envInt, envList, parseConfig } from "../schemas/config.ts";
import { DEFAULT_MIN_TILE_MS } from "./store/_sql_store.ts";

const schema = z.object({
  /** Folder of embedded data (PGlite files under `<DATA_DIR>/pglite`). Default `.data`. */
  DATA_DIR: z.string().min(1).default(".data"),
  /** Real Postgres; when unset the embedded PGlite is used. */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//).optional(),
  /** Real Redis for the online cache; when unset the in-memory cache is used. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//).optional(),
  /** Upstash REST endpoint for the online cache, used when REDIS_URL is unset. */
  UPSTASH_REDIS_REST_URL: z.string().regex(/^https?:\/\//).optional(),
  /** Token of UPSTASH_REDIS_REST_URL. */
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
  /** Accepted future skew of event timestamps, ms, for every source. Default: each source's own (5 minutes unless defined). */
  FEATURES_MAX_FUTURE_MS: z.coerce.number().int().min(0).max(86_400_000).optional(),
  /** Interface `features:serve` binds. Default 127.0.0.1 (0.0.0.0 in a container). */
  FEATURES_HOSTNAME: z.string().min(1).default("127.0.0.1"),
  /** Port of `features:serve`. Default 8092 (8091 is the ingest worker's). */
  FEATURES_PORT: envInt(8092, 1, 65535),
  /**
   * Smallest tile size, ms, kept in Postgres `feature_tiles`. Default 3600000
   * (1 h): finer tiles cover short windows that offline reads take from raw
   * events. 0 keeps every tile size; run `features:backfill` after a change.
   */
  FEATURES_MIN_TILE_MS: envInt(DEFAULT_MIN_TILE_MS, 0, 31 * 86_400_000),
  /** Messages per `processBatch` call of the CLI loaders. Default 1000. */
  FEATURES_BATCH_SIZE: envInt(1000, 1, 100_000),
  /** Folder of the feature repository to load (its `mod.ts`); `--repo` wins. */
  FEATURE_REPO: z.string().min(1).optional(),
  /** A shipped example repository (`fraud`, `sensors`, `recommendations`); `--example` wins. Default `fraud`. */
  FEATURE_EXAMPLE: z.string().min(1).optional(),
  /**
   * Bearer keys of the feature routes (per-entity features are personal
   * data) and of `/ready` details; empty: open (the embedded platform then
   * uses `EDGE_API_KEYS`).
   */
  FEATURES_API_KEYS: envList([]),
  /**
   * Export `features_value_min`/`_max` on `/metrics`: raw values of recent
   * events (the largest amount), so off by default.
   */
  FEATURES_METRICS_EXTREMES: envBool(false),
});

/** Resolved pipeline configuration. */
export interface FeaturesConfig {
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  upstash?: { url: string; token: string };
  /** Overrides every source's `maxFuture` when set. */
  maxFutureMs?: number;
  hostname: string;
  port: number;
  batchSize: number;
  minTileMs: number;
  /** Which feature repository to load (a folder, or a shipped example). */
  repository: { repo?: string; example?: string };
  /** Bearer keys of the feature routes (`FEATURES_API_KEYS`); empty: open. */
  apiKeys: string[];
  /** Export raw extremes of feature values (`FEATURES_METRICS_EXTREMES`). */
  metricsExtremes: boolean;
}

/** Reads and validates the pipeline configuration; throws `ConfigError` listing every problem. */
export function resolveFeaturesConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): FeaturesConfig {
  const c = parseConfig(
    "features",
    schema.refine(
      (v) => !v.UPSTASH_REDIS_REST_URL || v.UPSTASH_REDIS_REST_TOKEN,
      { path: ["UPSTASH_REDIS_REST_TOKEN"], message: "Required with UPSTASH_REDIS_REST_URL" },
    ),
    env,
  );
  return {
    dataDir: c.DATA_DIR,
    databaseUrl: c.DATABASE_URL,
    redisUrl: c.REDIS_URL,
    upstash: c.UPSTASH_REDIS_REST_URL
      ? { url: c.UPSTASH_REDIS_REST_URL, token: c.UPSTASH_REDIS_REST_TOKEN ?? "" }
      : undefined,
    maxFutureMs: c.FEATURES_MAX_FUTURE_MS,
    hostname: c.FEATURES_HOSTNAME,
    port: c.FEATURES_PORT,
    batchSize: c.FEATURES_BATCH_SIZE,
    minTileMs: c.FEATURES_MIN_TILE_MS,
    repository: { repo: c.FEATURE_REPO, example: c.FEATURE_EXAMPLE },
    apiKeys: c.FEATURES_API_KEYS,
    metricsExtremes: c.FEATURES_METRICS_EXTREMES,
  };
}
