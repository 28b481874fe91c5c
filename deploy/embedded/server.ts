/**
 * Composes the embedded platform in one process: the feature pipeline on
 * PGlite in a worker thread (`PipelineThread`, so ingest never holds the
 * thread that serves `/predict`), the in-memory online cache, the local
 * folder registry with its sync worker, rollout controller and model
 * operations, and the edge app, which also serves the features API, HTTP
 * ingest, `/admin/models` and the operator console (so every route gets its
 * request id, CORS and metrics, and `/health` and `/ready` are the edge's),
 * with one OpenAPI document of all of it at `/openapi.json` and `/docs`.
 * `GET /metrics` adds the worker's `features_*` metrics to the edge's.
 *
 * The traffic split of a model lives in the pointer the model operations
 * move (in process memory); the edge reads aliases from the registry folder
 * and the split from that pointer, and counts each arm's requests where
 * `model:status` and the console read them. The console's buttons run the
 * same model operations as `/admin/models` and `deno task model:*`.
 *
 * @module
 */
import { join } from "node:path";
import { Gauge, Registry } from "prom-client";
import { createApp, type EdgeApp, resolveEdgeConfig } from "../../edge/mod.ts";
import { MemoryOnlineReader } from "../../edge/online/mod.ts";
import { RegistryModelSource } from "../../edge/models/mod.ts";
import { registerProcessMetrics } from "../../edge/process_metrics.ts";
import { MemoryRolloutSink } from "../../edge/rollout.ts";
import { createIngestRoutes } from "../../ingest-workers/http.ts";
import { createIngestMetrics } from "../../ingest-workers/ingest_metrics.ts";
import {
  createFeatureApp,
  MemoryOnlineCache,
  openOnlineCache,
  resolveFeaturesConfig,
} from "../../pipeline/mod.ts";
import { EXAMPLE_DEMOS } from "../../pipeline/examples/demo.ts";
import { createModelAdminRoutes } from "../../registry/admin_http.ts";
import {
  createModelOperations,
  createSyncService,
  LocalRegistry,
  MemoryRegistryStore,
  type ModelControl,
  resolveRegistryConfig,
} from "../../registry/mod.ts";
import {
  type ConsoleApp,
  createConsole,
  driftAlertThreshold,
  MetricsSampler,
} from "../console/mod.ts";
import { bootstrapDemo, type BootstrapResult, hasChampion } from "./bootstrap.ts";
import type { EmbeddedConfig } from "./config.ts";
import { embeddedOpenApiDocument } from "./openapi.ts";
import { PipelineThread } from "./pipeline_thread.ts";

