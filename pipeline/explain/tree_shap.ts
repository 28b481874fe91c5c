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
 * holds.
 *
 * Speed: the recursion (`_recursion.ts`) costs O(leaves × depth²) per tree and row, ≈ 110–150
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
import { expectedValue, goesYes, MODE, splitsOf, type TreeEnsemble } from "./_ensemble.ts";
import { addLeafTable, buildLeafTable, type LeafTable } from "./_leaf_table.ts";
import { PathRecursion } from "./_recursion.ts";
import type { Explainer, ExplanationOutput } from "./explainer.ts";
import { sigmoid } from "./explainer.ts";

export { MODE, type TreeEnsemble };

/** Trees with at most this many splits are explained from a table (2^splits rows). */
export const TABLE_MAX_SPLITS = 10;
/** Most table entries of one explainer (float64: 32 MiB); further trees recurse per row. */
export const TABLE_MAX_ENTRIES = 4_194_304;

/** Path-dependent TreeSHAP over a {@linkcode TreeEnsemble}. */
export class TreeShapExplainer implements Explainer {
  readonly kind = "tree";
  readonly output: ExplanationOutput;
  readonly width: number;
  readonly baseValue: number;
  readonly #e: TreeEnsemble;
  readonly #recursion: PathRecursion;
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
    this.#recursion = new PathRecursion(ensemble);
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
    for (let bits = 0; bits < 2 ** splits.length; bits++) {
      for (let j = 0; j < splits.length; j++) outcome[splits[j]] = (bits >> j) & 1;
      for (const f of features) phi[f] = 0;
      this.#recursion.run(root, [], 0, phi, outcome);
      for (let j = 0; j < k; j++) table[bits * k + j] = phi[features[j]];
    }
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
    const recursive = this.#recursive;
    for (let t = 0; t < recursive.length; t++) this.#recursion.run(recursive[t], row, 0, out);
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
      for (let t = 0; t < recursive.length; t++) {
        this.#recursion.run(recursive[t], data, r * w, out);
      }
      let sum = this.baseValue;
      for (let c = 0; c < w; c++) sum += row[c];
      margins[r] = sum;
    }
  }

  score(margin: number): number {
    return this.output === "log_odds" ? sigmoid(margin) : margin;
  }
}
