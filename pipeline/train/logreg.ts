/**
 * L2-regularised logistic regression, fitted by Newton's method on
 * standardised features (deterministic, no learning rate to tune). The
 * standardisation is folded into the weights, so the model applies to raw
 * inputs: `p = sigmoid(bias + Σ weights[f] · x[f])`.
 *
 * @module
 */
import { TrainError } from "./errors.ts";

/** Hyper-parameters of {@linkcode trainLogreg}. */
export interface LogregParams {
  /** L2 penalty `½·l2·‖w‖²` on the standardised weights (not the bias). Default 1. */
  l2?: number;
  /** Maximum Newton iterations. Default 100. */
  maxIter?: number;
  /** Stop when the largest weight update is below this. Default 1e-10. */
  tolerance?: number;
}

/** Every hyper-parameter, resolved. */
export type ResolvedLogregParams = Required<LogregParams>;

/** A fitted logistic regression over raw (unstandardised) inputs, float32 weights. */
export interface LogregModel {
  kind: "logreg";
  features: number;
  weights: Float32Array;
  bias: number;
  /** Training mean and standard deviation per feature (kept for the record). */
  mean: Float64Array;
  scale: Float64Array;
  iterations: number;
  params: ResolvedLogregParams;
}

/** Fills defaults and checks ranges. */
export function resolveLogregParams(params: LogregParams = {}): ResolvedLogregParams {
  const p = {
    l2: params.l2 ?? 1,
    maxIter: params.maxIter ?? 100,
    tolerance: params.tolerance ?? 1e-10,
  };
  if (!(p.l2 >= 0) || !Number.isInteger(p.maxIter) || p.maxIter < 1 || !(p.tolerance > 0)) {
    throw new TrainError(
      "training_options_invalid",
      `Invalid logistic regression parameters: ${JSON.stringify(p)}`,
    );
  }
  return p;
}

/** Solves `a · x = b` for a symmetric positive-definite `a` (n×n, row-major) by Cholesky. */
function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) l[i * n + i] = Math.sqrt(Math.max(s, 1e-12));
      else l[i * n + j] = s / l[j * n + j];
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * z[k];
    z[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function standardise(x: Float32Array, n: number, features: number) {
  const mean = new Float64Array(features);
  const scale = new Float64Array(features);
  for (let r = 0; r < n; r++) for (let f = 0; f < features; f++) mean[f] += x[r * features + f];
  for (let f = 0; f < features; f++) mean[f] /= n;
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < features; f++) scale[f] += (x[r * features + f] - mean[f]) ** 2;
  }
  // A constant feature gets scale 1: its standardised value is 0 and its weight stays 0.
  for (let f = 0; f < features; f++) scale[f] = Math.sqrt(scale[f] / n) || 1;
  const z = new Float64Array(n * features);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < features; f++) {
      z[r * features + f] = (x[r * features + f] - mean[f]) / scale[f];
    }
  }
  return { mean, scale, z };
}

/** Trains on a row-major float32 matrix `x` of `features` columns and 0/1 labels `y`. */
export function trainLogreg(
  x: Float32Array,
  y: Uint8Array,
  features: number,
  params: LogregParams = {},
): LogregModel {
  const p = resolveLogregParams(params);
  const n = y.length;
  if (n === 0 || x.length !== n * features) {
    throw new TrainError(
      "training_failed",
      `Cannot train logistic regression: ${x.length} values for ${n} rows × ${features} features`,
    );
  }
  const { mean, scale, z } = standardise(x, n, features);
  const d = features + 1; // last coefficient is the bias
  const w = new Float64Array(d);
  let iterations = 0;
  for (; iterations < p.maxIter; iterations++) {
    const g = new Float64Array(d);
    const h = new Float64Array(d * d);
    const row = new Float64Array(d);
    row[features] = 1;
    for (let r = 0; r < n; r++) {
      let s = w[features];
      for (let f = 0; f < features; f++) (row[f] = z[r * features + f]), (s += w[f] * row[f]);
      const prob = sigmoid(s);
      const e = prob - y[r];
      const v = Math.max(prob * (1 - prob), 1e-12);
      for (let i = 0; i < d; i++) {
        g[i] += e * row[i];
        for (let j = 0; j <= i; j++) h[i * d + j] += v * row[i] * row[j];
      }
    }
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) h[j * d + i] = h[i * d + j];
    for (let f = 0; f < features; f++) (g[f] += p.l2 * w[f]), (h[f * d + f] += p.l2);
    const step = solveSpd(h, g, d);
    let largest = 0;
    for (let i = 0; i < d; i++) (w[i] -= step[i]), (largest = Math.max(largest, Math.abs(step[i])));
    if (largest < p.tolerance) {
      iterations++;
      break;
    }
  }
  const weights = new Float32Array(features);
  let bias = w[features];
  for (let f = 0; f < features; f++) {
    weights[f] = w[f] / scale[f];
    bias -= (w[f] * mean[f]) / scale[f];
  }
  return {
    kind: "logreg",
    features,
    weights,
    bias: Math.fround(bias),
    mean,
    scale,
    iterations,
    params: p,
  };
}

/** Probability of class 1 for each row, with the float32 weights the ONNX graph holds. */
export function predictLogreg(model: LogregModel, x: ArrayLike<number>): Float64Array {
  const n = Math.floor(x.length / model.features);
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = model.bias;
    for (let f = 0; f < model.features; f++) s += model.weights[f] * x[r * model.features + f];
    out[r] = sigmoid(s);
  }
  return out;
}
