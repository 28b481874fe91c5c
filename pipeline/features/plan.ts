/**
 * The compiled plan of a feature view: which values each event contributes
 * (its inputs), which partial aggregates (slots) a tile keeps for them, and
 * how each feature reads those slots. One plan drives the online state, the
 * tiles the store keeps and the offline computation, so they cannot
 * disagree on what an aggregate means.
 *
 * Slots, per input (an event field, or the event's presence, under a filter):
 *
 * | slot  | merge                   | empty  | read by                    |
 * | ----- | ----------------------- | ------ | -------------------------- |
 * | `n`   | add                     | 0      | count, sum, mean           |
 * | `s`   | add                     | 0      | sum, mean                  |
 * | `min` | least                   | null   | min                        |
 * | `max` | greatest                | null   | max                        |
 * | `t`   | greatest (event time)   | null   | seconds_since_last         |
 * | `lt`, `lv` | latest (time, value) pair; ties take the greater value | null | last |
 * | `sn`, `sm`, `sq` | count, mean, M2 merged by Chan's formula | 0 | stddev |
 * | set   | multiset add            | {}     | distinct                   |
 *
 * @module
 */
import type { Filter } from "../../schemas/definitions.ts";
import { compileFilter, type EventPredicate } from "./filter.ts";
import type { FeatureView, WindowFeature } from "./view.ts";

/** What one event contributes for one input: a number, a key (distinct), or null. */
export type InputValue = number | string | null;

/** One input of a view: a field (or presence) under a filter. */
export interface PlanInput {
  /** Field read; null for the event's presence (value 1). */
  readonly field: string | null;
  readonly where?: Filter;
  readonly missingAs?: string | number;
  /** `number`: numeric value; `key`: text for `distinct`; `present`: 1 when the field is set. */
  readonly kind: "number" | "key" | "present";
}

/** A numeric slot kind. */
export type SlotOp = "n" | "s" | "min" | "max" | "t" | "lt" | "lv" | "sn" | "sm" | "sq";

/** A numeric slot: what it keeps of which input. */
export interface NumSlot {
  readonly op: SlotOp;
  readonly input: number;
}

/** The slots of a tile: numeric ones, then multisets, in this order. */
export interface SlotLayout {
  readonly num: readonly NumSlot[];
  /** Inputs whose multiset of keys is kept (for `distinct`). */
  readonly sets: readonly number[];
}

/** One tile size of the online state, with the slots its features read. */
export interface GrainPlan {
  readonly tileMs: number;
  /** Number of tiles the longest window over this grain spans. */
  readonly horizon: number;
  readonly layout: SlotLayout;
}

/** Where a feature finds its slots in a tile row (-1: not kept). */
export interface FeatureReader {
  readonly feature: WindowFeature;
  readonly input: number;
  readonly grain: number;
  /** Row positions (1-based after the tile index) of the slots, by op; `set` for distinct. */
  readonly at: Readonly<Record<SlotOp | "set", number>>;
  /** `String(feature.tileMs)`: the key of its grain's tiles in an online state. */
  readonly grainKey: string;
  /** For distinct: the position of its input among its grain's set slots (-1 otherwise). */
  readonly setSlot: number;
}

/** The compiled plan of a view. */
export interface ViewPlan {
  readonly inputs: readonly PlanInput[];
  /** Online grains, ascending by tile size. */
  readonly grains: readonly GrainPlan[];
  readonly features: readonly FeatureReader[];
  /** Every slot of the view: the layout of the tiles the store keeps. */
  readonly full: SlotLayout;
  /** The view filter, compiled. */
  readonly filter: EventPredicate | null;
  /** Per input, its `where` compiled (null when none). */
  readonly wheres: readonly (EventPredicate | null)[];
}

const NEEDS: Record<WindowFeature["aggregate"], SlotOp[]> = {
  count: ["n"],
  sum: ["n", "s"],
  mean: ["n", "s"],
  min: ["min"],
  max: ["max"],
  stddev: ["sn", "sm", "sq"],
  distinct: [],
  last: ["lt", "lv"],
  seconds_since_last: ["t"],
};

const OP_ORDER: SlotOp[] = ["n", "s", "min", "max", "t", "lt", "lv", "sn", "sm", "sq"];

const plans = new WeakMap<FeatureView, ViewPlan>();

/** The plan of `view`, compiled once per view object. */
export function planOf(view: FeatureView): ViewPlan {
  let p = plans.get(view);
  if (!p) {
    p = buildPlan(view);
    plans.set(view, p);
  }
  return p;
}

function inputKey(i: PlanInput): string {
  return JSON.stringify([i.field, i.kind, i.missingAs ?? null, i.where ?? null]);
}

