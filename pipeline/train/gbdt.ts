/**
 * Gradient-boosted decision trees for binary classification (log loss),
 * with histogram split finding on pre-binned float32 features. Defaults
 * follow scikit-learn's `GradientBoostingClassifier()`: 100 trees, depth 3,
 * learning rate 0.1, one row per leaf at least, Friedman's split score and
 * Newton-step leaves. Deterministic for a seed.
 *
 * @module
 */
import { binMatrix } from "./binning.ts";
import { TrainError } from "./errors.ts";
import { seededRandom, shuffleInPlace } from "./_random.ts";
import { growTree, type SplitCriterion, type Tree, type TreeContext, treeValue } from "./_tree.ts";

export type { SplitCriterion, Tree } from "./_tree.ts";

/** Hyper-parameters of {@linkcode trainGbdt}; every field has a default. */
export interface GbdtParams {
  /** Number of trees. Default 100. */
  nTrees?: number;
  /** Maximum depth (a depth-1 tree is one split). Default 3. */
  maxDepth?: number;
  /** Shrinkage of each tree. Default 0.1. */
  learningRate?: number;
  /** Minimum rows in a leaf. Default 1. */
  minLeaf?: number;
  /** Histogram bins per feature (2–256). Default 255. */
  maxBins?: number;
  /** Fraction of rows each tree sees (without replacement). Default 1. */
  subsample?: number;
  /** Seed of the row subsampling. Default 42. */
  seed?: number;
  /** Split score: `friedman` (as scikit-learn) or `newton` (gradient²/hessian). Default `friedman`. */
  criterion?: SplitCriterion;
  /** L2 penalty on leaf values with the `newton` criterion. Default 1. */
  l2?: number;
}

/** Every hyper-parameter, resolved. */
export type ResolvedGbdtParams = Required<GbdtParams>;

/** A fitted ensemble. */
export interface GbdtModel {
  kind: "gbdt";
  features: number;
  /** Initial raw score (log-odds of the training prior), float32. */
  baseScore: number;
  trees: Tree[];
  params: ResolvedGbdtParams;
}

/** Progress of {@linkcode trainGbdt}, reported after each tree. */
export interface GbdtProgress {
  tree: number;
  trees: number;
  /** Mean log loss on the training rows after this tree. */
  trainLoss: number;
}

/** Fills defaults and checks ranges. */
export function resolveGbdtParams(params: GbdtParams = {}): ResolvedGbdtParams {
  const p: ResolvedGbdtParams = {
    nTrees: params.nTrees ?? 100,
    maxDepth: params.maxDepth ?? 3,
    learningRate: params.learningRate ?? 0.1,
    minLeaf: params.minLeaf ?? 1,
    maxBins: params.maxBins ?? 255,
    subsample: params.subsample ?? 1,
    seed: params.seed ?? 42,
    criterion: params.criterion ?? "friedman",
    l2: params.l2 ?? 1,
  };
  const bad: string[] = [];
  if (!Number.isInteger(p.nTrees) || p.nTrees < 1 || p.nTrees > 100_000) {
    bad.push(`trees ${p.nTrees}`);
  }
  if (!Number.isInteger(p.maxDepth) || p.maxDepth < 1 || p.maxDepth > 30) {
    bad.push(`depth ${p.maxDepth}`);
  }
  if (!(p.learningRate > 0 && p.learningRate <= 10)) bad.push(`learning rate ${p.learningRate}`);
  if (!Number.isInteger(p.minLeaf) || p.minLeaf < 1) bad.push(`min leaf ${p.minLeaf}`);
  if (!Number.isInteger(p.maxBins) || p.maxBins < 2 || p.maxBins > 256) {
    bad.push(`max bins ${p.maxBins}`);
  }
  if (!(p.subsample > 0 && p.subsample <= 1)) bad.push(`subsample ${p.subsample}`);
  if (!Number.isFinite(p.seed)) bad.push(`seed ${p.seed}`);
  if (p.criterion !== "friedman" && p.criterion !== "newton") bad.push(`criterion ${p.criterion}`);
  if (!(p.l2 >= 0)) bad.push(`l2 ${p.l2}`);
  if (bad.length > 0) {
    throw new TrainError("training_options_invalid", `Invalid GBDT parameters: ${bad.join(", ")}`);
  }
  return p;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function meanLogLoss(y: Uint8Array, scores: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, sigmoid(scores[i])));
    s -= y[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return s / y.length;
}

