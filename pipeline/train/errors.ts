/**
 * Errors raised while loading training data and training models.
 *
 * @module
 */
import {
  PlatformError,
  type PlatformErrorOptions,
  type TrainErrorCode,
} from "../../schemas/errors.ts";

export type { TrainErrorCode } from "../../schemas/errors.ts";

/** An error from the trainer; the message names the file, column and row when it can. */
export class TrainError extends PlatformError {
  declare readonly code: TrainErrorCode;
  constructor(code: TrainErrorCode, message: string, options?: PlatformErrorOptions) {
    super(code, message, options);
  }
}

/** Raised when training data cannot be used; names the file, column and row. */
export class TrainingDataError extends TrainError {
  constructor(message: string, options?: PlatformErrorOptions) {
    super("training_data_invalid", message, options);
  }
}
