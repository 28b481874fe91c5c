/**
 * Composes the embedded platform in one process: the feature pipeline on
 * PGlite in a worker thread, the in-memory online cache, the local folder
 * registry, the edge app, the features API and HTTP ingest, behind one Hono
 * router on the serving thread.
 *
 * @module
 */
import { join } from "node:path";
import { Hono } from "hono";
import { Gauge, Registry } from "prom-client";
import { createApp, type EdgeApp, resolveEdgeConfig } from "../../edge/mod.ts";
import { MemoryOnlineReader } from "../../edge/online/mod.ts";
import { RegistryModelSource } from "../../edge/models/mod.ts";
import { registerProcessMetrics } from "../../edge/process_metrics.ts";
import { createIngestRoutes } from "../../ingest-workers/http.ts";
import {
  createFeatureApp,
  MemoryOnlineCache,
  openOnlineCache,
  resolveFeaturesConfig,
} from "../../pipeline/mod.ts";
import { LocalRegistry } from "../../registry/mod.ts";
import { bootstrapDemo, type BootstrapResult, DEMO_MODEL, hasChampion } from "./bootstrap.ts";
import type { EmbeddedConfig } from "./config.ts";
import { PipelineThread } from "./pipeline_thread.ts";

/** The running embedded platform. */
export interface EmbeddedPlatform {
  /** Serves every route (edge, features, ingest). */
  fetch: (request: Request) => Response | Promise<Response>;
  edge: EdgeApp;
  registry: LocalRegistry;
  /** Set when this start trained the demo model. */
  bootstrap: BootstrapResult | null;
  /** The feature pipeline, running in its worker. */
  pipeline: PipelineThread;
  close(): Promise<void>;
}

/**
 * Opens the embedded platform on `config.dataDir`; `env` feeds each part's own
 * config. The pipeline and its store run in a worker (`PipelineThread`); the
 * online cache, the registry and every HTTP surface stay on this thread.
 */
export async function openEmbedded(
  config: EmbeddedConfig,
  env: Record<string, string | undefined>,
  log: (line: string) => void = () => {},
): Promise<EmbeddedPlatform> {
  const metrics = new Registry();
  registerProcessMetrics(metrics);
  const featuresConfig = resolveFeaturesConfig({ ...env, DATA_DIR: config.dataDir });
  const { cache, shared } = openOnlineCache(featuresConfig);
  if (cache instanceof MemoryOnlineCache) registerCacheMetrics(metrics, cache);
  let pipeline: PipelineThread;
  try {
    pipeline = await PipelineThread.start({
      config: featuresConfig,
      cache,
      sharedCache: shared,
      nice: config.pipelineNice,
      log,
    });
  } catch (error) {
    await cache.close();
    throw error;
  }
  const close = async () => {
    await pipeline.close();
    await cache.close();
  };
  try {
    const registry = new LocalRegistry({ root: join(config.dataDir, "registry") });
    let bootstrap: BootstrapResult | null = null;
    if (config.demoBootstrap && !(await hasChampion(registry, DEMO_MODEL))) {
      bootstrap = await bootstrapDemo(pipeline, registry, { log });
    }
    const edgeConfig = resolveEdgeConfig({
      EDGE_REGISTRY_DIR: join(config.dataDir, "registry"),
      ...env,
    });
    const edge = createApp({
      config: edgeConfig,
      models: new RegistryModelSource(registry, { traffic: edgeConfig.traffic }),
      online: new MemoryOnlineReader({ mget: (keys) => cache.getMany(keys) }, {
        cacheTtlMs: 0,
        inProcess: !shared,
      }),
      registry: metrics,
      rollout: null,
    });
    await edge.warmup();
    const root = new Hono();
    root.get("/metrics", (c) => withPipelineMetrics(edge.fetch(c.req.raw), pipeline));
    root.route("/", createFeatureApp({ pipeline }));
    root.route("/", createIngestRoutes({ pipeline, apiKeys: config.ingestApiKeys }));
    root.all("*", (c) => edge.fetch(c.req.raw));
    return {
      fetch: root.fetch,
      edge,
      registry,
      bootstrap,
      pipeline,
      close: async () => {
        await edge.close();
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The edge's `/metrics` with the pipeline worker's (`features_*`, a
 * separate registry in the worker) appended; when the worker cannot answer,
 * a comment says why and the edge's metrics are still served.
 */
async function withPipelineMetrics(
  edgeResponse: Response | Promise<Response>,
  pipeline: PipelineThread,
): Promise<Response> {
  const res = await edgeResponse;
  if (res.status !== 200) return res;
  let extra: string;
  try {
    extra = await pipeline.metrics();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    extra = `# features_* metrics unavailable: ${why.replaceAll("\n", " ")}\n`;
  }
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  return new Response(`${await res.text()}${extra}`, { status: 200, headers });
}

/** Gauges of the in-memory online cache: what the serving thread holds for `/predict`. */
function registerCacheMetrics(registry: Registry, cache: MemoryOnlineCache): void {
  new Gauge({
    name: "embedded_online_cache_keys",
    help: "Keys in the in-memory online cache (one per entity and feature view)",
    registers: [registry],
    collect() {
      this.set(cache.held.keys);
    },
  });
  new Gauge({
    name: "embedded_online_cache_bytes",
    help: "Characters of the in-memory online cache's keys and values (about their bytes)",
    registers: [registry],
    collect() {
      this.set(cache.held.chars);
    },
  });
}
