import assert from "node:assert/strict";
import { mergeEvents, toWindowEvent } from "../../pipeline/features/mod.ts";
import { FRAUD_VIEW } from "../../tests/support/views.ts";
import { redisKeys } from "../../schemas/pointer.ts";
import { MemoryKeyValue, MemoryOnlineReader } from "./mod.ts";

const NOW = Date.parse("2026-03-20T12:00:00Z");

class Counting extends MemoryKeyValue {
  calls = 0;
  override mget(keys: string[]) {
    this.calls++;
    return super.mget(keys);
  }
}

function store(): Counting {
  const kv = new Counting();
  const state = mergeEvents(FRAUD_VIEW, null, [
    toWindowEvent(FRAUD_VIEW, { amount: 10, merchant_category: "a" }, NOW - 60_000)!,
  ]);
  kv.set(redisKeys.online(FRAUD_VIEW.name, FRAUD_VIEW.version, "u1"), JSON.stringify(state));
  kv.set(redisKeys.online(FRAUD_VIEW.name, FRAUD_VIEW.version, "bad"), "{not json");
  return kv;
}

Deno.test("MemoryOnlineReader.read() computes windows for many entities in one mget", async () => {
  const kv = store();
  const r = new MemoryOnlineReader(kv);
  const [u1, none, bad] = await r.read([{ view: FRAUD_VIEW, entityId: "u1", asOfMs: NOW }, {
    view: FRAUD_VIEW,
    entityId: "nobody",
    asOfMs: NOW,
  }, { view: FRAUD_VIEW, entityId: "bad", asOfMs: NOW }]);
  assert.equal(kv.calls, 1);
  assert.equal(u1.values.transaction_count_24h, 1);
  assert.equal(u1.asOfMs, NOW - 60_000);
  assert.equal(none.values.transaction_count_24h, 0);
  assert.equal(none.values.seconds_since_last_txn, 2_592_000);
  assert.equal(none.asOfMs, null);
  assert.equal(bad.values.transaction_count_24h, 0, "an unreadable state is an empty window");
});

Deno.test("MemoryOnlineReader caches states for the TTL within its bound", async () => {
  let now = NOW;
  const kv = store();
  const counts = { hits: 0, misses: 0 };
  const r = new MemoryOnlineReader(kv, { cacheTtlMs: 500, cacheMax: 1, now: () => now });
  r.observeCache((h, m) => {
    counts.hits += h;
    counts.misses += m;
  });
  await r.read([{ view: FRAUD_VIEW, entityId: "u1", asOfMs: now }]);
  await r.read([{ view: FRAUD_VIEW, entityId: "u1", asOfMs: now }]);
  assert.equal(kv.calls, 1);
  await r.read([{ view: FRAUD_VIEW, entityId: "nobody", asOfMs: now }]); // evicts u1 (bound 1)
  await r.read([{ view: FRAUD_VIEW, entityId: "u1", asOfMs: now }]);
  assert.equal(kv.calls, 3);
  now += 501;
  await r.read([{ view: FRAUD_VIEW, entityId: "u1", asOfMs: now }]);
  assert.equal(kv.calls, 4);
  assert.deepEqual(counts, { hits: 1, misses: 4 });
  const off = new MemoryOnlineReader(kv);
  const offCounts = { hits: 0, misses: 0 };
  off.observeCache((h, m) => {
    offCounts.hits += h;
    offCounts.misses += m;
  });
  await off.read([{ view: FRAUD_VIEW, entityId: "u1", asOfMs: now }]);
  await off.read([{ view: FRAUD_VIEW, entityId: "u1", asOfMs: now }]);
  assert.equal(kv.calls, 6, "TTL 0 turns the cache off");
  assert.deepEqual(offCounts, { hits: 0, misses: 2 }, "every lookup is a miss without a cache");
});
