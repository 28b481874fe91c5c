/**
 * Errors raised by registry adapters.
 *
 * @module
 */
import { PlatformError, type PlatformErrorOptions } from "../schemas/errors.ts";

/** The codes a registry error can carry. */
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

/** An error from a registry adapter. */
export class RegistryError extends PlatformError {
  declare readonly code: RegistryErrorCode;
  constructor(code: RegistryErrorCode, message: string, options?: PlatformErrorOptions) {
    super(code, message, options);
  }
}
