/**
 * Opens the configured store and cache: real Postgres when DATABASE_URL is
 * set, else embedded PGlite under `DATA_DIR`; Redis over TCP when REDIS_URL
 * is set, else the Upstash REST API when UPSTASH_REDIS_REST_URL is, else
 * the in-memory cache (warmed from the store).
 *
 * @module
 */
import { join } from "node:path";
import type { Registry } from "prom-client";
import type { FeaturesConfig } from "./config.ts";
import { FeaturePipeline } from "./feature_pipeline.ts";
import type { FeatureView } from "./features/mod.ts";
import { type FeatureRepository, resolveRepository } from "./definitions/mod.ts";
import {
  MemoryOnlineCache,
  type OnlineCache,
  RedisOnlineCache,
  UpstashOnlineCache,
} from "./online/mod.ts";
import { type FeatureStore, PgliteFeatureStore, PostgresFeatureStore } from "./store/mod.ts";

/** An opened pipeline with its store and cache. */
export interface FeatureRuntime {
  pipeline: FeaturePipeline;
  store: FeatureStore;
  cache: OnlineCache;
  /** The feature repository the pipeline computes. */
  repository: FeatureRepository;
  /** Views seen for the first time (their tiles were backfilled). */
  newViews: FeatureView[];
  close(): Promise<void>;
}

/** An online cache and whether other processes share its data. */
export interface OpenedOnlineCache {
  cache: OnlineCache;
  /**
   * True for Redis and Upstash, whose data outlives this process: the
   * runtime then warms it only for new views. False for a cache that starts
   * empty (memory), which is warmed from the store at every open.
   */
  shared: boolean;
}

/** Options of {@linkcode openFeatureRuntime}. */
export interface OpenFeatureRuntimeOptions {
  registry?: Registry;
  /** The repository to compute; default the one `config.repository` names (else `fraud`). */
  repository?: FeatureRepository;
  /** Skip warming the in-memory cache from the store. */
  skipWarm?: boolean;
  /**
   * For one-shot loaders: when the cache is the in-memory one (no REDIS_URL
   * or Upstash), nobody else reads it, so the pipeline does not maintain it
   * (the platform rebuilds its own from the store when it starts).
   */
  offline?: boolean;
  /**
   * The online cache to use instead of the one `config` selects (the
   * embedded ingest thread passes its channel to the serving thread's
   * cache); closed with the runtime.
   */
  cache?: OpenedOnlineCache;
}

/**
 * The online cache `config` selects: Redis over TCP when REDIS_URL is set,
 * else the Upstash REST API when UPSTASH_REDIS_REST_URL is, else memory.
 */
export function openOnlineCache(config: FeaturesConfig): OpenedOnlineCache {
  if (config.redisUrl) return { cache: new RedisOnlineCache(config.redisUrl), shared: true };
  if (config.upstash) return { cache: new UpstashOnlineCache(config.upstash), shared: true };
  return { cache: new MemoryOnlineCache(), shared: false };
}

/**
 * The feature store `config` selects (not yet migrated): Postgres at
 * DATABASE_URL, else PGlite under DATA_DIR (the folder is created).
 */
export async function openFeatureStore(config: FeaturesConfig): Promise<FeatureStore> {
  if (config.databaseUrl) {
    return new PostgresFeatureStore(config.databaseUrl, { minTileMs: config.minTileMs });
  }
  await Deno.mkdir(config.dataDir, { recursive: true });
  return new PgliteFeatureStore(join(config.dataDir, "pglite"), { minTileMs: config.minTileMs });
}

/**
 * Opens store and cache from `config`, applies migrations, registers the
 * repository's sources and views (backfilling new view versions) and warms
 * an in-memory cache (or rebuilds the shared one for new views).
 */
export async function openFeatureRuntime(
  config: FeaturesConfig,
  options: OpenFeatureRuntimeOptions = {},
): Promise<FeatureRuntime> {
  const repository = options.repository ?? await resolveRepository(config.repository);
  const store = await openFeatureStore(config);
  const { cache, shared: sharedCache } = options.cache ?? openOnlineCache(config);
  const close = async () => {
    await cache.close();
    await store.close();
  };
  try {
    await store.migrate();
    for (const s of repository.sources) await store.registerSource(s);
    const newViews: FeatureView[] = [];
    for (const v of repository.views) {
      if (await store.registerView(v) === "new") {
        await store.backfill(v);
        newViews.push(v);
      }
    }
    const pipeline = new FeaturePipeline({
      store,
      cache,
      repository,
      registry: options.registry,
      maxFutureMs: config.maxFutureMs,
      metricsExtremes: config.metricsExtremes,
      online: sharedCache || !options.offline,
    });
    if (!options.skipWarm) {
      if (!sharedCache) await pipeline.rebuildOnline();
      else if (newViews.length > 0) await pipeline.rebuildOnline(undefined, undefined, newViews);
    }
    return { pipeline, store, cache, repository, newViews, close };
  } catch (error) {
    await close();
    throw error;
  }
}
