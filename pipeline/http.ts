/**
 * The HTTP API of the features: exact offline values as of any time, and
 * what the edge sees online now. Errors use the platform's one JSON shape.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { Registry } from "prom-client";
import type { ErrorResponse } from "../schemas/prediction.ts";
import { PlatformError } from "../schemas/errors.ts";
import { parseIsoUtc } from "../schemas/time.ts";
import type { FeaturePipeline } from "./feature_pipeline.ts";
import { FeatureRequestError } from "./errors.ts";

/**
 * What the features API reads: a `FeaturePipeline`, or a handle on one that
 * runs on another thread (the embedded platform's pipeline worker).
 */
export type FeatureReader = Pick<
  FeaturePipeline,
  "views" | "getOfflineFeatures" | "getOnlineFeatures"
>;

/** Dependencies of {@linkcode createFeatureApp}. */
export interface FeatureAppDeps {
  pipeline: FeatureReader;
  /** Served at `/metrics` when given. */
  registry?: Registry;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

const STATUS: Record<string, number> = {
  invalid_request: 422,
  not_found: 404,
  pipeline_retryable: 503,
};

/**
 * Builds the features app: `GET /features/{entity}/{id}?as_of=<ISO>`
 * (offline, from the store) and `GET /features/{entity}/{id}/online` (from
 * the online cache), both `{entity_type, entity_id, as_of, features}`.
 */
export function createFeatureApp(deps: FeatureAppDeps): Hono {
  const app = new Hono();
  const now = deps.now ?? Date.now;
  const viewFor = (entity: string) => {
    const view = deps.pipeline.views.find((v) => v.entity === entity);
    if (!view) {
      throw new PlatformError("not_found", `Cannot find entity type '${entity}'`);
    }
    return view;
  };
  app.get("/features/:entity/:id", async (c) => {
    const view = viewFor(c.req.param("entity"));
    const asOf = parseAsOf(c.req.query("as_of"), now());
    return c.json(await deps.pipeline.getOfflineFeatures(c.req.param("id"), asOf, view));
  });
  app.get("/features/:entity/:id/online", async (c) => {
    const view = viewFor(c.req.param("entity"));
    return c.json(await deps.pipeline.getOnlineFeatures(c.req.param("id"), now(), view));
  });
  // Liveness: the process answers. Readiness: the store and the online
  // cache both answer a read of a probe entity, within a deadline.
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/ready", async (c) => {
    const view = deps.pipeline.views[0];
    const probe = "__ready_probe__";
    const checks = await Promise.allSettled([
      withDeadline(deps.pipeline.getOfflineFeatures(probe, now(), view), READY_TIMEOUT_MS),
      withDeadline(deps.pipeline.getOnlineFeatures(probe, now(), view), READY_TIMEOUT_MS),
    ]);
    const [store, online] = checks.map((r) =>
      r.status === "fulfilled" ? "ok" : `error: ${(r.reason as Error)?.message ?? r.reason}`
    );
    if (store === "ok" && online === "ok") return c.json({ status: "ready", store, online });
    return errorResponse(c, "not_ready", `Not ready: store ${store}; online ${online}`, 503);
  });
  if (deps.registry) {
    const registry = deps.registry;
    app.get(
      "/metrics",
      async (c) => c.text(await registry.metrics(), 200, { "content-type": registry.contentType }),
    );
  }
  app.notFound((c) => errorResponse(c, "not_found", `Cannot find route ${c.req.path}`, 404));
  app.onError((err, c) => {
    if (err instanceof PlatformError) {
      const details = Array.isArray(err.details) ? err.details : undefined;
      return errorResponse(c, err.code, err.message, STATUS[err.code] ?? 500, details);
    }
    console.error(err);
    return errorResponse(c, "internal_error", "Internal error", 500);
  });
  return app;
}

const READY_TIMEOUT_MS = 2000;

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
