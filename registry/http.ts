/**
 * The registry's HTTP surface (Hono): `/health` (status only; details with
 * the admin token), `/ready`, `/metrics`, `POST /webhooks/mlflow` (signed
 * MLflow deliveries trigger a sync), `/models/rollouts` (admin token) and
 * `/packages/<sha>` (admin or edge token) for packages too large for Redis,
 * and `/openapi.json` and `/docs` of all of it (with `/admin/models` when
 * `serveModelAdmin` mounts it).
 * Every POST checks its credentials before it reads the body, and reads it
 * within a size limit and a deadline. Errors become the platform's one JSON
 * error shape here, with any URL credentials redacted.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { requestId } from "hono/request-id";
import type { Registry } from "prom-client";
import { PlatformError } from "../schemas/errors.ts";
import { redactText } from "../schemas/redact.ts";
import { bearerToken, BodyReader, matchesAnyKey } from "../pipeline/http_guard.ts";
import type { RegistryLog, RegistryMetrics } from "./registry_metrics.ts";
import type { SyncWorker } from "./sync.ts";
import type { WebhookRefusal, WebhookVerifier } from "./webhook.ts";
import {
  type ApiRoute,
  buildOpenApiDocument,
  DOCS_ROUTES,
  honoPath,
  servedRoutes,
} from "../schemas/api.ts";
import { mountDocs } from "../schemas/api_docs.ts";
import { ADMIN_ROUTES } from "./admin_api.ts";
import { REGISTRY_API_INFO, REGISTRY_ROUTES as R } from "./api.ts";

/** Rollout actions and status exposed to admins (implemented by the rollout controller). */
export interface RolloutAdmin {
  status(): Promise<unknown[]>;
  rollback(model: string, reason: string): Promise<unknown>;
}

/** What {@linkcode createRegistryApp} needs. */
export interface RegistryAppDeps {
  worker: SyncWorker;
  metrics: RegistryMetrics;
  promRegistry: Registry;
  log: RegistryLog;
  /** Unset → webhooks are refused. */
  verifier?: WebhookVerifier;
  /** Unset → admin routes answer 401. */
  adminToken?: string;
  /** Token the edges present to read `/packages/<sha>` (the admin token works too). */
  edgeToken?: string;
  rollout?: RolloutAdmin;
  largePackages?: Map<string, Uint8Array>;
  /** Largest POST body in bytes (default 64 KiB: MLflow webhook payloads are small). */
  maxBodyBytes?: number;
  /** Longest time to receive a POST body, ms (default 10 000). */
  bodyTimeoutMs?: number;
}

/** Default largest POST body of the registry, bytes. */
export const REGISTRY_MAX_BODY_BYTES = 64 * 1024;

const ENTITIES = new Set([
  "model_version_alias",
  "model_version",
  "registered_model",
  "model_version_tag",
]);

