/**
 * The registry's HTTP surface (Hono): `/health`, `/ready`, `/metrics`,
 * `POST /webhooks/mlflow` (signed MLflow deliveries trigger a sync),
 * `/models/rollouts` (admin token) and `/packages/<sha>` for packages too
 * large for Redis. Errors become the platform's one JSON error shape here.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import { type Context, Hono } from "hono";
import type { Registry } from "prom-client";
import { PlatformError } from "../schemas/errors.ts";
import type { RegistryLog, RegistryMetrics } from "./metrics.ts";
import type { SyncWorker } from "./sync.ts";
import type { WebhookVerifier } from "./webhook.ts";
import { buildOpenApiDocument, DOCS_ROUTES, honoPath } from "../schemas/api.ts";
import { mountDocs } from "../schemas/api_docs.ts";
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
  rollout?: RolloutAdmin;
  largePackages?: Map<string, Uint8Array>;
}

const ENTITIES = new Set([
  "model_version_alias",
  "model_version",
  "registered_model",
  "model_version_tag",
]);

/** Builds the registry's Hono app. */
export function createRegistryApp(deps: RegistryAppDeps): Hono {
  const app = new Hono();

  app.get(R.health.config.path, (c) => {
    const models = deps.worker.status().map((s) => ({
      model: s.model,
      serving: s.pointer?.champion.version ?? null,
      challenger: s.pointer?.challenger?.version ?? null,
      revision: s.pointer?.revision ?? null,
      last_sync_at: s.lastSyncAt,
      last_error: s.lastError,
      refused: s.refused.map((r) => ({ version: r.version, reason: r.reason, message: r.message })),
    }));
    const unavailable = models.some((m) => m.last_error?.code === "registry_unavailable");
    return c.json({
      status: unavailable ? "degraded" : "ok",
      registry: unavailable ? "unavailable" : "ok",
      models,
    });
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
    const body = await c.req.text();
    if (!deps.verifier) {
      deps.metrics.webhooks.inc({ result: "unsigned" });
      return errorJson(
        c,
        401,
        "webhook_refused",
        "Webhook refused: no webhook secret is configured",
      );
    }
    const verdict = deps.verifier.verify(c.req.raw.headers, body);
    if (!verdict.ok) {
      deps.metrics.webhooks.inc({ result: verdict.reason });
      deps.log("warn", verdict.message, { reason: verdict.reason });
      return errorJson(
        c,
        verdict.reason === "malformed" ? 400 : 401,
        "webhook_refused",
        verdict.message,
      );
    }
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
    if (!authorized(c.req.header("authorization"), deps.adminToken)) {
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
    const reason = (await c.req.json().catch(() => ({})))?.reason ?? "manual";
    return c.json(await deps.rollout.rollback(model, `manual: ${String(reason).slice(0, 500)}`));
  });

  app.get(honoPath(R.packages.config.path), (c) => {
    const sha = c.req.param("sha") ?? "";
    const bytes = deps.largePackages?.get(sha);
    if (!bytes) {
      return errorJson(c, 404, "package_not_found", `Package not found '${sha}'`);
    }
    c.header("content-type", "application/octet-stream");
    c.header("cache-control", "public, max-age=31536000, immutable");
    return c.body(bytes as Uint8Array<ArrayBuffer>);
  });

  mountDocs(app, registryOpenApiDocument, REGISTRY_API_INFO.title);
  app.notFound((c) => errorJson(c, 404, "not_found", `No route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    const code = error instanceof PlatformError ? error.code : "internal";
    const status = code === "registry_unavailable" ? 503 : code.endsWith("_not_found") ? 404 : 500;
    deps.log("error", error.message, { code });
    return errorJson(c, status, code, status === 500 ? "Internal error" : error.message);
  });
  return app;
}

/** The OpenAPI document of the registry sync worker (its admin routes always need the token). */
export function registryOpenApiDocument() {
  return buildOpenApiDocument([...Object.values(R), ...Object.values(DOCS_ROUTES)], {
    ...REGISTRY_API_INFO,
    version: "1.0.0",
    enforced: ["admin_token"],
  });
}

function errorJson(c: Context, status: number, code: string, message: string) {
  return c.json({ error: { code, message, status } }, status as 400);
}

function authorized(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header?.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice("Bearer ".length));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
