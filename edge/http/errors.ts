/**
 * The one place errors become HTTP responses: every status carries the
 * `ErrorResponse` shape of `schemas/prediction.ts`, except on the Open
 * Inference Protocol's `/v2` routes, where the protocol's clients expect its
 * own `{"error": "<message>"}`.
 *
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorResponse } from "../../schemas/prediction.ts";
import { PlatformError } from "../../schemas/errors.ts";
import { EdgeError, type EdgeErrorCode, STATUS_OF } from "../errors.ts";
import type { Logger } from "../log.ts";

/** Builds the JSON error body. */
export function errorBody(
  code: string,
  message: string,
  status: number,
  requestId?: string,
  details?: { path: string; message: string }[],
): ErrorResponse {
  const body: ErrorResponse = { error: { code, message, status } };
  if (details && details.length > 0) body.error.details = details;
  if (requestId) body.request_id = requestId;
  return body;
}

/** The status, extra headers and JSON body of the error response of any thrown value. */
export function errorParts(
  err: unknown,
  requestId: string | undefined,
  logger: Logger,
): { status: number; headers: Record<string, string>; body: ErrorResponse } {
  let status = 500;
  let code = "internal_error";
  let message = "Internal error";
  let details: { path: string; message: string }[] | undefined;
  let headers: Record<string, string> = {};
  if (err instanceof EdgeError) {
    status = STATUS_OF[err.code];
    code = err.code;
    message = err.message;
    details = err.details;
    headers = err.headers;
  } else if (err instanceof PlatformError && err.code in STATUS_OF) {
    status = STATUS_OF[err.code as EdgeErrorCode];
    code = err.code;
    message = err.message;
  }
  if (status === 503 && !headers["Retry-After"]) headers = { ...headers, "Retry-After": "1" };
  if (status >= 500) {
    // 503s are expected operational states (warming up, store down): not errors of the service.
    const level = status !== 503 ? "error" : code === "model_not_ready" ? "info" : "warn";
    logger.log(level, message === "Internal error" ? "Unhandled error" : message, {
      request_id: requestId,
      code,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      cause: err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined,
    });
  }
  return { status, headers, body: errorBody(code, message, status, requestId, details) };
}

/** Whether `path` is one of the Open Inference Protocol's (`/v2`, `/v2/...`). */
export function isV2Path(path: string): boolean {
  return path === "/v2" || path.startsWith("/v2/");
}

/** Translates any thrown value into the error response (the app's `onError`). */
export function handleError(err: unknown, c: Context, logger: Logger): Response {
  const requestId = c.get("requestId" as never) as string | undefined;
  const { status, headers, body } = errorParts(err, requestId, logger);
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  if (isV2Path(c.req.path)) {
    return c.json({ error: body.error.message }, status as ContentfulStatusCode);
  }
  return c.json(body, status as ContentfulStatusCode);
}
