/**
 * Histogram binning: each feature's values are cut into at most `maxBins`
 * bins at quantiles, once, before training. Split thresholds are float32
 * values strictly between two neighbouring training values, so a float32
 * `x <= threshold` (what ONNX evaluates) puts every training row on the same
 * side as its bin code.
 *
 * @module
 */

/** The binned training matrix. */
export interface BinnedMatrix {
  rows: number;
  features: number;
  /** Per feature, ascending float32 thresholds; bin b holds values in (t[b-1], t[b]]. */
  thresholds: Float32Array[];
  /** Column-major bin codes `[features, rows]`. */
  codes: Uint8Array;
}

/** A float32 threshold `t` with `a <= t < b` for float32 `a < b`. */
export function midpointF32(a: number, b: number): number {
  const t = Math.fround(a + (b - a) / 2);
  return t >= b || t < a ? a : t;
}

/** Cut points of one sorted float32 column: midpoints of distinct values, or of quantiles. */
export function columnThresholds(sorted: Float32Array, maxBins: number): Float32Array {
  const n = sorted.length;
  const out: number[] = [];
  const distinct: number[] = [];
  for (let i = 0; i < n && distinct.length <= maxBins; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
  }
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) out.push(midpointF32(distinct[i - 1], distinct[i]));
  } else {
    for (let j = 1; j < maxBins; j++) {
      const idx = Math.min(n - 1, Math.max(1, Math.round((j * n) / maxBins)));
      const a = sorted[idx - 1];
      const b = sorted[idx];
      if (a === b) continue;
      const t = midpointF32(a, b);
      if (out.length === 0 || t > out[out.length - 1]) out.push(t);
    }
  }
  return Float32Array.from(out);
}

/** Bin code of `v`: the first bin whose threshold is ≥ v (binary search). */
export function binOf(thresholds: Float32Array, v: number): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= thresholds[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Bins a row-major float32 matrix `[rows, features]` into at most `maxBins` (≤ 256) bins per feature. */
export function binMatrix(
  x: Float32Array,
  rows: number,
  features: number,
  maxBins = 255,
): BinnedMatrix {
  const bins = Math.max(2, Math.min(256, Math.trunc(maxBins)));
  const thresholds: Float32Array[] = [];
  const codes = new Uint8Array(rows * features);
  const column = new Float32Array(rows);
  for (let f = 0; f < features; f++) {
    for (let r = 0; r < rows; r++) column[r] = x[r * features + f];
    const t = columnThresholds(column.slice().sort(), bins);
    thresholds.push(t);
    const base = f * rows;
    for (let r = 0; r < rows; r++) codes[base + r] = binOf(t, column[r]);
  }
  return { rows, features, thresholds, codes };
}
