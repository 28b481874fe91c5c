import assert from "node:assert/strict";
import { toWindowEvent } from "./event.ts";
import { compileFilter } from "./filter.ts";
import { ALL_VIEW, FRAUD_VIEW } from "../../tests/support/views.ts";
import { planOf } from "./plan.ts";

Deno.test("toWindowEvent() gives each input of the plan its value, missingAs for an absent field", () => {
  const plan = planOf(FRAUD_VIEW);
  const w = toWindowEvent(FRAUD_VIEW, { amount: 5 }, 7)!;
  assert.equal(w.timeMs, 7);
  const byField = Object.fromEntries(
    plan.inputs.map((i, k) => [i.field ?? "(event)", w.values[k]]),
  );
  assert.deepEqual(byField, { "(event)": 1, amount: 5, merchant_category: "unknown" });
  const x = toWindowEvent(FRAUD_VIEW, { amount: 5, merchant_category: "x" }, 7)!;
  assert.ok(x.values.includes("x"));
});

Deno.test("toWindowEvent() returns null when the view's filter rejects the event", () => {
  assert.equal(toWindowEvent(ALL_VIEW, { kind: "c", x: 1 }, 1), null);
  assert.notEqual(toWindowEvent(ALL_VIEW, { kind: "a", x: 1 }, 1), null);
});

Deno.test("toWindowEvent() nulls an input whose where-filter rejects the event or whose field has the wrong type", () => {
  const plan = planOf(ALL_VIEW);
  const onlyA = plan.inputs.findIndex((i) => i.where !== undefined && i.field === null);
  const x = plan.inputs.findIndex((i) =>
    i.field === "x" && i.where === undefined && i.kind === "number"
  );
  const b = toWindowEvent(ALL_VIEW, { kind: "b", x: "3" }, 1)!;
  assert.equal(b.values[onlyA], null);
  assert.equal(b.values[x], null); // a string where a number belongs counts as absent
  const a = toWindowEvent(ALL_VIEW, { kind: "a", x: 3 }, 1)!;
  assert.equal(a.values[onlyA], 1);
  assert.equal(a.values[x], 3);
});

Deno.test("compileFilter() fails every comparison of a null or absent field but is_null", () => {
  const e = { n: null, s: "click", v: 3 };
  const t = (f: Parameters<typeof compileFilter>[0]) => compileFilter(f)(e);
  assert.equal(t({ field: "s", op: "==", value: "click" }), true);
  assert.equal(t({ field: "n", op: "!=", value: "click" }), false);
  assert.equal(t({ field: "missing", op: "not_in", value: ["a"] }), false);
  assert.equal(t({ field: "n", op: "is_null" }), true);
  assert.equal(t({ field: "v", op: ">=", value: 3 }), true);
  assert.equal(t({ field: "v", op: "<", value: "9" }), false); // types differ
  assert.equal(
    t({
      all: [{ field: "v", op: ">", value: 1 }, { not: { field: "s", op: "in", value: ["x"] } }],
    }),
    true,
  );
  assert.equal(
    t({ any: [{ field: "v", op: ">", value: 5 }, { field: "s", op: "==", value: "x" }] }),
    false,
  );
});
