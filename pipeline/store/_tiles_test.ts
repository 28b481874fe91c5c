import assert from "node:assert/strict";
import { compileView, DAY_MS, HOUR_MS, MINUTE_MS, planOf } from "../features/mod.ts";
import { tileDeltas, tilePlan, withRolledUp } from "./_tiles.ts";
import { FRAUD_VIEW } from "../../tests/support/views.ts";
import { toWindowEvent } from "../features/event.ts";

Deno.test("tilePlan() stores the finest kept size and rolls up the sizes it divides", () => {
  assert.deepEqual(tilePlan(FRAUD_VIEW, HOUR_MS), {
    stored: [HOUR_MS],
    rolledUp: [{ tileMs: DAY_MS, fromMs: HOUR_MS }],
  });
  assert.deepEqual(tilePlan(FRAUD_VIEW, 0), {
    stored: [MINUTE_MS],
    rolledUp: [{ tileMs: HOUR_MS, fromMs: MINUTE_MS }, { tileMs: DAY_MS, fromMs: MINUTE_MS }],
  });
  // A size no stored size divides is stored.
  const odd = compileView({
    ...FRAUD_VIEW.definition,
    features: [
      { name: "a", aggregate: "count", window: DAY_MS, tile: HOUR_MS, empty: 0 },
      { name: "b", aggregate: "count", window: DAY_MS, tile: 90 * MINUTE_MS, empty: 0 },
    ],
  }, FRAUD_VIEW.entityDefinition);
  assert.deepEqual(tilePlan(odd, 0).stored, [HOUR_MS, 90 * MINUTE_MS]);
});

Deno.test("withRolledUp() sums hours into days as if days were stored", () => {
  const T = Date.UTC(2026, 2, 20, 12);
  const events = [
    { t: T - 30 * MINUTE_MS, amount: 5, c: "a" },
    { t: T - 5 * HOUR_MS, amount: 7, c: "b" },
    { t: T - 30 * HOUR_MS, amount: 1, c: "a" },
  ].map((e) => ({
    entityId: "u",
    event: toWindowEvent(FRAUD_VIEW, { amount: e.amount, merchant_category: e.c }, e.t)!,
  }));
  const hours = tileDeltas(FRAUD_VIEW, events, HOUR_MS);
  assert.ok(hours.every((t) => t.tileMs === HOUR_MS));
  const all = withRolledUp(FRAUD_VIEW, HOUR_MS, hours);
  const days = all.filter((t) => t.tileMs === DAY_MS);
  // What storing days directly would have given: one pass of the events into day tiles.
  const direct = tileDeltas(FRAUD_VIEW, events, DAY_MS).sort((a, b) => a.tileIndex - b.tileIndex);
  assert.deepEqual(days, direct);
  const n = planOf(FRAUD_VIEW).full.num.findIndex((s) => s.op === "n");
  assert.deepEqual(days.map((d) => d.state[n]), [1, 2]);
  assert.deepEqual(days[1].sets, [{ a: 1, b: 1 }]);
});
