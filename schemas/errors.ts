/**
 * The one error base class every part of the platform extends.
 *
 * Each folder has its own `errors.ts` with subclasses that fix a literal
 * `code`; HTTP surfaces map codes to statuses in one error handler.
 *
 * @module
 */

/** Codes of the edge's errors; `edge/http/errors.ts` maps each to an HTTP status. */
export type EdgeErrorCode =
  | "bad_request"
  | "invalid_json"
  | "unauthorized"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "request_timeout"
  | "unsupported_media_type"
  | "validation_failed"
  | "missing_features"
  | "model_not_found"
  | "version_not_found"
  | "model_not_ready"
  | "model_load_failed"
  | "online_store_unavailable"
  | "model_not_explainable"
  | "inference_failed";

/** Codes of the registry's errors. */
export type RegistryErrorCode =
  | "model_not_found"
  | "version_not_found"
  | "artifact_corrupt"
  | "artifact_invalid"
  | "registry_unavailable"
  | "registry_conflict"
  | "invalid_request"
  | "publish_failed"
  /** Promote or canary would change the inputs clients send (see `input_changes.ts`). */
  | "input_schema_changed"
  /** A traffic split was asked for where no serving process can see it. */
  | "no_running_platform";

/** Codes of training errors (`pipeline/train`). */
export type TrainErrorCode =
  | "training_data_invalid"
  | "training_options_invalid"
  | "training_failed";

/** Codes of the feature pipeline's errors (stores, definitions, its HTTP API and CLIs). */
export type PipelineErrorCode =
  | "pipeline_retryable"
  /** ONNX sessions (`pipeline/onnx/session.ts`). */
  | "model_load_failed"
  | "model_not_ready"
  | "inference_failed"
  | "feature_store_locked"
  | "feature_view_invalid"
  | "definition_invalid"
  | "invalid_request"
  | "not_found"
  | "usage_invalid"
  /** Body guard: too large (413), too slow (408), bad `Content-Length` (400). */
  | "payload_too_large"
  | "request_timeout"
  | "bad_request";

/** Codes of a refused HTTP ingest request (`IngestRequestError`). */
export type IngestRequestErrorCode =
  | "bad_request"
  | "empty_body"
  | "invalid_json"
  | "invalid_encoding"
  | "unsupported_encoding"
  | "not_found"
  | "payload_too_large"
  | "request_timeout"
  | "service_unavailable"
  | "unauthorized";

/** Codes of the ingest workers' errors. */
export type IngestErrorCode = "ingest_retryable" | "ingest_source_failed" | IngestRequestErrorCode;

/** Codes of the console's errors. */
export type ConsoleErrorCode = "unauthorized" | "invalid_request" | "not_found";

/** Codes of the Upstash-compatible gateway's errors. */
export type GatewayErrorCode = "redis_unavailable" | "bad_request" | "command_refused";

/**
 * Every code a {@linkcode PlatformError} can carry: one literal union, so a
 * comparison with a misspelt code fails to compile.
 */
export type PlatformErrorCode =
  | "config_invalid"
  | EdgeErrorCode
  | RegistryErrorCode
  | TrainErrorCode
  | PipelineErrorCode
  | IngestErrorCode
  | ConsoleErrorCode
  | GatewayErrorCode;

/** Options accepted by {@linkcode PlatformError}. */
export interface PlatformErrorOptions {
  /** The lower-level error this one translates. */
  cause?: unknown;
  /** Structured details (for example the failing fields). */
  details?: unknown;
}

/** Base class of every error the platform raises on purpose. */
export class PlatformError extends Error {
  /** A stable, machine-readable code such as `model_not_found`. */
  readonly code: PlatformErrorCode;
  /** Structured details, safe to show to a client. */
  readonly details?: unknown;

  constructor(code: PlatformErrorCode, message: string, options: PlatformErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

/** One problem found while validating input or configuration. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `features.amount` or `instances.3.amount`. */
  path: string;
  /** What is wrong with it. */
  message: string;
}

/** Raised when configuration is invalid; lists every problem at once. */
export class ConfigError extends PlatformError {
  declare readonly details: FieldIssue[];
  constructor(part: string, issues: FieldIssue[]) {
    super(
      "config_invalid",
      `Invalid ${part} configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
      { details: issues },
    );
  }
}
