import assert from "node:assert/strict";
import { mergeEvents, toWindowEvent } from "../../pipeline/features/mod.ts";
import { FRAUD_VIEW } from "../../tests/support/views.ts";
import { redisKeys } from "../../schemas/pointer.ts";
import { CoalescedOnlineReader, MemoryKeyValue, MemoryOnlineReader } from "./mod.ts";

const NOW = Date.parse("2026-03-20T12:00:00Z");

class Counting extends MemoryKeyValue {
  calls: string[][] = [];
  override mget(keys: string[]) {
    this.calls.push(keys);
    return super.mget(keys);
  }
}

Deno.test("CoalescedOnlineReader.read() shares one round trip between concurrent reads", async () => {
  const kv = new Counting();
  for (let u = 0; u < 5; u++) {
    const events = Array.from(
      { length: u + 1 },
      (_, i) =>
        toWindowEvent(FRAUD_VIEW, { amount: 1, merchant_category: "x" }, NOW - (i + 1) * 1000)!,
    );
    kv.set(
      redisKeys.online(FRAUD_VIEW.name, FRAUD_VIEW.version, `u${u}`),
      JSON.stringify(mergeEvents(FRAUD_VIEW, null, events)),
    );
  }
  const reader = new CoalescedOnlineReader(new MemoryOnlineReader(kv));
  const results = await Promise.all([
    reader.read([{ view: FRAUD_VIEW, entityId: "u0", asOfMs: NOW }]),
    reader.read([{ view: FRAUD_VIEW, entityId: "u3", asOfMs: NOW }, {
      view: FRAUD_VIEW,
      entityId: "u1",
      asOfMs: NOW,
    }]),
    reader.read([{ view: FRAUD_VIEW, entityId: "u4", asOfMs: NOW }]),
  ]);
  assert.equal(kv.calls.length, 1);
  assert.deepEqual(kv.calls[0].length, 4);
  assert.deepEqual(results.map((r) => r.map((f) => f.values.transaction_count_1h)), [[1], [4, 2], [
    5,
  ]]);
  const later = await reader.read([{ view: FRAUD_VIEW, entityId: "u2", asOfMs: NOW }]);
  assert.equal(later[0].values.transaction_count_1h, 3);
  assert.equal(kv.calls.length, 2);
  reader.close();
});

Deno.test("CoalescedOnlineReader.read() rejects every caller of a failed round trip", async () => {
  const reader = new CoalescedOnlineReader({
    kind: "down",
    read: () => Promise.reject(new Error("down")),
  });
  const results = await Promise.allSettled([
    reader.read([{ view: FRAUD_VIEW, entityId: "a", asOfMs: NOW }]),
    reader.read([{ view: FRAUD_VIEW, entityId: "b", asOfMs: NOW }]),
  ]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
  reader.close();
});
