import assert from "node:assert/strict";
import { EdgeError } from "../errors.ts";
import { demoPackage } from "../../tests/support/edge.ts";
import type { ModelRoute, ModelSource } from "./port.ts";
import { MAX_TRACKED_MODELS, ModelStore, resolveSelector } from "./store.ts";

const route: ModelRoute = {
  revision: "1",
  aliases: { champion: "1" },
  versions: ["1", "2"],
  traffic: { mode: "single", challenger_percent: 0 },
};

Deno.test("resolveSelector() resolves aliases, versions and latest, never prototype keys", () => {
  assert.equal(resolveSelector(route, "champion"), "1");
  assert.equal(resolveSelector(route, "2"), "2");
  assert.equal(resolveSelector(route, "latest"), "2");
  assert.equal(resolveSelector(route, "constructor"), undefined);
  assert.equal(resolveSelector(route, "3"), undefined);
});

Deno.test("ModelStore.refresh() gives up on a source that never answers, and tries again later", async () => {
  let hang = true;
  const pkg = await demoPackage();
  const source: ModelSource = {
    kind: "test",
    listModels: () => Promise.resolve(["fraud_detector"]),
    getRoute: () => hang ? new Promise(() => {}) : Promise.resolve(route),
    getPackage: () => Promise.resolve(pkg),
  };
  const store = new ModelStore({ source, timeoutMs: 30 });
  await assert.rejects(
    () => store.acquire("fraud_detector", "champion"),
    (e: unknown) => e instanceof EdgeError && e.code === "model_not_ready",
  );
  assert.match(store.lastErrors.get("fraud_detector")!, /did not answer/);
  hang = false;
  const model = await store.acquire("fraud_detector", "champion");
  assert.equal(model.version, "1");
  store.release(model);
  assert.equal(store.lastErrors.size, 0);
  await store.close();
});

/** A source that counts its calls; `fail` makes getPackage throw. */
function countingSource(pkg: Awaited<ReturnType<typeof demoPackage>>, fail: () => boolean) {
  const calls = { route: 0, pkg: 0 };
  const source: ModelSource = {
    kind: "test",
    listModels: () => Promise.resolve(["fraud_detector"]),
    getRoute: () => {
      calls.route++;
      return Promise.resolve(route);
    },
    getPackage: () => {
      calls.pkg++;
      return fail()
        ? Promise.reject(new EdgeError("model_load_failed", "artifact sha256 does not match"))
        : Promise.resolve(pkg);
    },
  };
  return { source, calls };
}

Deno.test("ModelStore.acquire() backs off after a failed load instead of loading per request", async () => {
  let now = 1_000_000;
  let broken = true;
  const { source, calls } = countingSource(await demoPackage(), () => broken);
  const store = new ModelStore({ source, now: () => now, pollMs: 1000 });
  for (let i = 0; i < 20; i++) {
    await assert.rejects(() => store.acquire("fraud_detector", "champion"), /sha256/);
  }
  assert.equal(calls.pkg, 1, "one download for twenty requests inside the backoff");
  now += 1001;
  await assert.rejects(() => store.acquire("fraud_detector", "champion"), /sha256/);
  assert.equal(calls.pkg, 2);
  now += 1001; // the backoff doubled: still waiting
  await assert.rejects(() => store.acquire("fraud_detector", "champion"), /sha256/);
  assert.equal(calls.pkg, 2);
  broken = false;
  now += 1001;
  const model = await store.acquire("fraud_detector", "champion");
  assert.equal(calls.pkg, 3);
  store.release(model);
  await store.close();
});

Deno.test("ModelStore.acquire() answers an unknown version from a brief miss cache", async () => {
  let now = 1_000_000;
  const { source, calls } = countingSource(await demoPackage(), () => false);
  const store = new ModelStore({ source, now: () => now, pollMs: 1000 });
  store.release(await store.acquire("fraud_detector", "champion"));
  const before = calls.route;
  for (let i = 0; i < 50; i++) {
    await assert.rejects(
      () => store.acquire("fraud_detector", "999"),
      (e: unknown) => e instanceof EdgeError && e.code === "version_not_found",
    );
  }
  assert.equal(calls.route - before, 1, "one route read for fifty misses");
  now += 1001;
  await assert.rejects(() => store.acquire("fraud_detector", "999"));
  assert.ok(calls.route - before <= 3);
  await store.close();
});

Deno.test("ModelStore keeps a bounded map of recent errors whatever names clients send", async () => {
  const source: ModelSource = {
    kind: "test",
    listModels: () => Promise.resolve([]),
    getRoute: () => Promise.reject(new EdgeError("model_load_failed", "Redis is down")),
    getPackage: () => Promise.reject(new Error("unreachable")),
  };
  const store = new ModelStore({ source });
  for (let i = 0; i < MAX_TRACKED_MODELS + 500; i++) {
    await assert.rejects(() => store.acquire(`name_${i}`, "champion"));
  }
  assert.equal(store.lastErrors.size, MAX_TRACKED_MODELS);
  assert.ok(store.lastErrors.has(`name_${MAX_TRACKED_MODELS + 499}`));
  await store.close();
});
