import assert from "node:assert/strict";
import { DAY_MS, DEMO_VIEW, type FeatureView, HOUR_MS, MINUTE_MS } from "../features/mod.ts";
import { tilePlan, withRolledUp } from "./_tiles.ts";
import type { TileRecord } from "./port.ts";

function viewOf(...f: [string, "count" | "distinct", number, number][]): FeatureView {
  return {
    ...DEMO_VIEW,
    windowFeatures: f.map(([name, aggregate, windowMs, tileMs]) => ({
      name,
      aggregate,
      windowMs,
      tileMs,
      empty: 0,
    })),
  };
}

Deno.test("tilePlan() stores the finest kept size and rolls up the sizes it divides", () => {
  assert.deepEqual(tilePlan(DEMO_VIEW, HOUR_MS), {
    stored: [{ tileMs: HOUR_MS, categories: true }],
    rolledUp: [{ tileMs: DAY_MS, categories: false, fromMs: HOUR_MS }],
  });
  // 1-minute tiles have no categories: the 1 h tiles, which need them, stay rows.
  assert.deepEqual(tilePlan(DEMO_VIEW, 0), {
    stored: [{ tileMs: MINUTE_MS, categories: false }, { tileMs: HOUR_MS, categories: true }],
    rolledUp: [{ tileMs: DAY_MS, categories: false, fromMs: HOUR_MS }],
  });
  // A size no stored size divides is stored.
  const odd = viewOf(["a", "count", DAY_MS, HOUR_MS], ["b", "count", DAY_MS, 90 * MINUTE_MS]);
  assert.deepEqual(tilePlan(odd, 0).stored.map((g) => g.tileMs), [HOUR_MS, 90 * MINUTE_MS]);
  // A coarse size needing categories is not rolled up from tiles without them.
  const cats = viewOf(["a", "count", DAY_MS, HOUR_MS], ["b", "distinct", 7 * DAY_MS, DAY_MS]);
  assert.deepEqual(tilePlan(cats, 0).rolledUp, []);
});

Deno.test("withRolledUp() sums hours into days as if days were stored", () => {
  const hour = (i: number, count: number, sum: number, max: number, cats: Record<string, number>) =>
    ({
      entityId: "u",
      tileMs: HOUR_MS,
      tileIndex: i,
      count,
      sum,
      max,
      categories: cats,
      maxTimeMs: i * HOUR_MS + 5,
    }) satisfies TileRecord;
  const rows = [hour(24, 2, 3, 2, { a: 2 }), hour(30, 1, 10, 10, { b: 1 }), hour(48, 1, 4, 4, {})];
  const all = withRolledUp(DEMO_VIEW, HOUR_MS, rows);
  assert.deepEqual(all.slice(0, 3), rows);
  assert.deepEqual(all.slice(3), [
    { ...rows[1], tileMs: DAY_MS, tileIndex: 1, count: 3, sum: 13, max: 10, categories: {} },
    { ...rows[2], tileMs: DAY_MS, tileIndex: 2, count: 1, sum: 4, max: 4, categories: {} },
  ]);
});

Deno.test("withRolledUp() sums category counts when the coarser size needs them", () => {
  const v = viewOf(["a", "distinct", DAY_MS, HOUR_MS], ["b", "distinct", 7 * DAY_MS, DAY_MS]);
  const t = (i: number, cats: Record<string, number>): TileRecord => ({
    entityId: "u",
    tileMs: HOUR_MS,
    tileIndex: i,
    count: 1,
    sum: 1,
    max: 1,
    categories: cats,
    maxTimeMs: i * HOUR_MS,
  });
  const [day] = withRolledUp(v, HOUR_MS, [t(0, { a: 1 }), t(1, { a: 2, b: 1 })]).slice(2);
  assert.deepEqual(day.categories, { a: 3, b: 1 });
  assert.equal(day.count, 2);
});

Deno.test("withRolledUp() ignores rows of sizes the store no longer keeps", () => {
  const row = (tileMs: number, tileIndex: number, count: number): TileRecord => ({
    entityId: "u",
    tileMs,
    tileIndex,
    count,
    sum: count,
    max: 1,
    categories: {},
    maxTimeMs: tileIndex * tileMs,
  });
  // A stale stored day (count 9) and minute, next to the hour that is kept.
  const all = withRolledUp(DEMO_VIEW, HOUR_MS, [
    row(MINUTE_MS, 60, 1),
    row(HOUR_MS, 1, 2),
    row(DAY_MS, 0, 9),
  ]);
  assert.deepEqual(all.map((t) => [t.tileMs, t.count]), [[HOUR_MS, 2], [DAY_MS, 2]]);
});
