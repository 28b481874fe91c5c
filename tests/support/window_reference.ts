/**
 * An independent reference of the window rule, written as plain loops from
 * the definitions (no plan, no slots, no tiles): what every windowed
 * feature of a view is at time T for one entity's raw events. Tests compare
 * the online state, the offline path, the store and the edge against it.
 *
 * @module
 */
import type { Filter } from "../../schemas/definitions.ts";
import type { FeatureView } from "../../pipeline/features/mod.ts";

/** A raw event with its time. */
export interface RefEvent {
  timeMs: number;
  event: Record<string, unknown>;
}

function passes(f: Filter | undefined, e: Record<string, unknown>): boolean {
  if (!f) return true;
  if ("all" in f) return f.all.every((x) => passes(x, e));
  if ("any" in f) return f.any.some((x) => passes(x, e));
  if ("not" in f) return !passes(f.not, e);
  const v = e[f.field];
  const isNull = v === null || v === undefined;
  if (f.op === "is_null") return isNull;
  if (f.op === "not_null") return !isNull;
  if (isNull) return false;
  if (f.op === "in") return f.value.includes(v as string);
  if (f.op === "not_in") return !f.value.includes(v as string);
  if (f.op === "==") return v === f.value;
  if (f.op === "!=") return v !== f.value;
  const w = (f as { value: unknown }).value;
  if (typeof v !== typeof w) return false;
  const a = v as number, b = w as number;
  return f.op === "<" ? a < b : f.op === "<=" ? a <= b : f.op === ">" ? a > b : a >= b;
}

/** Every windowed feature of `view` at `T` over `events` (already the entity's, any order). */
export function referenceFeatures(
  view: FeatureView,
  events: readonly RefEvent[],
  T: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of view.windowFeatures) {
    const g = f.tileMs;
    const values: { t: number; v: unknown }[] = [];
    for (const { timeMs: t, event } of events) {
      if (!(t < T && Math.floor(t / g) >= Math.floor(T / g) - f.windowMs / g + 1)) continue;
      if (!passes(view.filter, event) || !passes(f.where, event)) continue;
      let v: unknown = f.field === undefined ? 1 : event[f.field];
      if (v === null || v === undefined) v = f.missingAs;
      if (v === null || v === undefined) continue;
      const numeric = !["count", "seconds_since_last", "distinct"].includes(f.aggregate);
      if (numeric && typeof v !== "number") continue;
      values.push({ t, v });
    }
    const nums = values.map((x) => x.v as number);
    const n = values.length;
    let value: number;
    if (n === 0) value = f.empty;
    else {
      switch (f.aggregate) {
        case "count":
          value = n;
          break;
        case "sum":
          value = nums.reduce((a, b) => a + b, 0);
          break;
        case "mean":
          value = nums.reduce((a, b) => a + b, 0) / n;
          break;
        case "min":
          value = Math.min(...nums);
          break;
        case "max":
          value = Math.max(...nums);
          break;
        case "stddev": {
          const m = nums.reduce((a, b) => a + b, 0) / n;
          value = Math.sqrt(nums.reduce((a, b) => a + (b - m) * (b - m), 0) / n);
          break;
        }
        case "distinct":
          value = new Set(values.map((x) => String(x.v))).size;
          break;
        case "last": {
          let best = values[0];
          for (const x of values) {
            if (x.t > best.t || (x.t === best.t && (x.v as number) > (best.v as number))) best = x;
          }
          value = best.v as number;
          break;
        }
        case "seconds_since_last":
          value = (T - Math.max(...values.map((x) => x.t))) / 1000;
          break;
      }
    }
    out[f.name] = value;
  }
  return out;
}

/** Asserts two feature maps agree within 1e-9 relative (1e-6 absolute for stddev). */
export function assertFeaturesClose(
  actual: Record<string, unknown>,
  expected: Record<string, number>,
  what: string,
): void {
  for (const [k, e] of Object.entries(expected)) {
    const a = actual[k];
    if (typeof a !== "number" || Math.abs(a - e) > 1e-9 * Math.max(1, Math.abs(e)) + 1e-9) {
      throw new Error(`${what} ${k}: got ${a}, expected ${e}`);
    }
  }
}
