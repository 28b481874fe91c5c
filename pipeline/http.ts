/**
 * The HTTP API of the features: exact offline values as of any time, and
 * what the edge sees online now. Errors use the platform's one JSON shape.
 *
 * Per-entity features are personal data: with `apiKeys` set, the feature
 * routes need `Authorization: Bearer <key>` (401 otherwise), and `/ready`
 * tells why it is not ready only to a key holder (the reasons name hosts).
 *
 * @module
 */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { Context } from "hono";
import type { Registry } from "prom-client";
import type { ErrorResponse } from "../schemas/prediction.ts";
import { PlatformError } from "../schemas/errors.ts";
import { parseIsoUtc } from "../schemas/time.ts";
import { redactText } from "../schemas/redact.ts";
import { bearerToken, matchesAnyKey } from "./http_guard.ts";
import { entityViews, type FeaturePipeline } from "./feature_pipeline.ts";
import { FeatureRequestError } from "./errors.ts";
import { buildOpenApiDocument, DOCS_ROUTES, honoPath } from "../schemas/api.ts";
import { FEATURE_API_INFO, FEATURE_ROUTES as R } from "./api.ts";

/**
 * What the features API reads: a `FeaturePipeline`, or a handle on one that
 * runs on another thread (the embedded platform's pipeline worker).
 */
export type FeatureReader = Pick<
  FeaturePipeline,
  "repository" | "views" | "getOfflineFeatures" | "getOnlineFeatures"
>;

/** Dependencies of {@linkcode createFeatureApp}. */
export interface FeatureAppDeps {
  pipeline: FeatureReader;
  /** Served at `/metrics` when given. */
  registry?: Registry;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Bearer keys of the feature routes; empty or absent: open. */
  apiKeys?: readonly string[];
  /**
   * Serve `/health`, `/healthz` and `/ready` (default true). A host that
   * mounts these routes beside its own probes (the embedded platform) turns
   * them off, so its own answer those paths.
   */
  probes?: boolean;
  /** Mounts `/openapi.json` and `/docs` (a standalone process; not when composed). */
  docs?: (app: Hono) => void;
}

/** The routes of {@linkcode createFeatureApp} that need a key when keys are set. */
const KEYED_ROUTES = Object.values(R).filter((r) => r.protect === "api_key");

const STATUS: Record<string, number> = {
  invalid_request: 422,
  not_found: 404,
  pipeline_retryable: 503,
};

/**
 * Builds the features app: `GET /features/{entity}/{id}?as_of=<ISO>`
 * (offline, from the store) and `GET /features/{entity}/{id}/online` (from
 * the online cache), both `{entity_type, entity_id, as_of, features}` with
 * the features of every view of the entity type. A composite id is its key
 * values URL-encoded and joined by `:`.
 */
export function createFeatureApp(deps: FeatureAppDeps): Hono {
  const app = new Hono();
  // Hosts that frame requests themselves (the edge) already set X-Request-ID.
  if (deps.probes !== false) app.use(requestId({ headerName: "X-Request-ID" }));
  const now = deps.now ?? Date.now;
  const keys = deps.apiKeys ?? [];
  const keyHolder = (c: Context) =>
    keys.length === 0 || matchesAnyKey(bearerToken(c.req.header("authorization")), keys);
  for (const route of KEYED_ROUTES) {
    app.use(honoPath(route.config.path), async (c, next) => {
      if (!keyHolder(c)) {
        c.header("WWW-Authenticate", 'Bearer realm="features"');
        return errorResponse(c, "unauthorized", "Missing or invalid API key", 401);
      }
      await next();
    });
  }
  const entityOf = (entity: string) => {
    entityViews(deps.pipeline.repository, entity);
    return entity;
  };
  app.get(honoPath(R.offline.config.path), async (c) => {
    const entity = entityOf(param(c, "entity"));
    const asOf = parseAsOf(c.req.query("as_of"), now());
    return c.json(await deps.pipeline.getOfflineFeatures(entity, param(c, "id"), asOf));
  });
  app.get(honoPath(R.online.config.path), async (c) => {
    const entity = entityOf(param(c, "entity"));
    return c.json(await deps.pipeline.getOnlineFeatures(entity, param(c, "id"), now()));
  });
  if (deps.probes !== false) registerProbes(app, deps, now, keyHolder);
  if (deps.registry) {
    const registry = deps.registry;
    app.get(
      R.metrics.config.path,
      async (c) => c.text(await registry.metrics(), 200, { "content-type": registry.contentType }),
    );
  }
  deps.docs?.(app);
  app.notFound((c) => errorResponse(c, "not_found", `Cannot find route ${c.req.path}`, 404));
  app.onError((err, c) => {
    if (err instanceof PlatformError) {
      const details = Array.isArray(err.details) ? err.details : undefined;
      return errorResponse(c, err.code, err.message, STATUS[err.code] ?? 500, details);
    }
    console.error(redactText(err instanceof Error ? err.stack ?? err.message : String(err)));
    return errorResponse(c, "internal_error", "Internal error", 500);
  });
  return app;
}

/**
 * Liveness: the process answers. Readiness: the store and the online cache
 * both answer a read of a probe entity, within a deadline.
 */
function registerProbes(
  app: Hono,
  deps: FeatureAppDeps,
  now: () => number,
  keyHolder: (c: Context) => boolean,
): void {
  app.get(R.health.config.path, (c) => c.json({ status: "ok" }));
  app.get(R.healthz.config.path, (c) => c.json({ status: "ok" }));
  app.get(R.ready.config.path, async (c) => {
    const entity = deps.pipeline.views[0].entity;
    const probe = "__ready_probe__";
    const checks = await Promise.allSettled([
      withDeadline(deps.pipeline.getOfflineFeatures(entity, probe, now()), READY_TIMEOUT_MS),
      withDeadline(deps.pipeline.getOnlineFeatures(entity, probe, now()), READY_TIMEOUT_MS),
    ]);
    const [store, online] = checks.map((r) =>
      r.status === "fulfilled" ? "ok" : `error: ${(r.reason as Error)?.message ?? r.reason}`
    );
    if (store === "ok" && online === "ok") return c.json({ status: "ready", store, online });
    // Only a key holder sees why (driver messages may name hosts).
    const why = keyHolder(c) ? `: store ${redactText(store)}; online ${redactText(online)}` : "";
    return errorResponse(c, "not_ready", `Not ready${why}`, 503);
  });
}

/** The OpenAPI document of `deno task features:serve`; `apiKeys`: whether keys are set. */
export function featureOpenApiDocument(apiKeys = false) {
  return buildOpenApiDocument([...Object.values(R), ...Object.values(DOCS_ROUTES)], {
    ...FEATURE_API_INFO,
    version: "1.0.0",
    enforced: apiKeys ? ["api_key"] : [],
  });
}

const READY_TIMEOUT_MS = 2000;

function param(c: Context, name: string): string {
  return c.req.param(name) ?? "";
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function parseAsOf(text: string | undefined, nowMs: number): number {
  if (text === undefined || text === "") return nowMs;
  const t = parseIsoUtc(text);
  if (t === null) {
    const message = "Must be an ISO 8601 timestamp";
    throw new FeatureRequestError(`Cannot read as_of '${text}': not an ISO 8601 timestamp`, {
      details: [{ path: "as_of", message }],
    });
  }
  return t;
}

function errorResponse(
  c: Context,
  code: string,
  message: string,
  status: number,
  details?: { path: string; message: string }[],
): Response {
  const body: ErrorResponse = { error: { code, message, status, ...(details ? { details } : {}) } };
  return c.json(body, status as 404);
}
