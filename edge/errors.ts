/**
 * Errors raised by the edge. The HTTP layer maps each `code` to a status in
 * one error handler (`http/errors.ts`).
 *
 * @module
 */
import {
  type EdgeErrorCode,
  type FieldIssue,
  PlatformError,
  type PlatformErrorOptions,
} from "../schemas/errors.ts";

export type { EdgeErrorCode } from "../schemas/errors.ts";

/** An error of the edge, safe to show to a client. */
export class EdgeError extends PlatformError {
  declare readonly code: EdgeErrorCode;
  declare readonly details?: FieldIssue[];
  /** Extra response headers (`Allow`, `Retry-After`). */
  readonly headers: Record<string, string>;

  constructor(
    code: EdgeErrorCode,
    message: string,
    options: PlatformErrorOptions & { details?: FieldIssue[]; headers?: Record<string, string> } =
      {},
  ) {
    super(code, message, options);
    this.headers = options.headers ?? {};
  }
}

/** HTTP status of each edge error code. */
export const STATUS_OF: Record<EdgeErrorCode, number> = {
  bad_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  request_timeout: 408,
  unsupported_media_type: 415,
  validation_failed: 422,
  missing_features: 422,
  model_not_found: 404,
  version_not_found: 404,
  model_not_ready: 503,
  model_load_failed: 503,
  online_store_unavailable: 503,
  model_not_explainable: 422,
  inference_failed: 500,
};
