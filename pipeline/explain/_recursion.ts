/**
 * Path-dependent TreeSHAP by recursion over one tree (Lundberg et al.,
 * "Consistent Individualized Feature Attribution for Tree Ensembles",
 * Algorithm 2, as in shap's `tree_shap.h`): O(leaves × depth²) per row.
 * It allocates nothing per row: one path buffer, reused.
 *
 * @module
 */
import { goesYes, maxDepthOf, type TreeEnsemble } from "./_ensemble.ts";

/** Runs Algorithm 2 over the trees of one ensemble. */
export class PathRecursion {
  readonly #e: TreeEnsemble;
  // The path of unique features from the root, one segment per depth (shap's `unique_path`).
  readonly #pf: Int32Array;
  readonly #pz: Float64Array;
  readonly #po: Float64Array;
  readonly #pw: Float64Array;
  #x: ArrayLike<number> = [];
  #phi: Float64Array = new Float64Array(0);
  #base = 0;
  /** When set: the outcome of each split (1 = yes) instead of a row's. */
  #outcome: Uint8Array | null = null;

  constructor(ensemble: TreeEnsemble) {
    this.#e = ensemble;
    const d = maxDepthOf(ensemble) + 2;
    const size = (d * (d + 1)) / 2 + d;
    this.#pf = new Int32Array(size);
    this.#pz = new Float64Array(size);
    this.#po = new Float64Array(size);
    this.#pw = new Float64Array(size);
  }

  /**
   * Adds the contributions of the tree at `root` to `phi[at + f]`, for the
   * row `x[at…]` or, with `outcome`, for those split outcomes.
   */
  run(root: number, x: ArrayLike<number>, at: number, phi: Float64Array, outcome?: Uint8Array) {
    this.#x = x;
    this.#base = at;
    this.#phi = phi;
    this.#outcome = outcome ?? null;
    this.#visit(root, 0, 0, 0, 1, 1, -1);
    this.#x = [];
    this.#outcome = null;
  }

  /**
   * Visits `node` with the path of its parent at `parent` (`depth` entries),
   * writing its own path at `offset`; `zf`/`of` are the fractions of the
   * split feature `fi` that led here.
   */
  #visit(
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
        this.#phi[this.#base + pf[offset + i]] += w * (po[offset + i] - pz[offset + i]) * v;
      }
      return;
    }
    const yes = this.#outcome
      ? this.#outcome[node] === 1
      : goesYes(e, node, this.#x[this.#base + f]);
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
    this.#visit(hot, depth + 1, offset, next, (e.cover[hot] / c) * iz, io, f);
    this.#visit(cold, depth + 1, offset, next, (e.cover[cold] / c) * iz, 0, f);
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
