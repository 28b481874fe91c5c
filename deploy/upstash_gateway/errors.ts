/**
 * Errors of the Upstash-compatible gateway.
 *
 * @module
 */
import { PlatformError } from "../../schemas/errors.ts";

/** Redis cannot be reached (the gateway answers 503). */
export class RedisUnavailableError extends PlatformError {
  constructor(reason: string, cause?: unknown) {
    super("redis_unavailable", `Redis is unavailable: ${reason}`, { cause });
  }
}

/** The HTTP request is not a valid Upstash REST request (the gateway answers 400). */
export class BadRequestError extends PlatformError {
  constructor(message: string) {
    super("bad_request", message);
  }
}
