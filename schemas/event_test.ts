import assert from "node:assert/strict";
import { validateEvent } from "./event.ts";
import { parseIsoUtc } from "./time.ts";

const now = Date.parse("2026-03-20T12:00:00Z");
const good = {
  event_id: "e1",
  user_id: "user_1",
  amount: 41.5,
  timestamp: "2026-03-20T11:00:00+00:00",
  merchant_category: "grocery",
};

Deno.test("validateEvent() accepts a demo event and parses its time", () => {
  const r = validateEvent(good, { nowMs: now });
  assert.ok("timeMs" in r);
  assert.equal(r.timeMs, Date.parse("2026-03-20T11:00:00Z"));
});

Deno.test("validateEvent() names every failing field", () => {
  const r = validateEvent({ ...good, amount: "41.5", risk_score: 2, event_id: "" }, { nowMs: now });
  assert.ok("reason" in r);
  assert.deepEqual(r.issues.map((i) => i.path).sort(), ["amount", "event_id", "risk_score"]);
});

Deno.test("validateEvent() rejects timestamps too far ahead of the clock", () => {
  const r = validateEvent({ ...good, timestamp: "2026-03-20T12:06:00Z" }, { nowMs: now });
  assert.ok("reason" in r);
  assert.equal(r.issues[0].path, "timestamp");
  assert.ok(
    "timeMs" in validateEvent({ ...good, timestamp: "2026-03-20T12:04:00Z" }, { nowMs: now }),
  );
});

Deno.test("parseIsoUtc() reads timestamps without an offset as UTC", () => {
  assert.equal(parseIsoUtc("2026-03-20T11:00:00"), Date.parse("2026-03-20T11:00:00Z"));
  assert.equal(
    parseIsoUtc("2026-03-20T11:00:00.250-03:00"),
    Date.parse("2026-03-20T14:00:00.250Z"),
  );
  assert.equal(parseIsoUtc("2026-02-31T00:00:00Z"), null);
  assert.equal(parseIsoUtc("yesterday"), null);
});
