/**
 * The worker's own HTTP surface: `/health` (alive, with state; the last
 * error only to a key holder when keys are set, since it names hosts),
 * `/ready` (200 only while pulling normally), `/metrics` (Prometheus text),
 * and, for the HTTP source, `POST /ingest/events`.
 *
 * @module
 */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { Registry } from "prom-client";
import { bearerToken, matchesAnyKey } from "../pipeline/http_guard.ts";
import { buildOpenApiDocument, DOCS_ROUTES } from "../schemas/api.ts";
import { mountDocs } from "../schemas/api_docs.ts";
import { redactText } from "../schemas/redact.ts";
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
  /**
   * Keys (`INGEST_API_KEYS`) that see `/health` details and that `/ingest/events` needs;
   * empty or absent: open.
   */
  apiKeys?: readonly string[];
}

/** Builds the Hono app of a worker process. */
export function createWorkerApp(options: WorkerAppOptions): Hono {
  const app = new Hono();
  const keys = options.apiKeys ?? [];
  app.use(requestId({ headerName: "X-Request-ID" }));
  app.get(R.health.config.path, (c) => {
    const s = options.status();
    const status = s.state === "degraded" ? "degraded" : "ok";
    const given = c.req.header("x-api-key") ?? bearerToken(c.req.header("authorization"));
    if (keys.length > 0 && !matchesAnyKey(given, keys)) return c.json({ status });
    return c.json({
      status,
      state: s.state,
      source: options.source,
      last_error: s.lastError ? redactText(s.lastError) : null,
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
  app.notFound((c) =>
    c.json({
      error: { code: "not_found", message: `No route ${c.req.method} ${c.req.path}`, status: 404 },
    }, 404)
  );
  app.onError((error, c) => {
    console.error(error);
    return c.json(
      { error: { code: "internal_error", message: "Internal error", status: 500 } },
      500,
    );
  });
  return app;
}

/** The OpenAPI document of a worker process (`/ingest/events` only for the HTTP source). */
export function workerOpenApiDocument(
  options: { ingestRoutes?: unknown; apiKeys?: readonly string[] },
) {
  const routes = [...Object.values(R), ...Object.values(DOCS_ROUTES)];
  if (options.ingestRoutes) routes.push(INGEST_ROUTES.ingest);
  return buildOpenApiDocument(routes, {
    ...INGEST_API_INFO,
    version: "1.0.0",
    enforced: (options.apiKeys ?? []).length > 0 ? ["api_key"] : [],
  });
}