function buildPlan(view: FeatureView): ViewPlan {
  const inputs: PlanInput[] = [];
  const inputIndex = new Map<string, number>();
  const featureInputs = view.windowFeatures.map((f) => {
    const input: PlanInput = {
      field: f.field ?? null,
      where: f.where,
      missingAs: f.missingAs,
      kind: f.aggregate === "distinct"
        ? "key"
        : f.aggregate === "count" || f.aggregate === "seconds_since_last"
        ? "present"
        : "number",
    };
    const k = inputKey(input);
    let i = inputIndex.get(k);
    if (i === undefined) {
      i = inputs.length;
      inputs.push(input);
      inputIndex.set(k, i);
    }
    return i;
  });
  const tiles = [...new Set(view.windowFeatures.map((f) => f.tileMs))].sort((a, b) => a - b);
  const want = (fs: readonly number[]) => {
    const num = new Set<string>();
    const sets = new Set<number>();
    for (const j of fs) {
      const f = view.windowFeatures[j];
      for (const op of NEEDS[f.aggregate]) num.add(`${featureInputs[j]}:${op}`);
      if (f.aggregate === "distinct") sets.add(featureInputs[j]);
    }
    return layoutOf(num, sets);
  };
  const all = view.windowFeatures.map((_, j) => j);
  const grains: GrainPlan[] = tiles.map((tileMs) => {
    const fs = all.filter((j) => view.windowFeatures[j].tileMs === tileMs);
    let horizon = 0;
    for (const j of fs) {
      const f = view.windowFeatures[j];
      horizon = Math.max(horizon, Math.ceil(f.windowMs / f.tileMs));
    }
    return { tileMs, horizon, layout: want(fs) };
  });
  const features: FeatureReader[] = view.windowFeatures.map((f, j) => {
    const grain = tiles.indexOf(f.tileMs);
    return {
      feature: f,
      input: featureInputs[j],
      grain,
      at: positions(grains[grain].layout, featureInputs[j]),
      grainKey: String(f.tileMs),
      setSlot: grains[grain].layout.sets.indexOf(featureInputs[j]),
    };
  });
  return {
    inputs,
    grains,
    features,
    full: want(all),
    filter: view.filter ? compileFilter(view.filter) : null,
    wheres: inputs.map((i) => (i.where ? compileFilter(i.where) : null)),
  };
}

function layoutOf(num: Set<string>, sets: Set<number>): SlotLayout {
  const slots = [...num].map((s) => {
    const [input, op] = s.split(":");
    return { input: Number(input), op: op as SlotOp };
  });
  slots.sort((a, b) => a.input - b.input || OP_ORDER.indexOf(a.op) - OP_ORDER.indexOf(b.op));
  return { num: slots, sets: [...sets].sort((a, b) => a - b) };
}

/** Row positions (tile index at 0) of an input's slots in `layout`. */
export function positions(layout: SlotLayout, input: number): Record<SlotOp | "set", number> {
  const at = {
    n: -1,
    s: -1,
    min: -1,
    max: -1,
    t: -1,
    lt: -1,
    lv: -1,
    sn: -1,
    sm: -1,
    sq: -1,
    set: -1,
  };
  layout.num.forEach((s, k) => {
    if (s.input === input) at[s.op] = 1 + k;
  });
  const j = layout.sets.indexOf(input);
  if (j >= 0) at.set = 1 + layout.num.length + j;
  return at;
}

/**
 * The inputs an event contributes to `view`, or `null` when the view's
 * filter rejects it: per input, the field's number (or key text for
 * `distinct`; numbers as text), 1 for presence, or null when the input's
 * `where` rejects the event or the field is null or absent (`missingAs`
 * then stands in). A field of the wrong type counts as absent.
 */
export function eventInputs(
  plan: ViewPlan,
  event: Readonly<Record<string, unknown>>,
): InputValue[] | null {
  if (plan.filter && !plan.filter(event)) return null;
  const out = new Array<InputValue>(plan.inputs.length);
  for (let i = 0; i < plan.inputs.length; i++) {
    const input = plan.inputs[i];
    const where = plan.wheres[i];
    if (where && !where(event)) {
      out[i] = null;
      continue;
    }
    if (input.field === null) {
      out[i] = 1;
      continue;
    }
    let v: unknown = event[input.field];
    if (v === null || v === undefined) v = input.missingAs ?? null;
    if (input.kind === "present") {
      out[i] = v === null ? null : 1;
    } else if (input.kind === "key") {
      out[i] = typeof v === "string"
        ? v
        : typeof v === "number" && Number.isFinite(v)
        ? String(v)
        : typeof v === "boolean"
        ? String(v)
        : null;
    } else {
      out[i] = typeof v === "number" && Number.isFinite(v) ? v : null;
    }
  }
  return out;
}
