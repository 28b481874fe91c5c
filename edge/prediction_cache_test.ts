import assert from "node:assert/strict";
import fc from "fast-check";
import { type CachedScore, PredictionCache } from "./prediction_cache.ts";

const row = (...v: number[]) => Float32Array.from(v);
const score = (p1: number): CachedScore => ({ p0: 1 - p1, p1 });

Deno.test("PredictionCache keys a row by its float32 value, model and version", () => {
  const c = new PredictionCache({ ttlMs: 1000, maxEntries: 10 });
  c.set("m", "1", row(1, 2.5), score(0.9));
  assert.deepEqual(c.get("m", "1", row(1.0, 2.5)), score(0.9));
  assert.deepEqual(c.get("m", "1", Float32Array.from([-0, 3])), undefined);
  c.set("m", "1", row(0, 3), score(0.3));
  assert.deepEqual(c.get("m", "1", row(-0, 3)), score(0.3), "-0 and 0 are one vector");
  assert.equal(c.get("m", "2", row(1, 2.5)), undefined);
  assert.equal(c.get("n", "1", row(1, 2.5)), undefined);
  assert.equal(c.get("m", "1", row(2.5, 1)), undefined);
  assert.equal(c.get("m", "1", row(1, 2.5, 0)), undefined, "a longer row is another vector");
  assert.equal(c.get("m", "1", row(1)), undefined, "so is a shorter one");
  assert.equal(c.get("m", "1", row(1, 2.5000002)), undefined, "the next float32 is another key");
  c.set("m", "1", row(1, 2.5), score(0.1));
  assert.deepEqual(c.get("m", "1", row(1, 2.5)), score(0.1), "set replaces the score");
  assert.equal(c.size, 2);
});

Deno.test("PredictionCache drops expired entries and the oldest beyond the bound", () => {
  let now = 0;
  const c = new PredictionCache({ ttlMs: 100, maxEntries: 2, now: () => now });
  c.set("m", "1", row(1), score(0.9));
  c.set("m", "1", row(2), score(0.8));
  c.set("m", "1", row(3), score(0.7));
  assert.equal(c.size, 2);
  assert.equal(c.get("m", "1", row(1)), undefined);
  assert.deepEqual(c.get("m", "1", row(3)), score(0.7));
  now = 100;
  assert.equal(c.get("m", "1", row(3)), undefined);
  assert.equal(new PredictionCache({ ttlMs: 0, maxEntries: 10 }).enabled, false);
  const off = new PredictionCache({ ttlMs: 100, maxEntries: 0 });
  off.set("m", "1", row(1), score(0.9));
  assert.equal(off.get("m", "1", row(1)), undefined);
});

Deno.test("PredictionCache keeps its entries when a wider model arrives", () => {
  const c = new PredictionCache({ ttlMs: 1000, maxEntries: 4 });
  c.set("m", "1", row(1, 2), score(0.9));
  c.set("w", "1", row(1, 2, 3, 4), score(0.4));
  assert.deepEqual(c.get("w", "1", row(1, 2, 3, 4)), score(0.4));
  assert.deepEqual(c.get("m", "1", row(1, 2)), score(0.9));
  c.set("m", "1", row(3, 4), score(0.6));
  assert.deepEqual(c.get("m", "1", row(3, 4)), score(0.6));
  assert.equal(c.get("m", "1", row(1, 2, 3, 4)), undefined);
  assert.equal(c.size, 3);
});

/** The reference: a Map in insertion order, the oldest insert replaced first. */
class ModelCache {
  readonly entries = new Map<
    string,
    { model: string; row: number[]; s: CachedScore; expires: number }
  >();
  order: string[] = [];
  constructor(readonly ttl: number, readonly max: number) {}
  static key(m: string, v: number[]) {
    return `${m}|${Array.from(Float32Array.from(v), (x) => (x === 0 ? 0 : x)).join(",")}`;
  }
  get(k: string, now: number) {
    const e = this.entries.get(k);
    return e && e.expires > now ? e.s : undefined;
  }
  set(model: string, row: number[], s: CachedScore, now: number) {
    const k = ModelCache.key(model, row);
    const e = this.entries.get(k);
    if (e) {
      e.s = s;
      e.expires = now + this.ttl;
      return;
    }
    if (this.order.length === this.max) this.entries.delete(this.order.shift()!);
    this.order.push(k);
    this.entries.set(k, { model, row, s, expires: now + this.ttl });
  }
}

Deno.test("PredictionCache agrees with a simple FIFO model over random operations", () => {
  // Few distinct keys and a small bound: many hash collisions, evictions and
  // index wrap-arounds, which is where open addressing goes wrong. After
  // every operation each entry the model holds must be found.
  const value = fc.constantFrom(0, -0, 1, 2.5, 1e-7);
  const op = fc.record({
    set: fc.boolean(),
    model: fc.constantFrom("a", "b"),
    row: fc.array(value, { minLength: 1, maxLength: 3 }),
    p1: fc.double({ min: 0, max: 1, noNaN: true }),
    tick: fc.integer({ min: 0, max: 10 }),
  });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 200 }), (max, ops) => {
      let now = 0;
      const c = new PredictionCache({ ttlMs: 200, maxEntries: max, now: () => now });
      const m = new ModelCache(200, max);
      for (const o of ops) {
        now += o.tick;
        if (o.set) {
          c.set(o.model, "1", Float32Array.from(o.row), score(o.p1));
          m.set(o.model, o.row, score(o.p1), now);
        }
        const k = ModelCache.key(o.model, o.row);
        assert.deepEqual(c.get(o.model, "1", Float32Array.from(o.row)), m.get(k, now));
        for (const [key, e] of m.entries) {
          assert.deepEqual(c.get(e.model, "1", Float32Array.from(e.row)), m.get(key, now));
        }
        assert.equal(c.size, m.entries.size);
      }
    }),
    { numRuns: 300 },
  );
});
