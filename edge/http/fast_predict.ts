/**
 * The hot path of `POST /predict`, served without the Hono router and
 * context: profiling showed routing, the middleware chain and the context's
 * response building cost about a fifth of the CPU of a prediction. It
 * answers exactly what the routed path answers (same body, headers, status,
 * errors, `ml_api_requests_total` and debug log) and takes only plain
 * requests: `POST` to exactly `/predict`, no `Origin` (CORS stays in the
 * middleware), a JSON content type and a numeric `Content-Length` within the
 * limit. Anything else returns `undefined` before the body is touched, and
 * the caller hands the request to Hono. Both paths frame a 200 as the
 * config's `chunkedPredict` says.
 *
 * @module
 */
import type { BodyReader } from "../../pipeline/http_guard.ts";
import { PredictRequestSchema } from "../../schemas/prediction.ts";
import type { EdgeConfig } from "../config.ts";
import type { Logger } from "../log.ts";
import type { EdgeMetrics } from "../metrics.ts";
import type { PredictionService } from "../service.ts";
import { isJsonType, parseJsonText } from "./body.ts";
import { errorParts } from "./errors.ts";
import { fastPredictRequest } from "./fast_parse.ts";
import { checkApiKey, CHUNKED, requestIdOf } from "./middleware.ts";

/** What the fast path needs. */
export interface FastPredictDeps {
  config: EdgeConfig;
  service: PredictionService;
  metrics: EdgeMetrics;
  logger: Logger;
  /** Reads bodies within the limit and the deadline (shared with the routed path). */
  bodies: BodyReader;
}

const DIGITS = /^\d+$/;
const PATH = "/predict";
const LABELS_OK = [PATH, "POST", "200"];

/** Whether `url` (absolute) has exactly the path `/predict` and no query. */
function isPredictUrl(url: string): boolean {
  if (!url.endsWith(PATH)) return false;
  const start = url.indexOf("/", url.indexOf("://") + 3);
  return start === url.length - PATH.length;
}

/**
 * Returns a handler that serves plain `POST /predict` requests and returns
 * `undefined` for every other request (untouched, for the router).
 */
export function fastPredictRoute(
  d: FastPredictDeps,
): (req: Request) => Promise<Response> | undefined {
  const limit = d.config.bodyLimitBytes;
  const keys = d.config.apiKeys;
  const { metrics, logger, service, bodies } = d;
  // The framing of a 200, chosen once (see `EdgeConfig.chunkedPredict`).
  const okHeaders = d.config.chunkedPredict
    ? (id: string) => ({ "X-Request-ID": id, "Content-Type": "application/json", ...CHUNKED })
    : (id: string) => ({ "X-Request-ID": id, "Content-Type": "application/json" });
  const respond = (
    status: number,
    body: unknown,
    requestId: string,
    extra?: Record<string, string>,
  ) => {
    const headers: Record<string, string> = { "X-Request-ID": requestId, ...extra };
    headers["Content-Type"] = "application/json";
    return new Response(JSON.stringify(body), { status, headers });
  };
  const serve = async (req: Request, h: Headers): Promise<Response> => {
    const startedAt = performance.now();
    const requestId = requestIdOf(h.get("x-request-id"));
    let res: Response;
    let status = 200;
    try {
      if (keys.length > 0) checkApiKey(keys, h.get("authorization"));
      // The length was checked before this handler took the request: only the deadline is left.
      const text = await bodies.within(req.text());
      const body = parseJsonText(text, PredictRequestSchema, fastPredictRequest);
      const out = await service.predict(body, { requestId, startedAt });
      res = new Response(JSON.stringify(out), { headers: okHeaders(requestId) });
    } catch (err) {
      const e = errorParts(err, requestId, logger);
      status = e.status;
      res = respond(status, e.body, requestId, e.headers);
    }
    metrics.inc(metrics.apiRequests, status === 200 ? LABELS_OK : [PATH, "POST", String(status)]);
    if (logger.enabled("debug")) {
      logger.log("debug", "request", {
        request_id: requestId,
        method: "POST",
        route: PATH,
        status,
        duration_ms: performance.now() - startedAt,
      });
    }
    return res;
  };
  return (req) => {
    if (req.method !== "POST" || !isPredictUrl(req.url)) return undefined;
    const h = req.headers;
    if (h.has("origin") || !isJsonType(h.get("content-type"))) return undefined;
    const length = h.get("content-length");
    if (length === null || !DIGITS.test(length) || Number(length) > limit) return undefined;
    return serve(req, h);
  };
}
