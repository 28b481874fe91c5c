/**
 * Errors raised by the ingest workers. Adapters translate driver and SDK
 * errors into these codes at the boundary.
 *
 * @module
 */
import { PlatformError, type PlatformErrorOptions } from "../schemas/errors.ts";

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
  constructor(
    code: string,
    status: number,
    message: string,
    options: PlatformErrorOptions = {},
  ) {
    super(code, message, options);
    this.status = status;
  }
}

/**
 * Whether `error` is transient: our own {@linkcode IngestRetryableError}, the
 * pipeline's `RetryableError`, or any platform error whose code says so.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof IngestRetryableError) return true;
  if (!(error instanceof Error)) return false;
  if (error.name === "RetryableError") return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && /retryable|unavailable/i.test(code);
}
