import assert from "node:assert/strict";
import fc from "fast-check";
import { EventValidator } from "./event.ts";
import { parseIsoUtc } from "./time.ts";
import { type SourceDefinition, SourceDefinitionSchema } from "./definitions.ts";

const now = Date.parse("2026-03-20T12:00:00Z");

const transactions: SourceDefinition = SourceDefinitionSchema.parse({
  name: "transactions",
  eventId: "event_id",
  timestamp: "timestamp",
  fields: {
    event_id: { type: "string", minLength: 1, maxLength: 128 },
    user_id: { type: "string", minLength: 1, maxLength: 256 },
    amount: { type: "number", min: 0, max: 1_000_000 },
    timestamp: { type: "timestamp" },
    merchant_category: { type: "string", maxLength: 64, optional: true, nullable: true },
    risk_score: { type: "number", min: 0, max: 1, optional: true, nullable: true },
  },
});

const readings: SourceDefinition = SourceDefinitionSchema.parse({
  name: "readings",
  eventId: "event_id",
  timestamp: "timestamp",
  fields: {
    event_id: { type: "string", minLength: 1, maxLength: 128 },
    device_id: { type: "string", minLength: 1, maxLength: 64 },
    timestamp: { type: "timestamp" },
    temperature: { type: "number", min: -50, max: 150, optional: true, nullable: true },
    pressure: { type: "number", min: 0, max: 2000, optional: true, nullable: true },
    ok: { type: "boolean", optional: true },
    kind: { type: "string", enum: ["a", "b"], optional: true },
    n: { type: "number", integer: true, optional: true },
    where: { type: "object", optional: true, nullable: true },
  },
  atLeastOneOf: [["temperature", "pressure"]],
  extraFields: "reject",
});

const good = {
  event_id: "e1",
  user_id: "user_1",
  amount: 41.5,
  timestamp: "2026-03-20T11:00:00+00:00",
  merchant_category: "grocery",
};

Deno.test("EventValidator accepts a demo event and parses its time", () => {
  const r = new EventValidator(transactions).validate(good, now);
  assert.ok("timeMs" in r);
  assert.equal(r.timeMs, Date.parse("2026-03-20T11:00:00Z"));
});

Deno.test("EventValidator names every failing field", () => {
  const r = new EventValidator(transactions).validate(
    { ...good, amount: "41.5", risk_score: 2, event_id: "" },
    now,
  );
  assert.ok("reason" in r);
  assert.deepEqual(r.issues.map((i) => i.path).sort(), ["amount", "event_id", "risk_score"]);
});

Deno.test("EventValidator rejects timestamps too far ahead of the clock", () => {
  const v = new EventValidator(transactions);
  const r = v.validate({ ...good, timestamp: "2026-03-20T12:06:00Z" }, now);
  assert.ok("reason" in r);
  assert.equal(r.issues[0].path, "timestamp");
  assert.ok("timeMs" in v.validate({ ...good, timestamp: "2026-03-20T12:04:00Z" }, now));
});

Deno.test("EventValidator requires one of a group, and refuses undeclared fields when the source says so", () => {
  const v = new EventValidator(readings);
  const base = { event_id: "r1", device_id: "d1", timestamp: "2026-03-20T11:00:00Z" };
  const none = v.validate({ ...base, temperature: null }, now);
  assert.ok("reason" in none);
  assert.deepEqual(none.issues.map((i) => i.path), ["temperature|pressure"]);
  assert.match(none.issues[0].message, /At least one of temperature, pressure/);
  const extra = v.validate({ ...base, pressure: 1, colour: "red" }, now);
  assert.ok("reason" in extra);
  assert.equal(extra.issues[0].path, "(root)");
  assert.ok("timeMs" in v.validate({ ...base, pressure: 1 }, now));
});

Deno.test("EventValidator's fast path agrees with zod on random events", () => {
  const v = new EventValidator(readings);
  const scalar = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -100, max: 3000 }),
    fc.double({ noNaN: true, min: -1e4, max: 1e4 }),
    fc.constantFrom(
      "",
      "a",
      "b",
      "d1",
      "2026-03-20T11:00:00Z",
      "2026-03-20T12:30:00Z",
      "x".repeat(70),
    ),
    fc.constant({ city: "x" }),
  );
  const keys = [
    "event_id",
    "device_id",
    "timestamp",
    "temperature",
    "pressure",
    "ok",
    "kind",
    "n",
    "where",
    "extra",
  ];
  const event = fc.record(Object.fromEntries(keys.map((k) => [k, scalar])), { requiredKeys: [] });
  fc.assert(
    fc.property(event, (raw) => {
      const value = Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined));
      const fast = v.validate(value, now);
      const zod = v.schema.safeParse(value);
      const ts = value.timestamp;
      const inTime = typeof ts === "string" && (parseIsoUtc(ts) ?? Infinity) <= now + 300_000;
      assert.equal("timeMs" in fast, zod.success && inTime, JSON.stringify(value));
      // A valid event never needs zod: the fast path returns the value itself (zod copies it).
      if ("timeMs" in fast) assert.equal(fast.event, value);
    }),
    { numRuns: 2000 },
  );
});
