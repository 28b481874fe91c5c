/**
 * Errors of the explainers.
 *
 * @module
 */
import { PlatformError, type PlatformErrorOptions } from "../../schemas/errors.ts";

/** A model cannot be explained (its graph, or what its manifest lacks); the message says why. */
export class ExplainError extends PlatformError {
  constructor(message: string, options: PlatformErrorOptions = {}) {
    super("model_not_explainable", message, options);
  }
}
