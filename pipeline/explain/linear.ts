/**
 * Explanations of linear models: each input contributes its coefficient
 * times its distance from the training mean, and the base value is the
 * margin at the training means. For a linear margin this is its exact
 * Shapley decomposition with independent inputs.
 *
 * @module
 */
import type { Explainer, ExplanationOutput } from "./explainer.ts";
import { sigmoid } from "./explainer.ts";

/** A linear margin `intercept + Σ coefficients[f] · x[f]`. */
export interface LinearModel {
  coefficients: Float64Array;
  intercept: number;
  output: ExplanationOutput;
}

/** Coefficient × (value − training mean) per input. */
export class LinearExplainer implements Explainer {
  readonly kind = "linear";
  readonly output: ExplanationOutput;
  readonly width: number;
  readonly baseValue: number;
  readonly #w: Float64Array;
  readonly #mean: Float64Array;

  /** `means`: the training mean of each input, in input order. */
  constructor(model: LinearModel, means: ArrayLike<number>) {
    this.#w = model.coefficients;
    this.#mean = Float64Array.from(means);
    this.width = model.coefficients.length;
    this.output = model.output;
    let base = model.intercept;
    for (let f = 0; f < this.width; f++) base += this.#w[f] * this.#mean[f];
    this.baseValue = base;
  }

  explain(row: ArrayLike<number>, out: Float64Array): number {
    let sum = this.baseValue;
    for (let f = 0; f < this.width; f++) {
      const c = this.#w[f] * (row[f] - this.#mean[f]);
      out[f] = c;
      sum += c;
    }
    return sum;
  }

  explainMany(data: ArrayLike<number>, n: number, out: Float64Array, margins: Float64Array): void {
    const w = this.width;
    for (let r = 0; r < n; r++) {
      let sum = this.baseValue;
      for (let f = 0; f < w; f++) {
        const c = this.#w[f] * (data[r * w + f] - this.#mean[f]);
        out[r * w + f] = c;
        sum += c;
      }
      margins[r] = sum;
    }
  }

  score(margin: number): number {
    return this.output === "log_odds" ? sigmoid(margin) : margin;
  }
}
