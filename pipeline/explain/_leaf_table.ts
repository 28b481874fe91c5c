/**
 * Path-dependent TreeSHAP of one tree from per-leaf tables, for trees with
 * too many splits for a table per outcome combination (`tree_shap.ts`).
 *
 * For a leaf of value `v` whose path splits on the unique features `P`
 * (`d` of them), each with `z_j` (the product of the cover fractions of
 * its splits) and `o_j` (1 when the row satisfies all of them), the
 * Shapley value of `i ∈ P` is
 * `v (o_i − z_i) Σ_{S ⊆ P∖{i}} w(|S|) Π_{j∈S} o_j Π_{j∈P∖S∖{i}} z_j`
 * with `w(s) = s! (d − s − 1)! / d!`. Only `S ⊆ A` (the features with
 * `o_j = 1`) count, so with `H(B) = Σ_{S ⊆ B} w(|S|) Π_{j ∈ P∖S} z_j`
 * (one value per subset of `P`, computed at load):
 * `φ_i = v (1 − z_i) / z_i · H(A∖{i})` when `i ∈ A`, else `−v · H(A)`.
 * A row then costs O(d) per leaf (the recursion: O(d²) per leaf, with calls).
 *
 * @module
 */
import type { TreeEnsemble } from "./_ensemble.ts";

/** Leaves with more unique path features than this are not tabled (2^d values each). */
export const LEAF_TABLE_MAX_FEATURES = 12;

/** The tables of one tree. */
export interface LeafTable {
  /** Split nodes of the tree; a row's outcome per split is computed once. */
  splits: Int32Array;
  /** Per leaf: its first condition, first feature slot and first H value. */
  condStart: Int32Array;
  slotStart: Int32Array;
  hStart: Int32Array;
  /** Conditions: index into `splits`, the outcome wanted (1 = yes), the slot it clears. */
  condSplit: Int32Array;
  condWant: Uint8Array;
  condSlot: Uint8Array;
  /** Slots: the input, `v (1 − z) / z`, and `−v` of the leaf. */
  slotFeature: Int32Array;
  slotOn: Float64Array;
  slotOff: Float64Array;
  /** `H(B)` of each leaf, indexed by the subset's bits. */
  h: Float64Array;
}

const factorials = [1];
function factorial(n: number): number {
  while (factorials.length <= n) factorials.push(factorials.length * factorials.at(-1)!);
  return factorials[n];
}

/**
 * Builds the tables of the tree at `root`, or `null` when a leaf has more
 * than {@linkcode LEAF_TABLE_MAX_FEATURES} unique path features or the
 * tables would exceed `budget` values.
 */
