/**
 * Exact path-dependent TreeSHAP (Lundberg et al., "Consistent
 * Individualized Feature Attribution for Tree Ensembles", Algorithm 2), the
 * algorithm of Python `shap`'s `TreeExplainer` with
 * `feature_perturbation="tree_path_dependent"`. Each tree's expected value
 * and the fraction of training rows down each branch come from the node
 * covers (training rows per node).
 *
 * Written here rather than taken from npm: no maintained npm package
 * computes TreeSHAP (the `shap` ports found wrap Python or sample
 * Kernel SHAP), and this one reads the flat arrays an ONNX tree ensemble
 * holds. It allocates nothing per row: one path buffer per explainer.
 *
 * Speed: the recursion costs O(leaves × depth²) per tree and row, ≈ 110–150
 * µs per row for the demo champion (100 trees of depth 3), too slow for the
 * edge. A tree's contributions depend on the row only through which way
 * each split goes, so a tree with at most {@linkcode TABLE_MAX_SPLITS}
 * splits gets a table, filled at load by the same recursion, of its
 * contributions for every combination of split outcomes: a row then costs
 * one comparison per split and one addition per feature of the tree.
 * Larger trees get per-leaf tables (`_leaf_table.ts`, O(depth) per leaf);
 * trees too large for those recurse per row.
 *
 * @module
 */
import { addLeafTable, buildLeafTable, type LeafTable } from "./_leaf_table.ts";
import type { Explainer, ExplanationOutput } from "./explainer.ts";
import { sigmoid } from "./explainer.ts";

