/**
 * The one error base class every part of the platform extends.
 *
 * Each folder has its own `errors.ts` with subclasses that fix a literal
 * `code`; HTTP surfaces map codes to statuses in one error handler.
 *
 * @module
 */

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
  readonly code: string;
  /** Structured details, safe to show to a client. */
  readonly details?: unknown;

  constructor(code: string, message: string, options: PlatformErrorOptions = {}) {
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
