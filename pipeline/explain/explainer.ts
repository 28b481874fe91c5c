/**
 * What every explainer offers: per-input contributions of one row and the
 * base value, in the space of the model's raw score (margin).
 *
 * @module
 */

/**
 * The space contributions are in: `log_odds` (a logistic post-transform
 * follows), `probability` (the score is the positive class's probability
 * itself, as in a random forest) or `raw` (a regressor's output).
 */
export type ExplanationOutput = "log_odds" | "probability" | "raw";

/** Explains rows of one model. */
export interface Explainer {
  /** `tree` (path-dependent TreeSHAP) or `linear` (coefficient × (value − training mean)). */
  readonly kind: "tree" | "linear";
  /** The space of the margin and the contributions. */
  readonly output: ExplanationOutput;
  /** Number of inputs. */
  readonly width: number;
  /** The expected margin over the training data: the margin when no input is known. */
  readonly baseValue: number;
  /**
   * Writes the contribution of each input of `row` into `out[0..width)` and
   * returns the margin, which equals `baseValue` plus their sum.
   */
  explain(row: ArrayLike<number>, out: Float64Array): number;
  /**
   * {@linkcode Explainer.explain} for `n` rows of `data` (row-major):
   * contributions into `out[r * width + f]`, margins into `margins[r]`.
   * Same values as row by row, faster on batches.
   */
  explainMany(data: ArrayLike<number>, n: number, out: Float64Array, margins: Float64Array): void;
  /** The score the model outputs for the positive class (or the raw output) for a margin. */
  score(margin: number): number;
}

/** `1 / (1 + e^−m)`. */
export function sigmoid(m: number): number {
  return 1 / (1 + Math.exp(-m));
}
