/**
 * The tree ensemble the explainers read (flat node arrays over all trees,
 * as an ONNX tree ensemble holds them) and walks over it.
 *
 * @module
 */
import type { ExplanationOutput } from "./explainer.ts";

/** Split rules of ONNX tree ensembles (`nodes_modes`), as numbers. */
export const MODE = { LEQ: 0, LT: 1, GTE: 2, GT: 3, EQ: 4, NEQ: 5 } as const;

/**
 * A tree ensemble as flat node arrays over all trees (global node indexes).
 * A leaf has `feature[i] === -1`.
 */
export interface TreeEnsemble {
  /** Number of inputs. */
  width: number;
  /** Root node of each tree. */
  roots: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  /** A {@linkcode MODE} per node. */
  mode: Uint8Array;
  /** 1 when a missing value (NaN) takes the true branch. */
  missingTrue: Uint8Array;
  /** Child taken when the rule holds. */
  yes: Int32Array;
  /** Child taken otherwise. */
  no: Int32Array;
  /** Leaf value added to the margin (already scaled, e.g. by 1/trees for an average). */
  value: Float64Array;
  /** Training rows (or weight) through each node; a parent's is the sum of its children's. */
  cover: Float64Array;
  /** Constant added to the sum of the trees. */
  base: number;
  /** What the margin is. */
  output: ExplanationOutput;
}

/** Whether row value `x` takes the true branch of node `i`. */
export function goesYes(e: TreeEnsemble, i: number, x: number): boolean {
  if (x !== x) return e.missingTrue[i] === 1;
  const t = e.threshold[i];
  switch (e.mode[i]) {
    case MODE.LEQ:
      return x <= t;
    case MODE.LT:
      return x < t;
    case MODE.GTE:
      return x >= t;
    case MODE.GT:
      return x > t;
    case MODE.EQ:
      return x === t;
    default:
      return x !== t;
  }
}

/** Depth of the deepest leaf (the root is at depth 0). */
export function maxDepthOf(e: TreeEnsemble): number {
  let max = 0;
  const stack: number[] = [];
  for (const root of e.roots) {
    stack.push(root, 0);
    while (stack.length > 0) {
      const d = stack.pop()!;
      const n = stack.pop()!;
      if (e.feature[n] < 0) {
        if (d > max) max = d;
      } else stack.push(e.yes[n], d + 1, e.no[n], d + 1);
    }
  }
  return max;
}

/** The cover-weighted mean leaf value below each node, for the tree rooted at `n`. */
export function expectedValue(e: TreeEnsemble, n: number): number {
  if (e.feature[n] < 0) return e.value[n];
  const y = e.yes[n], o = e.no[n];
  return (e.cover[y] * expectedValue(e, y) + e.cover[o] * expectedValue(e, o)) / e.cover[n];
}

/** The split nodes of the tree at `root`, depth first. */
export function splitsOf(e: TreeEnsemble, root: number): number[] {
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (e.feature[n] < 0) continue;
    out.push(n);
    stack.push(e.no[n], e.yes[n]);
  }
  return out;
}
