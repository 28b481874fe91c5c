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
import { EXAMPLE_DEMOS } from "../../pipeline/examples/demo.ts";
import { bootstrapDemo, type BootstrapResult, hasChampion } from "./bootstrap.ts";
import type { EmbeddedConfig } from "./config.ts";

/** The running embedded platform. */
export interface EmbeddedPlatform {
  /** Serves every route (edge, features, ingest). */
  fetch: (request: Request) => Response | Promise<Response>;
  edge: EdgeApp;
  registry: LocalRegistry;
  /** Set when this start trained the demo model. */
  bootstrap: BootstrapResult | null;
  /** Commands to try against `base`, for the repository served. */
  tryLines(base: string): string[];
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
    // A shipped example has a demo; a repository of one's own starts empty.
    const demo = featuresConfig.repository.repo
      ? undefined
      : EXAMPLE_DEMOS[runtime.repository.name];
    let bootstrap: BootstrapResult | null = null;
    if (config.demoBootstrap && demo && !(await hasChampion(registry, demo.model))) {
      bootstrap = await bootstrapDemo(demo, runtime.pipeline, registry, { log });
    }
    const edgeConfig = resolveEdgeConfig({
      EDGE_REGISTRY_DIR: join(config.dataDir, "registry"),
      ...(demo ? { EDGE_DEFAULT_MODEL: demo.model } : {}),
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
    root.route("/", createFeatureApp({ pipeline: runtime.pipeline }));
    root.route(
      "/",
      createIngestRoutes({
        pipeline: runtime.pipeline,
        apiKeys: config.ingestApiKeys,
        sourceOf: (path) => runtime.repository.sourceForRoute("httpPath", path)?.name,
      }),
    );
    root.all("*", (c) => edge.fetch(c.req.raw));
    return {
      fetch: root.fetch,
      edge,
      registry,
      bootstrap,
      tryLines: (base) => [
        `curl -s ${base}/health`,
        ...(demo?.tryLines(base) ?? []),
        `open ${base}/docs`,
      ],
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
