import assert from "node:assert/strict";
import { onnxPackage } from "../tests/contracts/model_registry_fixtures.ts";
import { resolveRegistryConfig } from "./config.ts";
import { RegistryError } from "./errors.ts";
import { LocalRegistry } from "./local.ts";
import { MemoryRegistryStore } from "./store/memory.ts";
import { createModelOperations, createSyncService } from "./wiring.ts";

/** A memory store whose pointer writes fail, as a Redis that went away would. */
class PointerDownStore extends MemoryRegistryStore {
  override compareAndSet(): Promise<boolean> {
    return Promise.reject(new RegistryError("registry_unavailable", "Redis is down"));
  }
}

async function setUp(store: MemoryRegistryStore, followed = "m") {
  const root = await Deno.makeTempDir({ prefix: "model-ops-" });
  const registry = new LocalRegistry({ root });
  // A loaded shared machine must not fail the validation latency smoke run.
  const config = resolveRegistryConfig({
    REGISTRY_MODELS: followed,
    REGISTRY_VALIDATION_LATENCY_MS: "10000",
  });
  const service = createSyncService(config, { registry, store, log: () => {} });
  const ops = createModelOperations(service, config, { pointerIsLive: true, target: "here" });
  await registry.register(onnxPackage("m"));
  await registry.register(onnxPackage("m", { seed: 2 }));
  await registry.setAlias("m", "champion", "1");
  return { root, registry, service, ops };
}

Deno.test("ModelOperations.promote() puts the aliases back when the pointer cannot move", async () => {
  const t = await setUp(new PointerDownStore());
  try {
    await assert.rejects(
      t.ops.promote("m", { version: "2" }),
      /Cannot change model 'm': .*Redis is down; its aliases were put back, nothing changed/,
    );
    assert.deepEqual(await t.registry.getAliases("m"), { champion: "1" });
  } finally {
    await Deno.remove(t.root, { recursive: true });
  }
});

Deno.test("ModelOperations works on a model the sync worker does not follow", async () => {
  const t = await setUp(new MemoryRegistryStore(), "fraud_detector");
  try {
    const canary = await t.ops.canary("m", { version: "2", percent: 30 });
    assert.equal(canary.pointer?.traffic.challenger_percent, 30);
    assert.match(canary.message, /REGISTRY_MODELS does not list 'm'/);
    const promoted = await t.ops.promote("m");
    assert.equal(promoted.pointer?.champion.version, "2");
    const status = await t.ops.status("m");
    assert.equal(status.followed, false);
    assert.equal(status.aliases.champion, "2");
    assert.deepEqual(t.service.worker.status().map((s) => s.model), ["fraud_detector"]);
  } finally {
    await Deno.remove(t.root, { recursive: true });
  }
});

Deno.test("ModelOperations refuses what it cannot do before changing anything", async () => {
  const t = await setUp(new MemoryRegistryStore());
  try {
    await assert.rejects(t.ops.promote("m"), /has no challenger; name a version/);
    await assert.rejects(t.ops.promote("m", { version: "7" }), /Version not found .*: 7/);
    await assert.rejects(t.ops.canary("m", { version: "1" }), /it is the champion/);
    await assert.rejects(t.ops.rollback("m"), /no challenger and no previous champion/);
    await assert.rejects(t.ops.status("nope"), /Model not found 'nope'/);
    const same = await t.ops.promote("m", { version: "1" });
    assert.equal(same.action, "none");
    assert.deepEqual(await t.registry.getAliases("m"), { champion: "1" });
  } finally {
    await Deno.remove(t.root, { recursive: true });
  }
});
