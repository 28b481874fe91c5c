/**
 * Errors raised by the feature pipeline and its stores. Adapters translate
 * driver errors (postgres, PGlite, ioredis) into these at the boundary.
 *
 * @module
 */
import { PlatformError, type PlatformErrorOptions } from "../schemas/errors.ts";

/** A store (Postgres, Redis) is unavailable: back off, retry, do not ack. */
export class RetryableError extends PlatformError {
  constructor(message: string, options: PlatformErrorOptions = {}) {
    super("pipeline_retryable", message, options);
  }
}

/**
 * An ONNX model cannot be loaded (`model_load_failed`), was released
 * (`model_not_ready`) or failed a run (`inference_failed`); the edge answers
 * these codes with its statuses.
 */
export class ModelSessionError extends PlatformError {
  declare readonly code: "model_load_failed" | "model_not_ready" | "inference_failed";
  constructor(
    code: "model_load_failed" | "model_not_ready" | "inference_failed",
    message: string,
    options: PlatformErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** An embedded data folder is in use by another process. */
export class FeatureStoreLockedError extends PlatformError {
  constructor(message: string, options: PlatformErrorOptions = {}) {
    super("feature_store_locked", message, options);
  }
}

/** A feature view is unknown, or its definition conflicts with the stored one. */
export class FeatureViewError extends PlatformError {
  constructor(message: string, options: PlatformErrorOptions = {}) {
    super("feature_view_invalid", message, options);
  }
}

/** A feature repository (or one of its definitions) is invalid; `details` lists every problem. */
export class DefinitionError extends PlatformError {
  constructor(message: string, options: PlatformErrorOptions = {}) {
    super("definition_invalid", message, options);
  }
}

/** A request to the features API is invalid (for example a bad `as_of`). */
export class FeatureRequestError extends PlatformError {
  constructor(message: string, options: PlatformErrorOptions = {}) {
    super("invalid_request", message, options);
  }
}

const RETRYABLE_NODE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "NR_CLOSED",
]);

/**
 * Whether a driver error is transient: connection failures, Postgres
 * SQLSTATE classes 08 (connection), 53 (resources), 57 (operator
 * intervention), serialization failures and deadlocks.
 */
export function isTransientDriverError(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") {
      if (RETRYABLE_NODE_CODES.has(code)) return true;
      if (/^(08|53|57)/.test(code) || code === "40001" || code === "40P01") return true;
    }
    const name = (e as { name?: unknown }).name;
    if (name === "MaxRetriesPerRequestError") return true;
    const msg = e instanceof Error ? e.message : "";
    if (/connection is closed|Connection is closed|closed the connection/i.test(msg)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Translates a driver error into a {@linkcode RetryableError} when it is
 * transient; returns other errors unchanged.
 */
export function translateStoreError(what: string, error: unknown): unknown {
  if (error instanceof PlatformError) return error;
  if (isTransientDriverError(error)) {
    const detail = error instanceof Error ? error.message : String(error);
    return new RetryableError(`${what}: ${detail}`, { cause: error });
  }
  return error;
}
