/**
 * The worker's own HTTP surface: `/health` (alive, with state), `/ready`
 * (200 only while pulling normally), `/metrics` (Prometheus text), and, for
 * the HTTP source, `POST /ingest/events`.
 *
 * @module
 */
import { Hono } from "hono";
import type { Registry } from "prom-client";
import { buildOpenApiDocument, DOCS_ROUTES } from "../schemas/api.ts";
import { mountDocs } from "../schemas/api_docs.ts";
import { INGEST_API_INFO, INGEST_ROUTES, WORKER_ROUTES as R } from "./api.ts";

/** What the ops routes report. */
export interface WorkerStatus {
  /** `starting`, `running`, `degraded`, `stopping`, `stopped`. */
  state: string;
  /** Whether the source is connected and able to deliver. */
  sourceReady: boolean;
  lastError?: string;
}

/** Options of {@linkcode createWorkerApp}. */
export interface WorkerAppOptions {
  source: string;
  registry: Registry;
  status(): WorkerStatus;
  /** The HTTP source's routes, once the pipeline is open (`undefined` answers 503 until then). */
  ingestRoutes?: () => Hono | undefined;
  /** Whether `/ingest/events` needs an API key (for the document). */
  apiKeys?: boolean;
}

/** Builds the Hono app of a worker process. */
export function createWorkerApp(options: WorkerAppOptions): Hono {
  const app = new Hono();
  app.get(R.health.config.path, (c) => {
    const s = options.status();
    const status = s.state === "degraded" ? "degraded" : "ok";
    return c.json({
      status,
      state: s.state,
      source: options.source,
      last_error: s.lastError ?? null,
    });
  });
  app.get(R.ready.config.path, (c) => {
    const s = options.status();
    const ready = s.state === "running" && s.sourceReady;
    return c.json({ ready, state: s.state, source: options.source }, ready ? 200 : 503);
  });
  app.get(R.metrics.config.path, async (c) => {
    c.header("content-type", options.registry.contentType);
    return c.body(await options.registry.metrics());
  });
  mountDocs(app, () => workerOpenApiDocument(options), INGEST_API_INFO.title);
  if (options.ingestRoutes) {
    const routes = options.ingestRoutes;
    app.all("/ingest/*", (c) => {
      const r = routes();
      if (r) return r.fetch(c.req.raw);
      const message = "Cannot ingest events: the feature pipeline is not open yet";
      return c.json({ error: { code: "service_unavailable", message, status: 503 } }, 503);
    });
  }
  return app;
}

/** The OpenAPI document of a worker process (`/ingest/events` only for the HTTP source). */
export function workerOpenApiDocument(options: { ingestRoutes?: unknown; apiKeys?: boolean }) {
  const routes = [...Object.values(R), ...Object.values(DOCS_ROUTES)];
  if (options.ingestRoutes) routes.push(INGEST_ROUTES.events);
  return buildOpenApiDocument(routes, {
    ...INGEST_API_INFO,
    version: "1.0.0",
    enforced: options.apiKeys ? ["api_key"] : [],
  });
}
