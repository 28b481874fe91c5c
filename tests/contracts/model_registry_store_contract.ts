/**
 * The contract every `RegistryStore` adapter (where the registry publishes
 * blobs and pointers, and reads rollout counters) must satisfy.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { RegistryStore } from "../../registry/store/port.ts";

/** A store under test plus a way to add hash fields as the edge does (HINCRBY). */
export interface StoreUnderTest {
  store: RegistryStore;
  hincrby(key: string, fields: Record<string, number>): Promise<void>;
  close(): Promise<void>;
}

/** Registers the contract tests for one adapter. */
export function registryStoreContract(adapter: string, factory: () => Promise<StoreUnderTest>) {
  const prefix = `contract:${crypto.randomUUID().slice(0, 8)}`;
  let n = 0;
  const test = (behaviour: string, fn: (s: StoreUnderTest, key: string) => Promise<void>) =>
    Deno.test(`${adapter} ${behaviour}`, async () => {
      const sut = await factory();
      try {
        await fn(sut, `${prefix}:${++n}`);
      } finally {
        await sut.close();
      }
    });

  test("get() returns null for a missing key", async ({ store }, key) => {
    assert.equal(await store.get(key), null);
  });

  test("setIfAbsent() sets once and never overwrites", async ({ store }, key) => {
    assert.equal(await store.setIfAbsent(key, "first"), true);
    assert.equal(await store.setIfAbsent(key, "second"), false);
    assert.equal(await store.get(key), "first");
  });

  test("compareAndSet() replaces only the expected value", async ({ store }, key) => {
    assert.equal(await store.compareAndSet(key, "x", "a"), false);
    assert.equal(await store.get(key), null);
    assert.equal(await store.compareAndSet(key, null, '{"revision":1}'), true);
    assert.equal(await store.compareAndSet(key, null, '{"revision":9}'), false);
    assert.equal(await store.compareAndSet(key, '{"revision":1}', '{"revision":2}'), true);
    assert.equal(await store.get(key), '{"revision":2}');
  });

  test("compareAndSet() lets exactly one of racing writers win", async ({ store }, key) => {
    await store.compareAndSet(key, null, "0");
    const wins = await Promise.all(
      Array.from({ length: 5 }, (_, i) => store.compareAndSet(key, "0", `w${i}`)),
    );
    assert.equal(wins.filter(Boolean).length, 1);
  });

  test("hgetall() and hgetallMany() read hash fields as strings", async (sut, key) => {
    await sut.hincrby(`${key}:a`, { requests: 3, "le_0.5": 2 });
    await sut.hincrby(`${key}:a`, { requests: 1 });
    assert.deepEqual(await sut.store.hgetall(`${key}:a`), { requests: "4", "le_0.5": "2" });
    const many = await sut.store.hgetallMany([`${key}:a`, `${key}:missing`]);
    assert.deepEqual(many, [{ requests: "4", "le_0.5": "2" }, {}]);
  });

  test(
    "persist() reports whether the key exists and expire() keeps it for now",
    async ({ store }, key) => {
      assert.equal(await store.persist(key), false);
      await store.setIfAbsent(key, "blob");
      await store.expire(key, 3600);
      assert.equal(await store.get(key), "blob");
      assert.equal(await store.persist(key), true);
      await store.expire(`${key}:missing`, 10);
      assert.equal(await store.get(`${key}:missing`), null);
    },
  );

  test("get() round-trips base64 and JSON text unchanged", async ({ store }, key) => {
    const values = ["AAEC/w==", '{"a":[1,2]}', "12345"];
    for (const [i, v] of values.entries()) {
      await store.setIfAbsent(`${key}:${i}`, v);
      assert.equal(await store.get(`${key}:${i}`), v);
    }
  });
}
