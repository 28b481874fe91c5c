/**
 * Composes the embedded platform in one process: the feature pipeline on
 * PGlite and the in-memory online cache, the local folder registry, the edge
 * app, the features API and HTTP ingest, behind one Hono router.
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

import { LocalRegistry } from "../../registry/mod.ts";
import { bootstrapDemo, type BootstrapResult, DEMO_MODEL, hasChampion } from "./bootstrap.ts";
import type { EmbeddedConfig } from "./config.ts";

/** The running embedded platform. */
export interface EmbeddedPlatform {
  /** Serves every route (edge, features, ingest). */
  fetch: (request: Request) => Response | Promise<Response>;
  /** Every route of the composition (method and path), for the authorisation matrix. */
  routes: { method: string; path: string }[];
  edge: EdgeApp;
  registry: LocalRegistry;
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
  const featuresConfig = resolveFeaturesConfig({ ...env, DATA_DIR: config.dataDir });
  const runtime = await openFeatureRuntime(featuresConfig, { registry: metrics });
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
    const cache = runtime.cache;
    const edge = createApp({
      config: edgeConfig,
      models: new RegistryModelSource(registry, { traffic: edgeConfig.traffic }),
      online: new MemoryOnlineReader({ mget: (keys) => cache.getMany(keys) }, {
        cacheTtlMs: 0,
      }),
      registry: metrics,
      rollout: null,
    });
    await edge.warmup();
    const root = new Hono();
    // Per-entity features are personal data: the key of /predict, or their own.
    const featureKeys = featuresConfig.apiKeys.length > 0
      ? featuresConfig.apiKeys
      : edgeConfig.apiKeys;
    root.route("/", createFeatureApp({ pipeline: runtime.pipeline, apiKeys: featureKeys }));
    root.route(
      "/",
      createIngestRoutes({ pipeline: runtime.pipeline, apiKeys: config.ingestApiKeys }),
    );
    root.all("*", (c) => edge.fetch(c.req.raw));
    return {
      fetch: root.fetch,
      routes: [...root.routes, ...edge.routes].map(({ method, path }) => ({ method, path })),
      edge,
      registry,
      bootstrap,
      close: async () => {
        await edge.close();
        await runtime.close();
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
