import assert from "node:assert/strict";
import { MemoryOnlineCache } from "./memory.ts";

Deno.test("MemoryOnlineCache.held counts keys and characters through writes, overwrites, deletes and expiry", async () => {
  let now = 0;
  const cache = new MemoryOnlineCache({ now: () => now });
  await cache.setMany([{ key: "a", value: "12345" }, { key: "bb", value: "1" }], 10);
  assert.deepEqual(cache.held, { keys: 2, chars: 1 + 5 + 2 + 1 });
  await cache.setMany([{ key: "a", value: "12" }], 10);
  assert.deepEqual(cache.held, { keys: 2, chars: 1 + 2 + 2 + 1 });
  await cache.deleteMany(["bb", "missing"]);
  assert.deepEqual(cache.held, { keys: 1, chars: 3 });
  now = 10_000; // "a" expires; reading it drops it
  assert.deepEqual(await cache.getMany(["a"]), [null]);
  assert.deepEqual(cache.held, { keys: 0, chars: 0 });
});

Deno.test("MemoryOnlineCache sweeps expired keys a few per key written, not in one pass", async () => {
  let now = 0;
  const cache = new MemoryOnlineCache({ now: () => now });
  const old = Array.from({ length: 1000 }, (_, i) => ({ key: `old${i}`, value: "x" }));
  await cache.setMany(old, 1);
  now = 2000; // every old key has expired, none was read
  await cache.setMany([{ key: "new0", value: "y" }], 60);
  // One key written: two keys looked at (both expired), not the whole map.
  assert.equal(cache.held.keys, 1000 + 1 - 2);
  for (let i = 1; i < 600; i++) await cache.setMany([{ key: `new${i}`, value: "y" }], 60);
  // 1200 keys looked at in order: every expired key is gone, every live one kept.
  let chars = 0;
  for (let i = 0; i < 600; i++) chars += `new${i}`.length + 1;
  assert.deepEqual(cache.held, { keys: 600, chars });
  assert.equal(cache.size, 600);
});
