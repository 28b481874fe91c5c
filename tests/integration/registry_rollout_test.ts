/**
 * The rollout controller on real MLflow and Redis, fed by the edge's own
 * counter writer: a challenger with injected errors is rolled back by
 * itself, MLflow's aliases are restored and the pointer stops the canary;
 * a healthy challenger advances.
 *
 * @module
 */
import assert from "node:assert/strict";
import { RolloutCounters, UpstashRolloutSink } from "../../edge/rollout.ts";
import { resolveRegistryConfig } from "../../registry/config.ts";
import { MlflowRegistry } from "../../registry/mlflow.ts";
import { upstashRedis } from "../../registry/store/upstash.ts";
import { createSyncService } from "../../registry/wiring.ts";
import { serviceEnv } from "../_services.ts";
import { onnxPackage } from "../contracts/model_registry_fixtures.ts";

async function setup(minStepS: string) {
  const env = await serviceEnv("mlflow", "gateway");
  const name = `rollout_${crypto.randomUUID().slice(0, 8)}`;
  const mlflow = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  await mlflow.register(onnxPackage(name));
  await mlflow.register(onnxPackage(name, { seed: 2 }));
  await mlflow.setAlias(name, "champion", "1");
  await mlflow.setAlias(name, "challenger", "2");
  const config = resolveRegistryConfig({
    MLFLOW_TRACKING_URI: env.MLFLOW_TRACKING_URI,
    UPSTASH_REDIS_REST_URL: env.UPSTASH_REDIS_REST_URL,
    UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_ADMIN_TOKEN,
    REGISTRY_MODELS: name,
    REGISTRY_CANARY_MIN_REQUESTS: "100",
    REGISTRY_CANARY_MIN_STEP_S: minStepS,
  });
  const service = createSyncService(config, { log: () => {} });
  await service.worker.sync(name);
  // The counters are written as an edge writes them, with the edge's token.
  const redis = upstashRedis(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_EDGE_TOKEN);
  const counters = new RolloutCounters({ sink: new UpstashRolloutSink(redis), flushIntervalMs: 0 });
  return { name, mlflow, service, counters };
}

Deno.test("RolloutController rolls back a challenger with injected errors and restores MLflow's aliases", async () => {
  const t = await setup("60");
  assert.deepEqual((await t.service.publisher.readPointer(t.name))?.traffic, {
    mode: "canary",
    challenger_percent: 5,
  });
  await t.service.rollout.evaluate(t.name);
  for (let i = 0; i < 1000; i++) t.counters.record(t.name, "champion", 0.4, i % 500 === 0);
  for (let i = 0; i < 120; i++) t.counters.record(t.name, "challenger", 0.4, i % 3 === 0);
  await t.counters.close();

  const decision = await t.service.rollout.evaluate(t.name);
  assert.equal(decision.action, "rollback", decision.reason);
  assert.equal(decision.challenger?.errors, 40);
  assert.deepEqual(await t.mlflow.getAliases(t.name), { champion: "1", rolled_back: "2" });
  const v2 = await t.mlflow.resolveVersion(t.name, "2");
  const tag = v2.tags?.find((x) => x.key === "platform.rollback_reason")?.value;
  assert.match(tag ?? "", /^error_rate: challenger 0\.3333/);
  const pointer = await t.service.publisher.readPointer(t.name);
  assert.equal(pointer?.champion.version, "1");
  assert.equal(pointer?.challenger, null);
  assert.equal(pointer?.traffic.mode, "single");
  assert.match(
    await t.service.promRegistry.metrics(),
    new RegExp(`registry_rollbacks_total\\{model="${t.name}",reason="error_rate"\\} 1`),
  );
});

Deno.test("RolloutController advances a healthy canary read from Redis", async () => {
  const t = await setup("0");
  for (let i = 0; i < 1000; i++) t.counters.record(t.name, "champion", 0.4, false);
  for (let i = 0; i < 150; i++) t.counters.record(t.name, "challenger", 0.4, false);
  await t.counters.close();
  const decision = await t.service.rollout.evaluate(t.name);
  assert.equal(decision.action, "advance", decision.reason);
  assert.deepEqual((await t.service.publisher.readPointer(t.name))?.traffic, {
    mode: "canary",
    challenger_percent: 25,
  });
  assert.deepEqual(await t.mlflow.getAliases(t.name), { champion: "1", challenger: "2" });
});