export function buildLeafTable(e: TreeEnsemble, root: number, budget: number): LeafTable | null {
  const splits: number[] = [];
  const splitIndex = new Map<number, number>();
  const leaves: { node: number; path: { node: number; yes: boolean }[] }[] = [];
  const walk = (n: number, path: { node: number; yes: boolean }[]) => {
    if (e.feature[n] < 0) {
      leaves.push({ node: n, path });
      return;
    }
    splitIndex.set(n, splits.length);
    splits.push(n);
    walk(e.yes[n], [...path, { node: n, yes: true }]);
    walk(e.no[n], [...path, { node: n, yes: false }]);
  };
  walk(root, []);
  let size = 0;
  const perLeaf = leaves.map((leaf) => {
    const features: number[] = [];
    const z: number[] = [];
    const conds: { split: number; want: number; slot: number }[] = [];
    for (const step of leaf.path) {
      const f = e.feature[step.node];
      let slot = features.indexOf(f);
      if (slot < 0) {
        slot = features.length;
        features.push(f);
        z.push(1);
      }
      const child = step.yes ? e.yes[step.node] : e.no[step.node];
      z[slot] *= e.cover[child] / e.cover[step.node];
      conds.push({ split: splitIndex.get(step.node)!, want: step.yes ? 1 : 0, slot });
    }
    size += 1 << features.length;
    return { node: leaf.node, features, z, conds };
  });
  if (perLeaf.some((l) => l.features.length > LEAF_TABLE_MAX_FEATURES) || size > budget) {
    return null;
  }
  const t: LeafTable = {
    splits: Int32Array.from(splits),
    condStart: new Int32Array(leaves.length + 1),
    slotStart: new Int32Array(leaves.length + 1),
    hStart: new Int32Array(leaves.length + 1),
    condSplit: new Int32Array(perLeaf.reduce((s, l) => s + l.conds.length, 0)),
    condWant: new Uint8Array(perLeaf.reduce((s, l) => s + l.conds.length, 0)),
    condSlot: new Uint8Array(perLeaf.reduce((s, l) => s + l.conds.length, 0)),
    slotFeature: new Int32Array(perLeaf.reduce((s, l) => s + l.features.length, 0)),
    slotOn: new Float64Array(perLeaf.reduce((s, l) => s + l.features.length, 0)),
    slotOff: new Float64Array(perLeaf.reduce((s, l) => s + l.features.length, 0)),
    h: new Float64Array(size),
  };
  perLeaf.forEach((l, i) => {
    const v = e.value[l.node];
    const c0 = t.condStart[i], s0 = t.slotStart[i], h0 = t.hStart[i];
    l.conds.forEach((c, k) => {
      t.condSplit[c0 + k] = c.split;
      t.condWant[c0 + k] = c.want;
      t.condSlot[c0 + k] = c.slot;
    });
    l.features.forEach((f, k) => {
      t.slotFeature[s0 + k] = f;
      t.slotOn[s0 + k] = (v * (1 - l.z[k])) / l.z[k];
      t.slotOff[s0 + k] = -v;
    });
    fillH(l.z, t.h, h0);
    t.condStart[i + 1] = c0 + l.conds.length;
    t.slotStart[i + 1] = s0 + l.features.length;
    t.hStart[i + 1] = h0 + 2 ** l.features.length;
  });
  return t;
}

/** `H(B)` for every subset `B` of the `d` path features, into `h[at + B]`. */
function fillH(z: number[], h: Float64Array, at: number): void {
  const d = z.length;
  const all = 2 ** d - 1;
  // Π_{j ∈ P∖S} z_j and w(|S|) for every S.
  const prod = new Float64Array(all + 1);
  const weight = new Float64Array(all + 1);
  for (let s = 0; s <= all; s++) {
    let p = 1, size = 0;
    for (let j = 0; j < d; j++) {
      if (s & (1 << j)) size++;
      else p *= z[j];
    }
    prod[s] = p;
    weight[s] = size < d ? (factorial(size) * factorial(d - size - 1)) / factorial(d) : 0;
  }
  for (let b = 0; b <= all; b++) {
    let sum = 0;
    // Every subset S of B, B itself included.
    for (let s = b;; s = (s - 1) & b) {
      sum += weight[s] * prod[s];
      if (s === 0) break;
    }
    h[at + b] = sum;
  }
}

/**
 * Adds the contributions of the tree to `out[base + f]` for the row at
 * `data[base + …]`; `outcome` is scratch of at least `splits.length`.
 */
export function addLeafTable(
  t: LeafTable,
  e: TreeEnsemble,
  goesYes: (e: TreeEnsemble, node: number, x: number) => boolean,
  data: ArrayLike<number>,
  base: number,
  out: Float64Array,
  outBase: number,
  outcome: Uint8Array,
): void {
  const { splits, condStart, slotStart, hStart, condSplit, condWant, condSlot } = t;
  const { slotFeature, slotOn, slotOff, h } = t;
  const feature = e.feature;
  for (let j = 0; j < splits.length; j++) {
    const n = splits[j];
    outcome[j] = goesYes(e, n, data[base + feature[n]]) ? 1 : 0;
  }
  const leaves = condStart.length - 1;
  for (let l = 0; l < leaves; l++) {
    const s0 = slotStart[l];
    const d = slotStart[l + 1] - s0;
    let a = (1 << d) - 1;
    const c1 = condStart[l + 1];
    for (let c = condStart[l]; c < c1; c++) {
      a &= ~((outcome[condSplit[c]] ^ condWant[c]) << condSlot[c]);
    }
    const h0 = hStart[l];
    const off = h[h0 + a];
    for (let k = 0; k < d; k++) {
      const on = (a >> k) & 1;
      out[outBase + slotFeature[s0 + k]] += on === 1
        ? slotOn[s0 + k] * h[h0 + (a ^ (1 << k))]
        : slotOff[s0 + k] * off;
    }
  }
}