/** Builds the registry's Hono app. */
export function createRegistryApp(deps: RegistryAppDeps): Hono {
  const app = new Hono();
  app.use(requestId({ headerName: "X-Request-ID" }));

  const admins = deps.adminToken ? [deps.adminToken] : [];
  const packageReaders = [...admins, ...(deps.edgeToken ? [deps.edgeToken] : [])];
  const isAdmin = (c: Context) => matchesAnyKey(bearerToken(c.req.header("authorization")), admins);
  const bodies = new BodyReader({
    maxBytes: deps.maxBodyBytes ?? REGISTRY_MAX_BODY_BYTES,
    timeoutMs: deps.bodyTimeoutMs,
  });

  const refuseWebhook = (c: Context, verdict: { reason: WebhookRefusal; message: string }) => {
    deps.metrics.webhooks.inc({ result: verdict.reason });
    deps.log("warn", verdict.message, { reason: verdict.reason });
    return errorJson(
      c,
      verdict.reason === "malformed" ? 400 : 401,
      "webhook_refused",
      verdict.message,
    );
  };

  app.get(R.health.config.path, (c) => {
    const models = deps.worker.status().map((s) => ({
      model: s.model,
      serving: s.pointer?.champion.version ?? null,
      challenger: s.pointer?.challenger?.version ?? null,
      revision: s.pointer?.revision ?? null,
      last_sync_at: s.lastSyncAt,
      last_error: s.lastError
        ? { ...s.lastError, message: redactText(s.lastError.message) }
        : s.lastError,
      refused: s.refused.map((r) => ({ version: r.version, reason: r.reason, message: r.message })),
    }));
    const unavailable = models.some((m) => m.last_error?.code === "registry_unavailable");
    const status = unavailable ? "degraded" : "ok";
    // Without the admin token: the status only (errors name internal hosts).
    if (!isAdmin(c)) return c.json({ status });
    return c.json({ status, registry: unavailable ? "unavailable" : "ok", models });
  });

  app.get(
    R.ready.config.path,
    (c) =>
      deps.worker.ready
        ? c.json({ status: "ready" })
        : errorJson(c, 503, "not_ready", "Registry sync has not completed a first cycle"),
  );

  app.get(R.metrics.config.path, async (c) => {
    c.header("content-type", deps.promRegistry.contentType);
    return c.body(await deps.promRegistry.metrics());
  });

  app.post(R.webhook.config.path, async (c) => {
    // Credentials first: nothing is read from a delivery that cannot be genuine.
    if (!deps.verifier) {
      deps.metrics.webhooks.inc({ result: "unsigned" });
      return errorJson(
        c,
        401,
        "webhook_refused",
        "Webhook refused: no webhook secret is configured",
      );
    }
    const early = deps.verifier.precheck(c.req.raw.headers);
    if (early) return refuseWebhook(c, early);
    const body = await bodies.text(c.req.raw);
    const verdict = deps.verifier.verify(c.req.raw.headers, body);
    if (!verdict.ok) return refuseWebhook(c, verdict);
    const { entity, action, data } = verdict.payload;
    const model = typeof data.name === "string" ? data.name : "";
    if (!ENTITIES.has(entity) || !deps.worker.models.includes(model)) {
      deps.metrics.webhooks.inc({ result: "ignored" });
      return c.json({ accepted: false, ignored: true });
    }
    deps.metrics.webhooks.inc({ result: "accepted" });
    deps.log("info", `Webhook ${entity}.${action} for model '${model}'`, {
      model,
      delivery_id: verdict.deliveryId,
      alias: data.alias,
      version: data.version,
    });
    // Answer at once; the sync runs in the background (MLflow retries slow answers).
    deps.worker.sync(model, "webhook").catch(() => {});
    return c.json({ accepted: true, model }, 202);
  });

  app.use("/models/*", async (c, next) => {
    if (!isAdmin(c)) {
      return errorJson(c, 401, "unauthorized", "Admin token missing or wrong");
    }
    await next();
  });

  app.get(R.rollouts.config.path, async (c) => {
    return c.json({
      models: deps.worker.status(),
      rollouts: deps.rollout ? await deps.rollout.status() : [],
    });
  });

  app.post(honoPath(R.rollback.config.path), async (c) => {
    const model = c.req.param("model") ?? "";
    if (!deps.rollout) {
      return errorJson(c, 503, "rollout_disabled", "Rollout controller is not running");
    }
    if (!deps.worker.models.includes(model)) {
      return errorJson(c, 404, "model_not_found", `Model not found '${model}'`);
    }
    const text = await bodies.text(c.req.raw);
    const reason = safeJson(text)?.reason ?? "manual";
    return c.json(await deps.rollout.rollback(model, `manual: ${String(reason).slice(0, 500)}`));
  });

  app.get(honoPath(R.packages.config.path), (c) => {
    if (!matchesAnyKey(bearerToken(c.req.header("authorization")), packageReaders)) {
      return errorJson(c, 401, "unauthorized", "Edge or admin token missing or wrong");
    }
    const sha = c.req.param("sha") ?? "";
    const bytes = deps.largePackages?.get(sha);
    if (!bytes) {
      return errorJson(c, 404, "package_not_found", `Package not found '${sha}'`);
    }
    c.header("content-type", "application/octet-stream");
    c.header("cache-control", "public, max-age=31536000, immutable");
    return c.body(bytes as Uint8Array<ArrayBuffer>);
  });

  // Built on first request, from the routes served by then (`/admin/models` when mounted).
  mountDocs(app, () => registryOpenApiDocument(app.routes), REGISTRY_API_INFO.title);
  app.notFound((c) => errorJson(c, 404, "not_found", `No route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    const code = error instanceof PlatformError ? error.code : "internal";
    const status = STATUS[code] ?? (code.endsWith("_not_found") ? 404 : 500);
    const message = redactText(error.message);
    if (status >= 500) deps.log("error", message, { code });
    return errorJson(c, status, code, status === 500 ? "Internal error" : message);
  });
  return app;
}

/**
 * The OpenAPI document of the registry sync worker: the routes of `served`
 * (an app's route table; default every route it can serve). Its admin and
 * package routes always need their token.
 */
export function registryOpenApiDocument(served?: readonly { method: string; path: string }[]) {
  const all: ApiRoute[] = [
    ...Object.values(R),
    ...Object.values(ADMIN_ROUTES),
    ...Object.values(DOCS_ROUTES),
  ];
  return buildOpenApiDocument(served ? servedRoutes(all, served) : all, {
    ...REGISTRY_API_INFO,
    version: "1.0.0",
    enforced: ["admin_token", "edge_token"],
  });
}

function errorJson(c: Context, status: number, code: string, message: string) {
  return c.json({ error: { code, message, status } }, status as 400);
}

const STATUS: Record<string, number> = {
  registry_unavailable: 503,
  payload_too_large: 413,
  request_timeout: 408,
  bad_request: 400,
};

function safeJson(text: string): { reason?: unknown } | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
