/**
 * The contract every `OnlineCache` adapter must satisfy. Each adapter test
 * calls {@linkcode onlineCacheContract} with a factory that builds a cache
 * and a key prefix no other test uses.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { OnlineCache } from "../../pipeline/online/port.ts";

/** A cache under test plus the hooks the contract needs. */
export interface CacheUnderTest {
  cache: OnlineCache;
  /** Prefix of every key the test writes (isolation on a shared server). */
  prefix: string;
  /** Lets `ms` of cache time pass (a fake clock, or real waiting). */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** Builds a cache for one test. */
export type CacheFactory = () => Promise<CacheUnderTest>;

/** Registers the contract tests for one adapter. */
export function onlineCacheContract(name: string, factory: CacheFactory): void {
  const test = (what: string, fn: (t: CacheUnderTest) => Promise<void>) =>
    Deno.test(`${name} ${what}`, async () => {
      const t = await factory();
      try {
        await fn(t);
      } finally {
        await t.close();
      }
    });

  test("getMany() returns values in key order and null for missing keys", async ({ cache, prefix }) => {
    await cache.setMany([{ key: `${prefix}a`, value: "1" }, {
      key: `${prefix}b`,
      value: '{"v":1}',
    }], 60);
    assert.deepEqual(await cache.getMany([`${prefix}b`, `${prefix}x`, `${prefix}a`]), [
      '{"v":1}',
      null,
      "1",
    ]);
    assert.deepEqual(await cache.getMany([]), []);
  });

  test("setMany() overwrites and writes thousands of entries in one call", async ({ cache, prefix }) => {
    const entries = Array.from(
      { length: 5000 },
      (_, i) => ({ key: `${prefix}k${i}`, value: `v${i}` }),
    );
    await cache.setMany(entries, 60);
    await cache.setMany([{ key: `${prefix}k7`, value: "new" }], 60);
    const got = await cache.getMany(entries.map((e) => e.key));
    assert.equal(got[7], "new");
    assert.equal(got[4999], "v4999");
    assert.equal(got.filter((v) => v === null).length, 0);
  });

  test("setMany() entries expire after their TTL", async ({ cache, prefix, advance }) => {
    await cache.setMany([{ key: `${prefix}short`, value: "x" }], 1);
    await cache.setMany([{ key: `${prefix}long`, value: "y" }], 600);
    await advance(1500);
    assert.deepEqual(await cache.getMany([`${prefix}short`, `${prefix}long`]), [null, "y"]);
  });

  test("compareAndSetMany() writes only keys whose revision is unchanged", async ({ cache, prefix }) => {
    // The online state's format version (2 today) does not matter to the revision.
    const state = (rev: number, n: number) => `{"v":2,"rev":${rev},"n":${n}}`;
    const [a, b, c] = [`${prefix}a`, `${prefix}b`, `${prefix}c`];
    assert.deepEqual(
      await cache.compareAndSetMany([
        { key: a, value: state(1, 1), expectedRev: null },
        { key: b, value: state(1, 1), expectedRev: null },
      ], 60),
      [],
    );
    // b moved on meanwhile; a did not; c is absent but expected present.
    await cache.setMany([{ key: b, value: state(2, 9) }], 60);
    const conflicts = await cache.compareAndSetMany([
      { key: a, value: state(2, 2), expectedRev: 1 },
      { key: b, value: state(2, 2), expectedRev: 1 },
      { key: c, value: state(1, 1), expectedRev: 3 },
    ], 60);
    assert.deepEqual(conflicts.sort(), [b, c].sort());
    assert.deepEqual(await cache.getMany([a, b, c]), [state(2, 2), state(2, 9), null]);
    // A value without a revision counts as revision 0.
    await cache.setMany([{ key: c, value: '{"v":1,"newest":0}' }], 60);
    assert.deepEqual(
      await cache.compareAndSetMany([{ key: c, value: state(1, 5), expectedRev: 0 }], 60),
      [],
    );
    assert.deepEqual(await cache.getMany([c]), [state(1, 5)]);
  });

  test("deleteMany() removes keys", async ({ cache, prefix }) => {
    await cache.setMany([{ key: `${prefix}a`, value: "1" }, { key: `${prefix}b`, value: "2" }], 60);
    await cache.deleteMany([`${prefix}a`]);
    assert.deepEqual(await cache.getMany([`${prefix}a`, `${prefix}b`]), [null, "2"]);
  });
}
