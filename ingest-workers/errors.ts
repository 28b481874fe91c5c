/**
 * Errors raised by the ingest workers. Adapters translate driver and SDK
 * errors into these codes at the boundary.
 *
 * @module
 */
import {
  type IngestRequestErrorCode,
  PlatformError,
  type PlatformErrorOptions,
} from "../schemas/errors.ts";
import { RetryableError } from "../pipeline/errors.ts";

export type { IngestErrorCode, IngestRequestErrorCode } from "../schemas/errors.ts";

/** A transient failure (broker, Postgres or Redis unavailable): back off, retry, do not ack. */
export class IngestRetryableError extends PlatformError {
  constructor(message: string, options: PlatformErrorOptions = {}) {
    super("ingest_retryable", message, options);
  }
}

/** A source could not be configured or started (bad stream name, missing topic...). */
export class SourceError extends PlatformError {
  constructor(message: string, options: PlatformErrorOptions = {}) {
    super("ingest_source_failed", message, options);
  }
}

/** An HTTP ingest request was refused; `status` is the HTTP status to answer. */
export class IngestRequestError extends PlatformError {
  /** HTTP status of the answer. */
  readonly status: number;
  declare readonly code: IngestRequestErrorCode;
  constructor(
    code: IngestRequestErrorCode,
    status: number,
    message: string,
    options: PlatformErrorOptions = {},
  ) {
    super(code, message, options);
    this.status = status;
  }
}

/**
 * Whether `error` is transient, by its class: our own
 * {@linkcode IngestRetryableError} or the pipeline's `RetryableError` (the
 * embedded pipeline thread's channel rebuilds that class on this side).
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof IngestRetryableError || error instanceof RetryableError;
}
