/**
 * The model operations (`deno task model:*`) on MLflow with the pointer in
 * Redis behind the Upstash gateway, for a model `REGISTRY_MODELS` does not
 * list: each command completes (aliases in MLflow and the pointer the
 * edges read) or changes nothing, and says which.
 *
 * @module
 */
import assert from "node:assert/strict";
import { UpstashPointerSource } from "../../edge/models/upstash.ts";
import { resolveRegistryConfig } from "../../registry/config.ts";
import { MlflowRegistry } from "../../registry/mlflow.ts";
import { upstashRedis } from "../../registry/store/upstash.ts";
import { createModelOperations, createSyncService, describeTarget } from "../../registry/wiring.ts";
import { serviceEnv } from "../_services.ts";
import { onnxPackage } from "../contracts/model_registry_fixtures.ts";

Deno.test("ModelOperations on MLflow and Redis complete for a model REGISTRY_MODELS does not list", async () => {
  const env = await serviceEnv("mlflow", "gateway");
  const config = resolveRegistryConfig({
    MLFLOW_TRACKING_URI: env.MLFLOW_TRACKING_URI,
    UPSTASH_REDIS_REST_URL: env.UPSTASH_REDIS_REST_URL,
    UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_REDIS_REST_TOKEN,
    REGISTRY_MODELS: "fraud_detector",
    REGISTRY_VALIDATION_LATENCY_MS: "10000",
  });
  const service = createSyncService(config, { log: () => {} });
  const target = describeTarget(config);
  assert.equal(target.pointerIsLive, true);
  const ops = createModelOperations(service, config, target);
  const mlflow = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  const name = `ops_${crypto.randomUUID().slice(0, 8)}`;
  for (const seed of [1, 2]) await mlflow.register(onnxPackage(name, { seed }));
  const wider = await mlflow.register(onnxPackage(name, { graphFeatures: 4 }));
  await mlflow.setAlias(name, "champion", "1");
  const edge = new UpstashPointerSource(
    upstashRedis(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_REDIS_REST_TOKEN),
    [name],
  );

  const canary = await ops.canary(name, { version: "2", percent: 10 });
  assert.match(canary.message, /REGISTRY_MODELS does not list/);
  const route = await edge.getRoute(name);
  assert.deepEqual(route.aliases, { champion: "1", challenger: "2" });
  assert.deepEqual(route.traffic, { mode: "canary", challenger_percent: 10 });

  await assert.rejects(ops.promote(name, { version: wider.version }), /adds f3.*nothing changed/);
  assert.equal((await mlflow.getAliases(name)).champion, "1");

  await ops.promote(name);
  assert.deepEqual((await edge.getRoute(name)).aliases, { champion: "2" });
  const rolled = await ops.rollback(name, { reason: "test" });
  assert.match(rolled.message, /removed version 2, serving 1/);
  assert.deepEqual((await edge.getRoute(name)).aliases, { champion: "1" });
  assert.equal((await mlflow.getAliases(name)).rolled_back, "2");
  const status = await ops.status(name);
  assert.equal(status.followed, false);
  assert.equal(status.pointer?.champion.version, "1");
});