/** Trees with at most this many splits are explained from a table (2^splits rows). */
export const TABLE_MAX_SPLITS = 10;
/** Most table entries of one explainer (float64: 32 MiB); further trees recurse per row. */
export const TABLE_MAX_ENTRIES = 4_194_304;

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
function goesYes(e: TreeEnsemble, i: number, x: number): boolean {
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
function maxDepthOf(e: TreeEnsemble): number {
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
function expectedValue(e: TreeEnsemble, n: number): number {
  if (e.feature[n] < 0) return e.value[n];
  const y = e.yes[n], o = e.no[n];
  return (e.cover[y] * expectedValue(e, y) + e.cover[o] * expectedValue(e, o)) / e.cover[n];
}

/** The split nodes of the tree at `root`, depth first. */
function splitsOf(e: TreeEnsemble, root: number): number[] {
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

/** Path-dependent TreeSHAP over a {@linkcode TreeEnsemble}. */
export class TreeShapExplainer implements Explainer {
  readonly kind = "tree";
  readonly output: ExplanationOutput;
  readonly width: number;
  readonly baseValue: number;
  readonly #e: TreeEnsemble;
  // The path of unique features from the root, one segment per depth (shap's `unique_path`).
  readonly #pf: Int32Array;
  readonly #pz: Float64Array;
  readonly #po: Float64Array;
  readonly #pw: Float64Array;
  #x: ArrayLike<number> = [];
  #phi: Float64Array = new Float64Array(0);
  /** While tables are filled: the outcome of each split (1 = yes) instead of a row. */
  #outcome: Uint8Array | null = null;
  /** Trees explained per row by recursion. */
  readonly #recursive: number[] = [];
  /** Trees explained from per-leaf tables. */
  readonly #leafTables: LeafTable[] = [];
  /** Split outcomes of one row in one leaf-tabled tree. */
  #outcome1 = new Uint8Array(0);
  /** Tabled trees: their splits, features and contributions per outcome combination. */
  readonly #tables: { splits: Int32Array; features: Int32Array; table: Float64Array }[] = [];
  /** The tables flattened, read per row (split features and thresholds, offsets per tree). */
  #flat!: {
    feature: Int32Array;
    threshold: Float64Array;
    splitStart: Int32Array;
    features: Int32Array;
    featureStart: Int32Array;
    table: Float64Array;
    tableStart: Int32Array;
    /** Every split is `x <= threshold` with NaN going false. */
    simple: boolean;
  };

  /**
   * `tableMaxSplits` (default {@linkcode TABLE_MAX_SPLITS}) and `leafTables`
   * (default true) are lowered by tests to force the other paths.
   */
  constructor(
    ensemble: TreeEnsemble,
    options: { tableMaxSplits?: number; leafTables?: boolean } = {},
  ) {
    this.#e = ensemble;
    this.width = ensemble.width;
    this.output = ensemble.output;
    const d = maxDepthOf(ensemble) + 2;
    const size = (d * (d + 1)) / 2 + d;
    this.#pf = new Int32Array(size);
    this.#pz = new Float64Array(size);
    this.#po = new Float64Array(size);
    this.#pw = new Float64Array(size);
    let base = ensemble.base;
    for (const root of ensemble.roots) base += expectedValue(ensemble, root);
    this.baseValue = base;
    let budget = TABLE_MAX_ENTRIES;
    for (const root of ensemble.roots) {
      const splits = splitsOf(ensemble, root);
      const features = [...new Set(splits.map((n) => ensemble.feature[n]))];
      const size = 2 ** splits.length * features.length;
      if (splits.length > (options.tableMaxSplits ?? TABLE_MAX_SPLITS) || size > budget) {
        const leaf = options.leafTables === false ? null : buildLeafTable(ensemble, root, budget);
        if (leaf) {
          budget -= leaf.h.length;
          this.#leafTables.push(leaf);
          if (leaf.splits.length > this.#outcome1.length) {
            this.#outcome1 = new Uint8Array(leaf.splits.length);
          }
        } else this.#recursive.push(root);
        continue;
      }
      budget -= size;
      this.#tables.push(this.#tabulate(root, splits, features));
    }
    this.#flatten();
  }

  #flatten(): void {
    const e = this.#e;
    const tables = this.#tables;
    const splits = tables.flatMap((t) => [...t.splits]);
    const offsets = (sizes: number[]) => {
      const out = new Int32Array(sizes.length + 1);
      for (let i = 0; i < sizes.length; i++) out[i + 1] = out[i] + sizes[i];
      return out;
    };
    const tableStart = offsets(tables.map((t) => t.table.length));
    const table = new Float64Array(tableStart[tables.length]);
    tables.forEach((t, i) => table.set(t.table, tableStart[i]));
    this.#flat = {
      feature: Int32Array.from(splits, (n) => e.feature[n]),
      threshold: Float64Array.from(splits, (n) => e.threshold[n]),
      splitStart: offsets(tables.map((t) => t.splits.length)),
      features: Int32Array.from(tables.flatMap((t) => [...t.features])),
      featureStart: offsets(tables.map((t) => t.features.length)),
      table,
      tableStart,
      simple: splits.every((n) => e.mode[n] === MODE.LEQ && e.missingTrue[n] === 0),
    };
  }

  /** Contributions of the tree at `root` for every combination of its split outcomes. */
  #tabulate(root: number, splits: number[], features: number[]) {
    const k = features.length;
    const table = new Float64Array(2 ** splits.length * k);
    const outcome = new Uint8Array(this.#e.feature.length);
    const phi = new Float64Array(this.width);
    this.#outcome = outcome;
    this.#phi = phi;
    for (let bits = 0; bits < 2 ** splits.length; bits++) {
      for (let j = 0; j < splits.length; j++) outcome[splits[j]] = (bits >> j) & 1;
      for (const f of features) phi[f] = 0;
      this.#recurse(root, 0, 0, 0, 1, 1, -1);
      for (let j = 0; j < k; j++) table[bits * k + j] = phi[features[j]];
    }
    this.#outcome = null;
    return { splits: Int32Array.from(splits), features: Int32Array.from(features), table };
  }

  /** The margin of `row`: the base plus the leaf value of each tree. */
  margin(row: ArrayLike<number>): number {
    const e = this.#e;
    let sum = e.base;
    for (let t = 0; t < e.roots.length; t++) {
      let n = e.roots[t];
      while (e.feature[n] >= 0) n = goesYes(e, n, row[e.feature[n]]) ? e.yes[n] : e.no[n];
      sum += e.value[n];
    }
    return sum;
  }

  explain(row: ArrayLike<number>, out: Float64Array): number {
    out.fill(0, 0, this.width);
    const e = this.#e;
    const f = this.#flat;
    const { feature, threshold, splitStart, features, featureStart, table, tableStart } = f;
    for (let t = 0; t < splitStart.length - 1; t++) {
      let bits = 0;
      const s0 = splitStart[t];
      const s1 = splitStart[t + 1];
      if (f.simple) {
        // Branch-free: split outcomes of varied rows are unpredictable.
        for (let j = s0; j < s1; j++) {
          bits |= (row[feature[j]] <= threshold[j] as unknown as number) << (j - s0);
        }
      } else {
        for (let j = s0; j < s1; j++) {
          if (goesYes(e, this.#tables[t].splits[j - s0], row[feature[j]])) bits |= 1 << (j - s0);
        }
      }
      const k0 = featureStart[t];
      const k = featureStart[t + 1] - k0;
      const at = tableStart[t] + bits * k;
      for (let j = 0; j < k; j++) out[features[k0 + j]] += table[at + j];
    }
    const leafTables = this.#leafTables;
    for (let t = 0; t < leafTables.length; t++) {
      addLeafTable(leafTables[t], e, goesYes, row, 0, out, 0, this.#outcome1);
    }
    this.#x = row;
    this.#phi = out;
    const recursive = this.#recursive;
    for (let t = 0; t < recursive.length; t++) this.#recurse(recursive[t], 0, 0, 0, 1, 1, -1);
    this.#x = [];
    let sum = this.baseValue;
    for (let f = 0; f < this.width; f++) sum += out[f];
    return sum;
  }

  /**
   * Tree by tree over all rows (one tree's table stays in cache for the
   * whole batch, instead of every table once per row).
   */
  explainMany(data: ArrayLike<number>, n: number, out: Float64Array, margins: Float64Array): void {
    const w = this.width;
    out.fill(0, 0, n * w);
    const e = this.#e;
    const f = this.#flat;
    const { feature, threshold, splitStart, features, featureStart, table, tableStart } = f;
    for (let t = 0; t < splitStart.length - 1; t++) {
      const s0 = splitStart[t];
      const s1 = splitStart[t + 1];
      const k0 = featureStart[t];
      const k = featureStart[t + 1] - k0;
      const splits = this.#tables[t].splits;
      for (let r = 0; r < n; r++) {
        const base = r * w;
        let bits = 0;
        if (f.simple) {
          for (let j = s0; j < s1; j++) {
            bits |= (data[base + feature[j]] <= threshold[j] as unknown as number) << (j - s0);
          }
        } else {
          for (let j = s0; j < s1; j++) {
            if (goesYes(e, splits[j - s0], data[base + feature[j]])) bits |= 1 << (j - s0);
          }
        }
        const at = tableStart[t] + bits * k;
        for (let j = 0; j < k; j++) out[base + features[k0 + j]] += table[at + j];
      }
    }
    const leafTables = this.#leafTables;
    for (let t = 0; t < leafTables.length; t++) {
      for (let r = 0; r < n; r++) {
        addLeafTable(leafTables[t], e, goesYes, data, r * w, out, r * w, this.#outcome1);
      }
    }
    const recursive = this.#recursive;
    for (let r = 0; r < n; r++) {
      const row = out.subarray(r * w, (r + 1) * w);
      if (recursive.length > 0) {
        this.#x = typeof (data as Float32Array).subarray === "function"
          ? (data as Float32Array).subarray(r * w, (r + 1) * w)
          : Array.prototype.slice.call(data, r * w, (r + 1) * w);
        this.#phi = row;
        for (let t = 0; t < recursive.length; t++) this.#recurse(recursive[t], 0, 0, 0, 1, 1, -1);
      }
      let sum = this.baseValue;
      for (let c = 0; c < w; c++) sum += row[c];
      margins[r] = sum;
    }
    this.#x = [];
  }

  score(margin: number): number {
    return this.output === "log_odds" ? sigmoid(margin) : margin;
  }

  /**
   * Visits `node` with the path of its parent at `parent` (`depth` entries),
   * writing its own path at `offset`; `zf`/`of` are the fractions of the
   * split feature `fi` that led here.
   */
  #recurse(
    node: number,
    depth: number,
    parent: number,
    offset: number,
    zf: number,
    of: number,
    fi: number,
  ): void {
    const pf = this.#pf, pz = this.#pz, po = this.#po, pw = this.#pw;
    if (offset !== parent) {
      for (let i = 0; i < depth; i++) {
        pf[offset + i] = pf[parent + i];
        pz[offset + i] = pz[parent + i];
        po[offset + i] = po[parent + i];
        pw[offset + i] = pw[parent + i];
      }
    }
    // Extend the path with (fi, zf, of).
    pf[offset + depth] = fi;
    pz[offset + depth] = zf;
    po[offset + depth] = of;
    pw[offset + depth] = depth === 0 ? 1 : 0;
    for (let i = depth - 1; i >= 0; i--) {
      pw[offset + i + 1] += (of * pw[offset + i] * (i + 1)) / (depth + 1);
      pw[offset + i] = (zf * pw[offset + i] * (depth - i)) / (depth + 1);
    }
    const e = this.#e;
    const f = e.feature[node];
    if (f < 0) {
      const v = e.value[node];
      for (let i = 1; i <= depth; i++) {
        const w = this.#unwoundSum(offset, depth, i);
        this.#phi[pf[offset + i]] += w * (po[offset + i] - pz[offset + i]) * v;
      }
      return;
    }
    const yes = this.#outcome ? this.#outcome[node] === 1 : goesYes(e, node, this.#x[f]);
    const hot = yes ? e.yes[node] : e.no[node];
    const cold = yes ? e.no[node] : e.yes[node];
    const c = e.cover[node];
    let iz = 1, io = 1;
    let k = 0;
    while (k <= depth && pf[offset + k] !== f) k++;
    if (k <= depth) {
      // The feature split before on this path: undo that split and redo it here.
      iz = pz[offset + k];
      io = po[offset + k];
      this.#unwind(offset, depth, k);
      depth--;
    }
    const next = offset + depth + 1;
    this.#recurse(hot, depth + 1, offset, next, (e.cover[hot] / c) * iz, io, f);
    this.#recurse(cold, depth + 1, offset, next, (e.cover[cold] / c) * iz, 0, f);
  }

  /** Removes entry `k` from the path at `offset` (`depth + 1` entries). */
  #unwind(offset: number, depth: number, k: number): void {
    const pf = this.#pf, pz = this.#pz, po = this.#po, pw = this.#pw;
    const one = po[offset + k], zero = pz[offset + k];
    let next = pw[offset + depth];
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const tmp = pw[offset + i];
        pw[offset + i] = (next * (depth + 1)) / ((i + 1) * one);
        next = tmp - (pw[offset + i] * zero * (depth - i)) / (depth + 1);
      } else {
        pw[offset + i] = (pw[offset + i] * (depth + 1)) / (zero * (depth - i));
      }
    }
    for (let i = k; i < depth; i++) {
      pf[offset + i] = pf[offset + i + 1];
      pz[offset + i] = pz[offset + i + 1];
      po[offset + i] = po[offset + i + 1];
    }
  }

  /** The total permutation weight of the path at `offset` if entry `k` were removed. */
  #unwoundSum(offset: number, depth: number, k: number): number {
    const pz = this.#pz, po = this.#po, pw = this.#pw;
    const one = po[offset + k], zero = pz[offset + k];
    let total = 0;
    if (one !== 0) {
      let next = pw[offset + depth];
      for (let i = depth - 1; i >= 0; i--) {
        const tmp = next / ((i + 1) * one);
        total += tmp;
        next = pw[offset + i] - tmp * zero * (depth - i);
      }
    } else if (zero !== 0) {
      for (let i = depth - 1; i >= 0; i--) total += pw[offset + i] / (zero * (depth - i));
    }
    return total * (depth + 1);
  }
}
