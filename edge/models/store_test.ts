import assert from "node:assert/strict";
import { EdgeError } from "../errors.ts";
import { demoPackage } from "../testing/mod.ts";
import type { ModelRoute, ModelSource } from "./port.ts";
import { ModelStore, resolveSelector } from "./store.ts";

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
