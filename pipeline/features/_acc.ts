/**
 * The accumulator of one windowed feature while its window is read: tile
 * slots and raw event values go in, the feature's value comes out.
 *
 * @module
 */
import type { SlotOp } from "./plan.ts";
import type { TileRow } from "./window.ts";
import type { WindowFeature } from "./view.ts";

/** Partial aggregate of one feature over the part of its window read so far. */
export interface Acc {
  n: number;
  s: number;
  /** Min, max or latest time (by aggregate); null when nothing counted. */
  x: number | null;
  /** `last`: latest time and its value. */
  lt: number | null;
  lv: number;
  /** `stddev`: count, mean, M2. */
  sn: number;
  sm: number;
  sq: number;
  set: Set<string> | null;
}

/** A new accumulator for `f`. */
export function newAcc(f: WindowFeature): Acc {
  return {
    n: 0,
    s: 0,
    x: null,
    lt: null,
    lv: 0,
    sn: 0,
    sm: 0,
    sq: 0,
    set: f.aggregate === "distinct" ? new Set() : null,
  };
}

/** Adds the slots of one tile row (positions `at`) to `acc`. */
export function accumulateRow(
  f: WindowFeature,
  acc: Acc,
  row: TileRow,
  at: Readonly<Record<SlotOp | "set", number>>,
): void {
  switch (f.aggregate) {
    case "count":
      acc.n += row[at.n] as number;
      return;
    case "sum":
    case "mean":
      acc.n += row[at.n] as number;
      acc.s += row[at.s] as number;
      return;
    case "min": {
      const v = row[at.min] as number | null;
      if (v !== null && (acc.x === null || v < acc.x)) acc.x = v;
      return;
    }
    case "max": {
      const v = row[at.max] as number | null;
      if (v !== null && (acc.x === null || v > acc.x)) acc.x = v;
      return;
    }
    case "seconds_since_last": {
      const v = row[at.t] as number | null;
      if (v !== null && (acc.x === null || v > acc.x)) acc.x = v;
      return;
    }
    case "last": {
      const t = row[at.lt] as number | null;
      if (t !== null) takeLast(acc, t, row[at.lt + 1] as number);
      return;
    }
    case "stddev": {
      const nb = row[at.sn] as number;
      if (nb > 0) mergeMoments(acc, nb, row[at.sn + 1] as number, row[at.sn + 2] as number);
      return;
    }
    case "distinct": {
      const set = row[at.set] as Record<string, number>;
      for (const k in set) acc.set!.add(k);
      return;
    }
  }
}

function takeLast(acc: Acc, t: number, v: number): void {
  if (acc.lt === null || t > acc.lt || (t === acc.lt && v > acc.lv)) {
    acc.lt = t;
    acc.lv = v;
  }
}

function mergeMoments(acc: Acc, nb: number, mb: number, qb: number): void {
  const na = acc.sn;
  if (na === 0) {
    acc.sn = nb;
    acc.sm = mb;
    acc.sq = qb;
    return;
  }
  const n = na + nb;
  const d = mb - acc.sm;
  acc.sm += d * nb / n;
  acc.sq += qb + d * d * na * nb / n;
  acc.sn = n;
}

/** Adds one event's (non-null) input value at time `t` to `acc`. */
export function accumulateValue(f: WindowFeature, acc: Acc, t: number, v: number | string): void {
  switch (f.aggregate) {
    case "count":
      acc.n += 1;
      return;
    case "sum":
    case "mean":
      acc.n += 1;
      acc.s += v as number;
      return;
    case "min":
      if (acc.x === null || (v as number) < acc.x) acc.x = v as number;
      return;
    case "max":
      if (acc.x === null || (v as number) > acc.x) acc.x = v as number;
      return;
    case "seconds_since_last":
      if (acc.x === null || t > acc.x) acc.x = t;
      return;
    case "last":
      takeLast(acc, t, v as number);
      return;
    case "stddev": {
      const n = acc.sn + 1;
      const d = (v as number) - acc.sm;
      acc.sm += d / n;
      acc.sq += d * ((v as number) - acc.sm);
      acc.sn = n;
      return;
    }
    case "distinct":
      acc.set!.add(String(v));
      return;
  }
}

/** The feature's value, or its `empty` value when nothing counted. */
export function finish(f: WindowFeature, acc: Acc, asOfMs: number): number {
  switch (f.aggregate) {
    case "count":
      return acc.n === 0 ? f.empty : acc.n;
    case "sum":
      return acc.n === 0 ? f.empty : acc.s;
    case "mean":
      return acc.n === 0 ? f.empty : acc.s / acc.n;
    case "min":
    case "max":
      return acc.x === null ? f.empty : acc.x;
    case "seconds_since_last":
      return acc.x === null ? f.empty : (asOfMs - acc.x) / 1000;
    case "last":
      return acc.lt === null ? f.empty : acc.lv;
    case "stddev":
      return acc.sn === 0 ? f.empty : Math.sqrt(Math.max(0, acc.sq / acc.sn));
    case "distinct":
      return acc.set!.size === 0 ? f.empty : acc.set!.size;
  }
}
