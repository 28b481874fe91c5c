/**
 * Grows one regression tree on gradient statistics with histograms and the
 * subtraction trick (build the smaller child's histogram, derive the larger
 * one from its parent's).
 *
 * @module
 */
import type { BinnedMatrix } from "./binning.ts";

/** A fitted tree as flat arrays; a leaf has `feature[i] === -1`. */
export interface Tree {
  feature: Int32Array;
  /** float32 threshold: go left when `x[feature] <= threshold`. */
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf contribution to the raw score (learning rate included), float32. */
  value: Float32Array;
  /** Training rows through each node (the covers TreeSHAP weighs branches by). */
  cover: Float64Array;
}

/** How splits are scored. */
export type SplitCriterion = "friedman" | "newton";

/** What {@linkcode growTree} needs. */
export interface TreeContext {
  data: BinnedMatrix;
  grad: Float64Array;
  hess: Float64Array;
  maxDepth: number;
  minLeaf: number;
  learningRate: number;
  l2: number;
  criterion: SplitCriterion;
  /** Bins per feature (thresholds + 1). */
  nBins: Int32Array;
  /** Offset of each feature's first bin in a histogram. */
  offset: Int32Array;
  /** Total bins over all features. */
  totalBins: number;
  /** Features with at least two bins (the others cannot split). */
  active: Int32Array;
  /** Scratch space of `rows` length for partitioning. */
  scratch: Uint32Array;
}

interface Split {
  feature: number;
  bin: number;
  gain: number;
}

interface Builder {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
  cover: number[];
  /** Rows of each leaf, as a [start, end) range of `rows`. */
  leaves: { node: number; start: number; end: number }[];
}

/** Histogram layout: per bin three float64 (grad sum, hess sum, count). */
function buildHistogram(
  ctx: TreeContext,
  rows: Uint32Array,
  start: number,
  end: number,
): Float64Array {
  const hist = new Float64Array(ctx.totalBins * 3);
  const { codes, rows: n } = ctx.data;
  const { grad, hess, active, offset } = ctx;
  for (let a = 0; a < active.length; a++) {
    const f = active[a];
    const base = f * n;
    const off = offset[f] * 3;
    for (let i = start; i < end; i++) {
      const r = rows[i];
      const k = off + codes[base + r] * 3;
      hist[k] += grad[r];
      hist[k + 1] += hess[r];
      hist[k + 2] += 1;
    }
  }
  return hist;
}

function score(ctx: TreeContext, g: number, h: number, c: number): number {
  return ctx.criterion === "newton" ? (g * g) / (h + ctx.l2) : (g * g) / c;
}

function findSplit(
  ctx: TreeContext,
  hist: Float64Array,
  g: number,
  h: number,
  c: number,
): Split | null {
  let best: Split | null = null;
  const parent = score(ctx, g, h, c);
  for (let f = 0; f < ctx.nBins.length; f++) {
    const nb = ctx.nBins[f];
    let gl = 0;
    let hl = 0;
    let cl = 0;
    const off = ctx.offset[f] * 3;
    for (let b = 0; b < nb - 1; b++) {
      gl += hist[off + b * 3];
      hl += hist[off + b * 3 + 1];
      cl += hist[off + b * 3 + 2];
      const cr = c - cl;
      if (cl < ctx.minLeaf) continue;
      if (cr < ctx.minLeaf) break;
      const gain = score(ctx, gl, hl, cl) + score(ctx, g - gl, h - hl, cr) - parent;
      if (gain > 1e-12 * Math.max(1, Math.abs(parent)) && (best === null || gain > best.gain)) {
        best = { feature: f, bin: b, gain };
      }
    }
  }
  return best;
}

/**
 * Moves rows with code ≤ bin to the front of [start, end), keeping their
 * order on both sides (ascending row numbers read memory in order).
 */
function partition(
  ctx: TreeContext,
  rows: Uint32Array,
  start: number,
  end: number,
  s: Split,
): number {
  const { codes, rows: n } = ctx.data;
  const base = s.feature * n;
  const scratch = ctx.scratch;
  let left = start;
  let right = 0;
  for (let i = start; i < end; i++) {
    const r = rows[i];
    if (codes[base + r] <= s.bin) rows[left++] = r;
    else scratch[right++] = r;
  }
  rows.set(scratch.subarray(0, right), left);
  return left;
}

function grow(
  ctx: TreeContext,
  out: Builder,
  rows: Uint32Array,
  start: number,
  end: number,
  depth: number,
  hist: Float64Array | null,
): number {
  const id = out.feature.length;
  out.feature.push(-1),
    out.threshold.push(0),
    out.left.push(-1),
    out.right.push(-1),
    out.value.push(0),
    out.cover.push(end - start);
  const count = end - start;
  let g = 0, h = 0;
  for (let i = start; i < end; i++) g += ctx.grad[rows[i]], h += ctx.hess[rows[i]];
  if (depth < ctx.maxDepth && count >= 2 * ctx.minLeaf && count >= 2) {
    const own = hist ?? buildHistogram(ctx, rows, start, end);
    const split = findSplit(ctx, own, g, h, count);
    if (split) {
      const mid = partition(ctx, rows, start, end, split);
      const leftSmaller = mid - start <= end - mid;
      const small = leftSmaller
        ? buildHistogram(ctx, rows, start, mid)
        : buildHistogram(ctx, rows, mid, end);
      const large = own;
      for (let k = 0; k < large.length; k++) large[k] -= small[k];
      const l = grow(ctx, out, rows, start, mid, depth + 1, leftSmaller ? small : large);
      const r = grow(ctx, out, rows, mid, end, depth + 1, leftSmaller ? large : small);
      out.feature[id] = split.feature;
      out.threshold[id] = ctx.data.thresholds[split.feature][split.bin];
      out.left[id] = l;
      out.right[id] = r;
      return id;
    }
  }
  // Newton step of the log loss, as scikit-learn's gradient boosting sets leaves.
  const step = Math.abs(h) < 1e-150 ? 0 : -g / (h + (ctx.criterion === "newton" ? ctx.l2 : 0));
  out.value[id] = Math.fround(ctx.learningRate * step);
  out.leaves.push({ node: id, start, end });
  return id;
}

/**
 * Grows one tree on the rows `rows[0..count)` and adds each leaf value to
 * `scores` of the rows it holds. `rows` is reordered.
 */
export function growTree(
  ctx: TreeContext,
  rows: Uint32Array,
  count: number,
  scores: Float64Array,
): Tree {
  const out: Builder = {
    feature: [],
    threshold: [],
    left: [],
    right: [],
    value: [],
    cover: [],
    leaves: [],
  };
  grow(ctx, out, rows, 0, count, 0, null);
  for (const leaf of out.leaves) {
    const v = out.value[leaf.node];
    for (let i = leaf.start; i < leaf.end; i++) scores[rows[i]] += v;
  }
  return {
    feature: Int32Array.from(out.feature),
    threshold: Float32Array.from(out.threshold),
    left: Int32Array.from(out.left),
    right: Int32Array.from(out.right),
    value: Float32Array.from(out.value),
    cover: Float64Array.from(out.cover),
  };
}

/** Raw-score contribution of `tree` for row `r` of a row-major float32 matrix of `width` columns. */
export function treeValue(tree: Tree, x: ArrayLike<number>, r: number, width: number): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    node = x[r * width + tree.feature[node]] <= tree.threshold[node]
      ? tree.left[node]
      : tree.right[node];
  }
  return tree.value[node];
}
