/**
 * The one rule that puts a value in a drift bin: a feature's baseline
 * (`schemas/manifest.ts`, built by `featureBaselines` in `package.ts` from the
 * training set) and the edge's PSI monitor (`edge/drift.ts`, from served
 * values) both bin with {@linkcode binIndex}, so they cannot disagree on a
 * value that equals an edge.
 *
 * @module
 */

/**
 * Index of the bin holding `value`: bins are (-inf, e0], (e0, e1], ...,
 * (eN, +inf) over ascending `edges` (binary search).
 */
export function binIndex(edges: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
