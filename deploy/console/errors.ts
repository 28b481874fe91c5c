/**
 * Errors of the console, turned into the platform's one JSON error shape by
 * the console's error handler.
 *
 * @module
 */
import { type ConsoleErrorCode, PlatformError } from "../../schemas/errors.ts";

export type { ConsoleErrorCode } from "../../schemas/errors.ts";

const STATUS: Record<ConsoleErrorCode, number> = {
  unauthorized: 401,
  invalid_request: 422,
  not_found: 404,
};

/** A request the console refuses, with its HTTP status. */
export class ConsoleError extends PlatformError {
  override readonly code: ConsoleErrorCode;
  readonly status: number;
  constructor(
    code: ConsoleErrorCode,
    message: string,
    options?: { cause?: unknown; details?: { path: string; message: string }[] },
  ) {
    super(code, message, options);
    this.code = code;
    this.status = STATUS[code];
  }
}
