import assert from "node:assert/strict";
import { DEMO_VIEW, mergeEvents } from "../../pipeline/features/mod.ts";
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
      (_, i) => ({ timeMs: NOW - (i + 1) * 1000, amount: 1, category: "x" }),
    );
    kv.set(
      redisKeys.online(DEMO_VIEW.name, DEMO_VIEW.version, `u${u}`),
      JSON.stringify(mergeEvents(DEMO_VIEW, null, events)),
    );
  }
  const reader = new CoalescedOnlineReader(new MemoryOnlineReader(kv));
  const results = await Promise.all([
    reader.read(DEMO_VIEW, ["u0"], [NOW]),
    reader.read(DEMO_VIEW, ["u3", "u1"], [NOW, NOW]),
    reader.read(DEMO_VIEW, ["u4"], [NOW]),
  ]);
  assert.equal(kv.calls.length, 1);
  assert.deepEqual(kv.calls[0].length, 4);
  assert.deepEqual(results.map((r) => r.map((f) => f.values.transaction_count_1h)), [[1], [4, 2], [
    5,
  ]]);
  const later = await reader.read(DEMO_VIEW, ["u2"], [NOW]);
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
    reader.read(DEMO_VIEW, ["a"], [NOW]),
    reader.read(DEMO_VIEW, ["b"], [NOW]),
  ]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
  reader.close();
});
