import assert from "node:assert/strict";
import { PredictionCache } from "./prediction_cache.ts";

Deno.test("PredictionCache.key() treats 1 and 1.0 as one vector and versions apart", () => {
  const a = PredictionCache.key("m", "1", Float32Array.from([1, 2.5]));
  const b = PredictionCache.key("m", "1", Float32Array.from([1.0, 2.5]));
  assert.equal(a, b);
  assert.notEqual(a, PredictionCache.key("m", "2", Float32Array.from([1, 2.5])));
  assert.notEqual(a, PredictionCache.key("m", "1", Float32Array.from([12, 0.5])));
  assert.notEqual(a, PredictionCache.key("m", "1", Float32Array.from([2.5, 1])));
  assert.equal(
    PredictionCache.key("m", "1", Float32Array.from([-0, 3])),
    PredictionCache.key("m", "1", Float32Array.from([0, 3])),
  );
  assert.notEqual(
    PredictionCache.key("m", "1", Float32Array.from([1, 2])),
    PredictionCache.key("m", "1", Float32Array.from([1, 2.0000002])),
  );
});

Deno.test("PredictionCache drops expired entries and the oldest beyond the bound", () => {
  let now = 0;
  const c = new PredictionCache({ ttlMs: 100, maxEntries: 2, now: () => now });
  c.set("a", { p0: 0.1, p1: 0.9 });
  c.set("b", { p0: 0.2, p1: 0.8 });
  c.set("c", { p0: 0.3, p1: 0.7 });
  assert.equal(c.size, 2);
  assert.equal(c.get("a"), undefined);
  assert.deepEqual(c.get("c"), { p0: 0.3, p1: 0.7 });
  now = 100;
  assert.equal(c.get("c"), undefined);
  assert.equal(new PredictionCache({ ttlMs: 0, maxEntries: 10 }).enabled, false);
});
