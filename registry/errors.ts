/**
 * Errors raised by registry adapters.
 *
 * @module
 */
import {
  PlatformError,
  type PlatformErrorOptions,
  type RegistryErrorCode,
} from "../schemas/errors.ts";

export type { RegistryErrorCode } from "../schemas/errors.ts";

/** An error from a registry adapter. */
export class RegistryError extends PlatformError {
  declare readonly code: RegistryErrorCode;
  constructor(code: RegistryErrorCode, message: string, options?: PlatformErrorOptions) {
    super(code, message, options);
  }
}
