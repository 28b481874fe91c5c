import assert from "node:assert/strict";
import { computeEventFeatures, toWindowEvent } from "./event.ts";
import { crc32 } from "./transforms.ts";
import { DEMO_VIEW } from "./view.ts";

Deno.test("computeEventFeatures() computes the demo event features in UTC", () => {
  const f = computeEventFeatures(DEMO_VIEW, {
    amount: 99,
    timestamp: "2026-03-21T23:30:00+02:00", // Saturday 21:30 UTC
    merchant_category: "electronics",
  });
  assert.equal(f.amount, 99);
  assert.equal(f.amount_log, Math.log1p(99));
  assert.equal(f.hour_of_day, 21);
  assert.equal(f.day_of_week, 5);
  assert.equal(f.is_weekend, 1);
  assert.equal(f.is_night, 0);
  assert.equal(f.merchant_category_encoded, crc32("electronics") % 100);
  assert.equal(f.payment_method_encoded, crc32("unknown") % 10);
  assert.equal(f.risk_score, 0);
});

Deno.test("toWindowEvent() reads amount and category, missing category is unknown", () => {
  assert.deepEqual(toWindowEvent(DEMO_VIEW, { amount: 5 }, 7), {
    timeMs: 7,
    amount: 5,
    category: "unknown",
  });
  assert.equal(toWindowEvent(DEMO_VIEW, { amount: 5, merchant_category: "x" }, 7).category, "x");
});
