/**
 * Filters declared as data (`{field: "event_type", op: "==", value: "click"}`)
 * compiled once into predicates over events. A null or absent field fails
 * every comparison (`!=` and `not_in` included); only `is_null` passes it.
 *
 * @module
 */
import type { Filter } from "../../schemas/definitions.ts";

/** A compiled filter. */
export type EventPredicate = (event: Readonly<Record<string, unknown>>) => boolean;

const cache = new WeakMap<Filter, EventPredicate>();

/** The predicate of `filter` (compiled once per filter object). */
export function compileFilter(filter: Filter): EventPredicate {
  let p = cache.get(filter);
  if (!p) {
    p = build(filter);
    cache.set(filter, p);
  }
  return p;
}

function present(v: unknown): boolean {
  return v !== null && v !== undefined;
}

function build(f: Filter): EventPredicate {
  if ("all" in f) {
    const parts = f.all.map(build);
    return (e) => parts.every((p) => p(e));
  }
  if ("any" in f) {
    const parts = f.any.map(build);
    return (e) => parts.some((p) => p(e));
  }
  if ("not" in f) {
    const inner = build(f.not);
    return (e) => !inner(e);
  }
  const field = f.field;
  switch (f.op) {
    case "is_null":
      return (e) => !present(e[field]);
    case "not_null":
      return (e) => present(e[field]);
    case "in": {
      const set = new Set<unknown>(f.value);
      return (e) => present(e[field]) && set.has(e[field]);
    }
    case "not_in": {
      const set = new Set<unknown>(f.value);
      return (e) => present(e[field]) && !set.has(e[field]);
    }
    case "==": {
      const v = f.value;
      return (e) => e[field] === v;
    }
    case "!=": {
      const v = f.value;
      return (e) => present(e[field]) && e[field] !== v;
    }
    default: {
      const v = f.value;
      const op = f.op;
      return (e) => {
        const x = e[field];
        if (typeof x !== typeof v || !present(x)) return false;
        const a = x as number | string, b = v as number | string;
        return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
      };
    }
  }
}

/** The fields a filter reads. */
export function filterFields(filter: Filter): string[] {
  if ("all" in filter) return filter.all.flatMap(filterFields);
  if ("any" in filter) return filter.any.flatMap(filterFields);
  if ("not" in filter) return filterFields(filter.not);
  return [filter.field];
}
