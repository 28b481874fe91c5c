/**
 * Composes the embedded platform in one process: the feature pipeline on
 * PGlite and the in-memory online cache, the local folder registry with its
 * sync worker and rollout controller over an in-process model pointer, the
 * edge app (which takes its traffic split from that pointer and writes its
 * per-variant counters beside it), the features API, HTTP ingest, the
 * operator console and one OpenAPI document of all of it, behind one Hono
 * router.
 *
 * @module
 */
import { join } from "node:path";
import { Hono } from "hono";
import { Registry } from "prom-client";
import { createApp, type EdgeApp, resolveEdgeConfig } from "../../edge/mod.ts";
import { MemoryOnlineReader } from "../../edge/online/mod.ts";
import { RegistryModelSource } from "../../edge/models/mod.ts";
import { registerProcessMetrics } from "../../edge/process_metrics.ts";
import { createIngestRoutes } from "../../ingest-workers/http.ts";
import { createFeatureApp, openFeatureRuntime, resolveFeaturesConfig } from "../../pipeline/mod.ts";

import { LocalRegistry, MemoryRegistryStore, resolveRegistryConfig } from "../../registry/mod.ts";
import { createSyncService, type SyncService } from "../../registry/wiring.ts";
import { jsonLog } from "../../registry/metrics.ts";
import { createIngestMetrics } from "../../ingest-workers/metrics.ts";
import { rolloutCounters } from "../../schemas/pointer.ts";
import { createConsole, driftAlertThreshold, MetricsSampler } from "../console/mod.ts";
import { embeddedOpenApiDocument } from "./openapi.ts";
import { mountDocs } from "../../schemas/api_docs.ts";
import { bootstrapDemo, type BootstrapResult, DEMO_MODEL, hasChampion } from "./bootstrap.ts";
import type { EmbeddedConfig } from "./config.ts";

/** The running embedded platform. */
export interface EmbeddedPlatform {
  /** Serves every route (edge, features, ingest, console, docs). */
  fetch: (request: Request) => Response | Promise<Response>;
  /** Every route served (for the document's completeness test). */
  routes: { method: string; path: string }[];
  edge: EdgeApp;
  registry: LocalRegistry;
  /** The sync worker, rollout controller and pointer the console's buttons act through. */
  models: SyncService;
  /** Set when this start trained the demo model. */
  bootstrap: BootstrapResult | null;
  close(): Promise<void>;
}

/** Opens the embedded platform on `config.dataDir`; `env` feeds each part's own config. */
export async function openEmbedded(
  config: EmbeddedConfig,
  env: Record<string, string | undefined>,
  log: (line: string) => void = () => {},
): Promise<EmbeddedPlatform> {
  const metrics = new Registry();
  registerProcessMetrics(metrics);
  const runtime = await openFeatureRuntime(
    resolveFeaturesConfig({ ...env, DATA_DIR: config.dataDir }),
    { registry: metrics },
  );
  try {
    const registry = new LocalRegistry({ root: join(config.dataDir, "registry") });
    let bootstrap: BootstrapResult | null = null;
    if (config.demoBootstrap && !(await hasChampion(registry, DEMO_MODEL))) {
      bootstrap = await bootstrapDemo(runtime.pipeline, registry, { log });
    }
    const edgeConfig = resolveEdgeConfig({
      EDGE_REGISTRY_DIR: join(config.dataDir, "registry"),
      ...env,
    });
    const models = openModels(config, env, registry);
    const cache = runtime.cache;
    const edge = createApp({
      config: edgeConfig,
      models: new RegistryModelSource(registry, {
        traffic: edgeConfig.traffic,
        trafficOf: async (name) => (await models.publisher.readPointer(name))?.traffic ?? null,
      }),
      online: new MemoryOnlineReader({ mget: (keys) => cache.getMany(keys) }, {
        cacheTtlMs: 0,
      }),
      registry: metrics,
      rollout: {
        // The in-process counterpart of the edge's Redis counters (HINCRBY + EXPIRE).
        write(increments) {
          for (const { key, fields } of increments) {
            models.store.hincrby(key, fields);
            void models.store.expire(key, rolloutCounters.ttlSeconds);
          }
          return Promise.resolve();
        },
      },
    });
    await edge.warmup();
    const sampler = new MetricsSampler({
      sources: [{ name: "embedded", read: () => metrics.metrics() }],
    });
    const root = new Hono();
    mountDocs(root, () => embeddedOpenApiDocument(edgeConfig.apiKeys.length > 0), "rtml");
    root.route(
      "/",
      createConsole({
        registry,
        models,
        pipeline: runtime.pipeline,
        featureStore: runtime.store,
        sampler,
        canarySteps: models.config.canarySteps,
        driftThreshold: driftAlertThreshold(),
        adminToken: config.consoleAdminToken,
        mode: "embedded",
      }),
    );
    root.route("/", createFeatureApp({ pipeline: runtime.pipeline }));
    root.route(
      "/",
      createIngestRoutes({
        pipeline: runtime.pipeline,
        apiKeys: config.ingestApiKeys,
        metrics: createIngestMetrics(metrics),
      }),
    );
    root.all("*", (c) => edge.fetch(c.req.raw));
    // The first sync publishes the pointer; until then the edge serves the champion alone.
    void models.worker.start().catch(() => {});
    if (models.config.REGISTRY_ROLLOUT_ENABLED) models.rollout.start();
    return {
      fetch: root.fetch,
      routes: [...root.routes, ...edge.routes],
      edge,
      registry,
      models,
      bootstrap,
      close: async () => {
        models.rollout.stop();
        await models.worker.stop();
        await sampler.stop();
        await edge.close();
        await runtime.close();
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}

/**
 * The registry side of the embedded default: the sync worker and rollout
 * controller over the local folder and an in-process pointer store. A new
 * challenger gets no traffic until an operator starts a canary (the demo
 * registers one at first start).
 */
function openModels(
  config: EmbeddedConfig,
  env: Record<string, string | undefined>,
  registry: LocalRegistry,
): SyncService & { store: MemoryRegistryStore; config: ReturnType<typeof resolveRegistryConfig> } {
  const registryConfig = resolveRegistryConfig({
    ...env,
    DATA_DIR: config.dataDir,
    REGISTRY_DIR: join(config.dataDir, "registry"),
  });
  const store = new MemoryRegistryStore();
  const service = createSyncService(registryConfig, {
    registry,
    store,
    challengerMode: "off",
    // Info lines (every publish) would drown the start-up output; warnings and errors show.
    log: (level, message, fields) => level !== "info" && jsonLog(level, message, fields),
  });
  return { ...service, store, config: registryConfig };
}
