/**
 * Request framing: request id, CORS, API-key auth, access log and the
 * `ml_api_requests_total` counter by route template.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { EdgeConfig } from "../config.ts";
import { EdgeError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { EdgeMetrics } from "../metrics.ts";
import { bearerToken, matchesAnyKey } from "../../pipeline/http_guard.ts";

/** Variables the middleware sets on the context. */
export type EdgeEnv = { Variables: { requestId: string; route: string; startedAt: number } };

const REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);

/**
 * The `method` label: a standard method, else `other`. A client may send any
 * token as the method; one series per token would grow memory without bound.
 */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : "other";
}

/**
 * Headers that make Deno frame a `/predict` answer as chunked, which it then
 * sends in one write (see `EdgeConfig.chunkedPredict`).
 */
export const CHUNKED = Object.freeze({ "Transfer-Encoding": "chunked" });

/** The caller's `X-Request-ID` when it is a safe token, else a new UUID. */
export function requestIdOf(given: string | null | undefined): string {
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** The first middleware: id, timing, CORS, log and metrics. */
export function frame(
  config: EdgeConfig,
  metrics: EdgeMetrics,
  logger: Logger,
): MiddlewareHandler<EdgeEnv> {
  const origins = new Set(config.corsOrigins);
  const anyOrigin = origins.has("*");
  return async (c, next) => {
    const startedAt = performance.now();
    const requestId = requestIdOf(c.req.header("x-request-id"));
    c.set("requestId", requestId);
    c.set("startedAt", startedAt);
    c.set("route", "unmatched");
    const origin = c.req.header("origin");
    const allowed = origin !== undefined && (anyOrigin || origins.has(origin));
    if (c.req.method === "OPTIONS" && origin && c.req.header("access-control-request-method")) {
      c.header("X-Request-ID", requestId);
      if (!allowed) return c.body(null, 204);
      corsHeaders(c, origin, anyOrigin, config.corsCredentials);
      c.header("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
      c.header(
        "Access-Control-Allow-Headers",
        "authorization, content-type, x-request-id, inference-header-content-length",
      );
      c.header("Access-Control-Max-Age", "600");
      return c.body(null, 204);
    }
    // Set before the handler: responses made through the context (errors
    // included) carry them without copying headers afterwards.
    c.header("X-Request-ID", requestId);
    if (allowed) corsHeaders(c, origin, anyOrigin, config.corsCredentials);
    await next();
    const route = c.get("route");
    metrics.inc(metrics.apiRequests, [route, methodLabel(c.req.method), String(c.res.status)]);
    if (logger.enabled("debug")) {
      logger.log("debug", "request", {
        request_id: requestId,
        method: c.req.method,
        route,
        status: c.res.status,
        duration_ms: performance.now() - startedAt,
      });
    }
  };
}

function corsHeaders(c: Context, origin: string, anyOrigin: boolean, credentials: boolean): void {
  if (anyOrigin && !credentials) {
    c.header("Access-Control-Allow-Origin", "*");
  } else {
    c.header("Access-Control-Allow-Origin", origin);
    c.header("Vary", "Origin");
  }
  if (credentials) c.header("Access-Control-Allow-Credentials", "true");
  c.header(
    "Access-Control-Expose-Headers",
    "x-request-id, retry-after, inference-header-content-length",
  );
}

/** Checks the Bearer API key when keys are configured. */
export function requireApiKey(config: EdgeConfig): (c: Context) => void {
  const keys = config.apiKeys;
  return (c) => checkApiKey(keys, c.req.header("authorization"));
}

/** Throws the 401 unless `authorization` carries one of `keys` (none configured: open). */
export function checkApiKey(keys: readonly string[], authorization: string | null | undefined) {
  if (keys.length === 0) return;
  const token = bearerToken(authorization);
  if (!matchesAnyKey(token, keys)) {
    throw new EdgeError(
      "unauthorized",
      token ? "Invalid API key" : "Missing API key: send Authorization: Bearer <key>",
      { headers: { "WWW-Authenticate": 'Bearer realm="edge"' } },
    );
  }
}
