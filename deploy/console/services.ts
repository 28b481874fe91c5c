/**
 * The console against real services: the feature store and online cache
 * the pipeline config names (Postgres, Redis or Upstash), the registry and
 * pointer store the registry config names (MLflow or the local folder,
 * Upstash), and the `/metrics` of the configured processes. Its buttons run
 * the model operations (`registry/operations.ts`) in this process, on those
 * shared MLflow aliases and the Redis pointer, as `deno task model:*` does
 * from a shell without a running platform: the console already reads the
 * registry, the pointer and the edges' counters directly, so it needs no
 * other process (nor its token) to act, and acts while `registry:sync` is
 * down. Without `UPSTASH_REDIS_REST_*` there is no shared pointer: promote
 * and rollback change aliases only, a canary refuses and says why.
 *
 * @module
 */
import { Hono } from "hono";
import { openFeatureRuntime, resolveFeaturesConfig } from "../../pipeline/mod.ts";
import { resolveRegistryConfig } from "../../registry/mod.ts";
import { createModelOperations, createSyncService, describeTarget } from "../../registry/wiring.ts";
import { jsonLog } from "../../registry/registry_metrics.ts";
import { buildOpenApiDocument, DOCS_ROUTES } from "../../schemas/api.ts";
import { mountDocs } from "../../schemas/api_docs.ts";
import { CONSOLE_ROUTES } from "./api.ts";
import { createConsole } from "./app.tsx";
import type { ConsoleConfig } from "./config.ts";
import { driftAlertThreshold } from "./mod.ts";
import { MetricsSampler, urlSource } from "./prom.ts";

/** A running console process. */
export interface ConsoleProcess {
  fetch: (request: Request) => Response | Promise<Response>;
  /** Every route served (method and path), for the authorisation matrix. */
  routes: { method: string; path: string }[];
  close(): Promise<void>;
}

/** Opens the console on the services `env` configures. */
export async function openConsole(
  config: ConsoleConfig,
  env: Record<string, string | undefined>,
): Promise<ConsoleProcess> {
  const runtime = await openFeatureRuntime(resolveFeaturesConfig(env), { skipWarm: true });
  const registryConfig = resolveRegistryConfig(env);
  const sync = createSyncService(registryConfig, { log: jsonLog });
  const models = createModelOperations(sync, registryConfig, describeTarget(registryConfig));
  const sampler = new MetricsSampler({
    sources: config.metricsUrls.map((m) => urlSource(m.name, m.url)),
    intervalMs: config.sampleIntervalMs,
  });
  const app = new Hono();
  mountDocs(app, consoleOpenApiDocument, "rtml console");
  app.get("/", (c) => c.redirect("/console", 303));
  const consoleApp = createConsole({
    registry: sync.registry,
    models,
    rollouts: sync,
    pipeline: runtime.pipeline,
    featureStore: runtime.store,
    sampler,
    canarySteps: registryConfig.canarySteps,
    driftThreshold: driftAlertThreshold(),
    adminToken: config.adminToken,
    mode: "services",
  });
  app.route("/", consoleApp);
  return {
    fetch: app.fetch,
    routes: app.routes.map(({ method, path }) => ({ method, path })),
    close: async () => {
      await sampler.stop();
      consoleApp.close();
      await runtime.close();
    },
  };
}

/** The OpenAPI document of `deno task console`. */
export function consoleOpenApiDocument() {
  return buildOpenApiDocument([...Object.values(DOCS_ROUTES), ...Object.values(CONSOLE_ROUTES)], {
    title: "rtml console",
    version: "1.0.0",
    description: "The operator console: pages, the JSON its plots read, and its actions.",
    enforced: ["console_token"],
  });
}
