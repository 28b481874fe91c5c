import assert from "node:assert/strict";
import { redisKeys } from "../schemas/pointer.ts";
import { onnxPackage } from "../tests/contracts/model_registry_fixtures.ts";
import { resolveRegistryConfig } from "./config.ts";
import { LocalRegistry } from "./local.ts";
import { MemoryRegistryStore } from "./store/memory.ts";
import { createSyncService } from "./wiring.ts";

const T0 = 1_800_000_000_000;

async function setup(env: Record<string, string> = {}) {
  const root = await Deno.makeTempDir({ prefix: "rollout-test-" });
  const registry = new LocalRegistry({ root });
  const store = new MemoryRegistryStore();
  let now = T0;
  const config = resolveRegistryConfig({
    REGISTRY_MODELS: "m",
    REGISTRY_CANARY_MIN_REQUESTS: "100",
    REGISTRY_CANARY_MIN_STEP_S: "60",
    ...env,
  });
  const service = createSyncService(config, { registry, store, log: () => {}, now: () => now });
  await registry.register(onnxPackage("m"));
  await registry.register(onnxPackage("m", { seed: 2 }));
  await registry.setAlias("m", "champion", "1");
  await registry.setAlias("m", "challenger", "2");
  await service.worker.sync("m");
  /** Adds edge counters for one variant in the current 10 s bucket. */
  const count = (variant: string, fields: Record<string, number>) =>
    store.hincrby(redisKeys.rolloutCounters("m", variant, Math.floor(now / 10_000)), fields);
  return {
    registry,
    store,
    service,
    count,
    advance: (ms: number) => (now += ms),
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}

Deno.test("RolloutController.evaluate() advances the canary after enough requests and time", async () => {
  const t = await setup();
  try {
    assert.equal((await t.service.rollout.evaluate("m")).action, "wait");
    t.count("champion", { requests: 2000, errors: 2, "le_1": 2000 });
    t.count("challenger", { requests: 150, errors: 0, "le_1": 150 });
    const early = await t.service.rollout.evaluate("m");
    assert.equal(early.action, "wait");
    assert.match(early.reason, /step younger/);
    t.advance(61_000);
    const decision = await t.service.rollout.evaluate("m");
    assert.equal(decision.action, "advance");
    const pointer = await t.service.publisher.readPointer("m");
    assert.deepEqual(pointer?.traffic, { mode: "canary", challenger_percent: 25 });
    assert.equal(pointer?.challenger?.version, "2");
    assert.equal(pointer?.revision, 2, "edges only swap when the revision moves");
  } finally {
    await t.cleanup();
  }
});

Deno.test("RolloutController.evaluate() rolls back a challenger with injected errors", async () => {
  const t = await setup();
  try {
    await t.service.rollout.evaluate("m");
    t.count("champion", { requests: 2000, errors: 4, "le_1": 2000 });
    t.count("challenger", { requests: 150, errors: 30, "le_1": 150 });
    const decision = await t.service.rollout.evaluate("m");
    assert.equal(decision.action, "rollback");
    assert.match(decision.reason, /^error_rate/);
    assert.deepEqual(await t.registry.getAliases("m"), { champion: "1", rolled_back: "2" });
    const pointer = await t.service.publisher.readPointer("m");
    assert.equal(pointer?.challenger, null);
    assert.deepEqual(pointer?.traffic, { mode: "single", challenger_percent: 0 });
    assert.match(
      await t.service.promRegistry.metrics(),
      /registry_rollbacks_total\{model="m",reason="error_rate"\} 1/,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("RolloutController.evaluate() rolls back on a p99 latency regression", async () => {
  const t = await setup();
  try {
    await t.service.rollout.evaluate("m");
    t.count("champion", { requests: 2000, "le_1": 2000 });
    t.count("challenger", { requests: 150, "le_1": 100, "le_50": 50 });
    const decision = await t.service.rollout.evaluate("m");
    assert.equal(decision.action, "rollback");
    assert.match(decision.reason, /^p99_latency/);
  } finally {
    await t.cleanup();
  }
});

Deno.test("RolloutController.evaluate() promotes after the last step and keeps the old champion", async () => {
  const t = await setup({ REGISTRY_CANARY_STEPS: "50,100" });
  try {
    for (const expected of ["advance", "promote"]) {
      await t.service.rollout.evaluate("m");
      t.count("champion", { requests: 500, "le_1": 500 });
      t.count("challenger", { requests: 500, "le_1": 500 });
      t.advance(61_000);
      assert.equal((await t.service.rollout.evaluate("m")).action, expected);
    }
    assert.deepEqual(await t.registry.getAliases("m"), { champion: "2", previous_champion: "1" });
    const pointer = await t.service.publisher.readPointer("m");
    assert.equal(pointer?.champion.version, "2");
    assert.equal(pointer?.challenger, null);
    const undone = await t.service.rollout.rollback("m", "manual: bad business metrics");
    assert.deepEqual(undone, { restored: "1", removed: "2" });
    assert.equal((await t.service.publisher.readPointer("m"))?.champion.version, "1");
  } finally {
    await t.cleanup();
  }
});

Deno.test("RolloutController.evaluate() rolls back a shadow challenger that disagrees", async () => {
  const t = await setup();
  try {
    await t.service.publisher.updatePointer("m", (current) => ({
      ...current!,
      traffic: { mode: "shadow", challenger_percent: 0 },
    }));
    await t.service.rollout.evaluate("m");
    t.count("champion", { requests: 500, "le_1": 500 });
    t.count("challenger_shadow", { requests: 200, "le_1": 200 });
    t.count("challenger", { shadow_compared: 200, shadow_disagreed: 60 });
    const decision = await t.service.rollout.evaluate("m");
    assert.equal(decision.action, "rollback");
    assert.match(decision.reason, /^shadow_disagreement/);
  } finally {
    await t.cleanup();
  }
});