/**
 * Trains on a row-major float32 matrix `x` of `features` columns and 0/1
 * labels `y`. `onProgress` is called after every tree.
 */
export function trainGbdt(
  x: Float32Array,
  y: Uint8Array,
  features: number,
  params: GbdtParams = {},
  onProgress?: (p: GbdtProgress) => void,
): GbdtModel {
  const p = resolveGbdtParams(params);
  const n = y.length;
  if (n === 0 || x.length !== n * features) {
    throw new TrainError(
      "training_failed",
      `Cannot train GBDT: ${x.length} values for ${n} rows × ${features} features`,
    );
  }
  const data = binMatrix(x, n, features, p.maxBins);
  const nBins = Int32Array.from(data.thresholds, (t) => t.length + 1);
  const offset = new Int32Array(features);
  let totalBins = 0;
  for (let f = 0; f < features; f++) (offset[f] = totalBins), (totalBins += nBins[f]);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i];
  const prior = Math.min(1 - 1e-12, Math.max(1e-12, positives / n));
  const baseScore = Math.fround(Math.log(prior / (1 - prior)));
  const scores = new Float64Array(n).fill(baseScore);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const ctx: TreeContext = {
    data,
    grad,
    hess,
    nBins,
    offset,
    totalBins,
    active: Int32Array.from(nBins.keys()).filter((f) => nBins[f] > 1),
    scratch: new Uint32Array(n),
    maxDepth: p.maxDepth,
    minLeaf: p.minLeaf,
    learningRate: p.learningRate,
    l2: p.l2,
    criterion: p.criterion,
  };
  const random = seededRandom(p.seed);
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  const rows = new Uint32Array(n);
  const sampleSize = Math.max(1, Math.round(n * p.subsample));
  const trees: Tree[] = [];
  for (let t = 0; t < p.nTrees; t++) {
    for (let i = 0; i < n; i++) {
      const prob = sigmoid(scores[i]);
      grad[i] = prob - y[i];
      hess[i] = prob * (1 - prob);
    }
    let count = n;
    if (sampleSize < n) {
      shuffleInPlace(all, random);
      rows.set(all.subarray(0, sampleSize));
      rows.subarray(0, sampleSize).sort();
      count = sampleSize;
    } else rows.set(all);
    const before = count < n ? scores.slice() : null;
    const tree = growTree(ctx, rows, count, scores);
    if (before) {
      // Rows outside the sample still move by the tree's value.
      const inSample = new Uint8Array(n);
      for (let i = 0; i < count; i++) inSample[rows[i]] = 1;
      for (let r = 0; r < n; r++) {
        if (!inSample[r]) scores[r] = before[r] + treeValue(tree, x, r, features);
      }
    }
    trees.push(tree);
    if (onProgress) onProgress({ tree: t + 1, trees: p.nTrees, trainLoss: meanLogLoss(y, scores) });
  }
  return { kind: "gbdt", features, baseScore, trees, params: p };
}

/** Raw scores (log-odds) of each row of a row-major float32 matrix. */
export function gbdtRawScores(model: GbdtModel, x: ArrayLike<number>): Float64Array {
  const n = Math.floor(x.length / model.features);
  const out = new Float64Array(n).fill(model.baseScore);
  for (const tree of model.trees) {
    for (let r = 0; r < n; r++) out[r] += treeValue(tree, x, r, model.features);
  }
  return out;
}

/** Probability of class 1 for each row. */
export function predictGbdt(model: GbdtModel, x: ArrayLike<number>): Float64Array {
  return gbdtRawScores(model, x).map(sigmoid);
}