/** The running embedded platform. */
export interface EmbeddedPlatform {
  /** Serves every route (edge, features, ingest, admin, console, docs). */
  fetch: (request: Request) => Response | Promise<Response>;
  /** Every route of the composition (method and path), for the authorisation matrix. */
  routes: { method: string; path: string }[];
  edge: EdgeApp;
  registry: LocalRegistry;
  /** The model operations the CLI and the console run against this platform. */
  models: ModelControl;
  /** Bearer token of `/admin/models`. */
  adminToken: string;
  /** Set when this start trained the demo model. */
  bootstrap: BootstrapResult | null;
  /** Commands to try against `base`, for the repository served. */
  tryLines(base: string): string[];
  /** The model `/predict` serves when a request names none. */
  defaultModel: string;
  /** The feature pipeline, running in its worker. */
  pipeline: PipelineThread;
  /** False when no version of the default model exists yet (started empty). */
  hasDefaultModel: boolean;
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
  const registryDir = join(config.dataDir, "registry");
  const registryConfig = resolveRegistryConfig({
    ...env,
    DATA_DIR: config.dataDir,
    REGISTRY_DIR: registryDir,
  });
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
  const closePipeline = async () => {
    await pipeline.close();
    await cache.close();
  };
  let edge: EdgeApp | undefined;
  let sampler: MetricsSampler | undefined;
  let consoleApp: ConsoleApp | undefined;
  try {
    const registry = new LocalRegistry({ root: registryDir });
    // A shipped example has a demo; a repository of one's own starts empty.
    const demo = featuresConfig.repository.repo
      ? undefined
      : EXAMPLE_DEMOS[pipeline.repository.name];
    let bootstrap: BootstrapResult | null = null;
    if (config.demoBootstrap && demo && !(await hasChampion(registry, demo.model))) {
      bootstrap = await bootstrapDemo(demo, pipeline, registry, { log });
    }
    const edgeConfig = resolveEdgeConfig({
      EDGE_REGISTRY_DIR: registryDir,
      ...(demo ? { EDGE_DEFAULT_MODEL: demo.model } : {}),
      ...env,
    });
    const store = new MemoryRegistryStore();
    // A challenger alias alone gets no traffic here: `model:canary` sets the split.
    const sync = createSyncService(registryConfig, { registry, store, challengerMode: "off" });
    // Per-entity features are personal data: the key of /predict, or their own.
    const featureKeys = featuresConfig.apiKeys.length > 0
      ? featuresConfig.apiKeys
      : edgeConfig.apiKeys;
    const app: EdgeApp = createApp({
      config: edgeConfig,
      models: new RegistryModelSource(registry, {
        traffic: edgeConfig.traffic,
        trafficOf: async (name, aliases) => {
          const pointer = await sync.publisher.readPointer(name);
          // A split set for another challenger than the folder's does not apply.
          if (!pointer || pointer.challenger?.version !== aliases.challenger) return undefined;
          return pointer.traffic;
        },
      }),
      online: new MemoryOnlineReader({ mget: (keys) => cache.getMany(keys) }, {
        cacheTtlMs: 0,
        inProcess: !shared,
      }),
      registry: metrics,
      rollout: new MemoryRolloutSink(store),
      openApi: {
        title: "rtml",
        document: () =>
          embeddedOpenApiDocument(app.routes, {
            edgeKeys: edgeConfig.apiKeys.length > 0,
            featureKeys: featureKeys.length > 0,
            ingestKeys: config.ingestApiKeys.length > 0,
            consoleToken: config.consoleAdminToken !== undefined,
          }),
      },
    });
    edge = app;
    const models = createModelOperations(sync, registryConfig, {
      pointerIsLive: true,
      target: "on the running platform",
      afterChange: async (name) => {
        await app.models.refresh(name).catch(() => {});
      },
    });
    const adminToken = registryConfig.REGISTRY_ADMIN_TOKEN ?? randomToken();
    app.hono.route("/", createFeatureApp({ pipeline, probes: false, apiKeys: featureKeys }));
    app.hono.route(
      "/",
      createIngestRoutes({
        pipeline,
        apiKeys: config.ingestApiKeys,
        metrics: createIngestMetrics(metrics),
        sourceOf: (path) => pipeline.repository.sourceForRoute("httpPath", path)?.name,
      }),
    );
    app.hono.route("/", createModelAdminRoutes(models, adminToken));
    sampler = new MetricsSampler({
      sources: [{
        name: "embedded",
        read: async () => `${await metrics.metrics()}${await pipeline.metrics().catch(() => "")}`,
      }],
    });
    consoleApp = createConsole({
      registry,
      models,
      rollouts: sync,
      pipeline,
      featureStore: pipeline,
      sampler,
      canarySteps: registryConfig.canarySteps,
      driftThreshold: driftAlertThreshold(),
      adminToken: config.consoleAdminToken,
      mode: "embedded",
    });
    app.hono.route("/", consoleApp);
    const hasDefaultModel = await hasVersions(registry, edgeConfig.defaultModel);
    if (hasDefaultModel) await app.warmup();
    if (registryConfig.REGISTRY_ROLLOUT_ENABLED) sync.rollout.start();
    return {
      fetch: (req) =>
        req.method === "GET" && new URL(req.url).pathname === "/metrics"
          ? withPipelineMetrics(app.fetch(req), pipeline)
          : app.fetch(req),
      routes: app.routes.map(({ method, path }) => ({ method, path })),
      edge: app,
      registry,
      models,
      adminToken,
      bootstrap,
      tryLines: (base) => [
        `curl -s ${base}/health`,
        ...(demo?.tryLines(base) ?? []),
        `open ${base}/docs      # interactive API reference (Swagger UI)`,
        `open ${base}/console   # operator console${
          config.consoleAdminToken ? " (sign in with CONSOLE_ADMIN_TOKEN)" : ""
        }`,
      ],
      defaultModel: edgeConfig.defaultModel,
      pipeline,
      hasDefaultModel,
      close: async () => {
        sync.rollout.stop();
        await sync.worker.stop();
        await sampler?.stop();
        consoleApp?.close();
        await app.close();
        await closePipeline();
      },
    };
  } catch (error) {
    await sampler?.stop().catch(() => {});
    consoleApp?.close();
    await edge?.close().catch(() => {});
    await closePipeline();
    throw error;
  }
}

async function hasVersions(registry: LocalRegistry, name: string): Promise<boolean> {
  try {
    return (await registry.listVersions(name)).length > 0;
  } catch (error) {
    if ((error as { code?: string }).code === "model_not_found") return false;
    throw error;
  }
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
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
