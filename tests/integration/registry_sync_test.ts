/**
 * The sync worker against the real MLflow server and Redis behind the
 * Upstash gateway: validated versions are published where the edge reads
 * them (checked with the edge's own pointer source), corrupt and
 * wrong-signature versions are refused while the pointer keeps the old one,
 * MLflow being down changes nothing, and a signed MLflow webhook moves the
 * pointer without polling.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { UpstashPointerSource } from "../../edge/models/upstash.ts";
import { createRegistryMetrics, type RegistryLog } from "../../registry/registry_metrics.ts";
import { MlflowRegistry } from "../../registry/mlflow.ts";
import { ModelPublisher } from "../../registry/publish.ts";
import { upstashRedis, UpstashRegistryStore } from "../../registry/store/upstash.ts";
import { SyncWorker } from "../../registry/sync.ts";
import { resolveRegistryConfig } from "../../registry/config.ts";
import { createSyncService } from "../../registry/wiring.ts";
import { serviceEnv } from "../_services.ts";
import { logSklearnModel, onnxPackage } from "../contracts/model_registry_fixtures.ts";

const quiet: RegistryLog = () => {};
const unique = (prefix: string) => `${prefix}_${crypto.randomUUID().slice(0, 8)}`;

async function setup(trackingUri?: string) {
  const env = await serviceEnv("mlflow", "gateway");
  // The registry holds the gateway's admin token, as in production.
  const redis = upstashRedis(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_ADMIN_TOKEN);
  const mlflow = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  const store = new UpstashRegistryStore(redis);
  const prom = new Registry();
  const worker = (models: string[], registry = mlflow) =>
    new SyncWorker({
      registry: trackingUri ? new MlflowRegistry({ trackingUri, timeoutMs: 500 }) : registry,
      publisher: new ModelPublisher({ store }),
      models,
      metrics: createRegistryMetrics(prom),
      log: quiet,
      validation: { smokeRuns: 20 },
    });
  // What an edge reads with, through its own role's token.
  const edgeRedis = upstashRedis(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_EDGE_TOKEN);
  return { env, redis, edgeRedis, mlflow, store, prom, worker };
}

Deno.test("SyncWorker publishes an MLflow champion the edge's pointer source can load", async () => {
  const t = await setup();
  const name = unique("sync");
  const stored = await t.mlflow.register(onnxPackage(name));
  await t.mlflow.setAlias(name, "champion", stored.version);
  const outcome = await t.worker([name]).sync(name);
  assert.equal(outcome.pointer?.revision, 1);
  const edge = new UpstashPointerSource(t.edgeRedis, [name]);
  const route = await edge.getRoute(name);
  assert.equal(route.aliases.champion, "1");
  const pkg = await edge.getPackage(name, "1");
  assert.deepEqual(new Uint8Array(pkg.onnx), new Uint8Array(onnxPackage(name).onnx));
  assert.equal(pkg.manifest.sha256, stored.sha256);
});

Deno.test("SyncWorker refuses corrupt and wrong-signature versions and keeps the pointer", async () => {
  const t = await setup();
  const name = unique("refuse");
  await t.mlflow.register(onnxPackage(name));
  await t.mlflow.register(onnxPackage(name, { graphFeatures: 5, manifestInputs: 3 }));
  await t.mlflow.register(onnxPackage(name, { seed: 4 }));
  await t.mlflow.setAlias(name, "champion", "1");
  const worker = t.worker([name]);
  await worker.sync(name);
  const v3 = await t.mlflow.resolveVersion(name, "3");
  await t.mlflow.client.putArtifact(`${await t.mlflow.downloadUri(v3)}/model.onnx`, "garbage");

  await t.mlflow.setAlias(name, "champion", "2");
  const wrong = await worker.sync(name);
  assert.equal(wrong.refused[0]?.reason, "input_mismatch");
  assert.equal(wrong.pointer?.champion.version, "1");

  await t.mlflow.setAlias(name, "champion", "3");
  const corrupt = await worker.sync(name);
  assert.equal(corrupt.refused[0]?.reason, "sha256_mismatch");
  assert.equal(corrupt.pointer?.champion.version, "1");
  assert.equal(corrupt.pointer?.revision, 1);
  const metrics = await t.prom.metrics();
  assert.match(
    metrics,
    new RegExp(
      `registry_validation_failures_total\\{model="${name}",reason="sha256_mismatch"\\} 1`,
    ),
  );
  const edge = new UpstashPointerSource(t.edgeRedis, [name]);
  assert.equal((await edge.getRoute(name)).aliases.champion, "1");
});

Deno.test("SyncWorker publishes a Python-logged skl2onnx challenger whose golden rows reproduce", async () => {
  const t = await setup();
  const name = unique("sk");
  await logSklearnModel(t.env.MLFLOW_TRACKING_URI, { name, alias: "champion" });
  await logSklearnModel(t.env.MLFLOW_TRACKING_URI, { name, alias: "challenger", seed: 9 });
  const outcome = await t.worker([name]).sync(name);
  assert.deepEqual(outcome.refused, []);
  assert.equal(outcome.pointer?.champion.version, "1");
  assert.equal(outcome.pointer?.challenger?.version, "2");
  assert.deepEqual(outcome.pointer?.traffic, { mode: "canary", challenger_percent: 5 });
});

Deno.test("SyncWorker keeps the published pointer when MLflow is unreachable", async () => {
  const t = await setup();
  const name = unique("down");
  await t.mlflow.register(onnxPackage(name));
  await t.mlflow.setAlias(name, "champion", "1");
  await t.worker([name]).sync(name);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = listener.addr.port;
  listener.close();
  const down = await setup(`http://127.0.0.1:${closedPort}`);
  const worker = down.worker([name]);
  await assert.rejects(worker.sync(name), /Cannot reach MLflow/);
  assert.equal(worker.status()[0].lastError?.code, "registry_unavailable");
  const edge = new UpstashPointerSource(t.edgeRedis, [name]);
  assert.equal((await edge.getRoute(name)).revision, "1");
  assert.equal((await edge.getPackage(name, "1")).manifest.name, name);
});

Deno.test("registry:sync moves the pointer on a real MLflow webhook without polling", async () => {
  const env = await serviceEnv("mlflow", "gateway");
  const name = unique("hook");
  const secret = crypto.randomUUID();
  const config = resolveRegistryConfig({
    MLFLOW_TRACKING_URI: env.MLFLOW_TRACKING_URI,
    UPSTASH_REDIS_REST_URL: env.UPSTASH_REDIS_REST_URL,
    UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_ADMIN_TOKEN,
    REGISTRY_MODELS: name,
    REGISTRY_WEBHOOK_SECRET: secret,
    REGISTRY_POLL_INTERVAL_MS: "3600000",
  });
  const service = createSyncService(config, { log: quiet });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    service.app.fetch,
  );
  const mlflow = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  let webhookId: string | undefined;
  try {
    await mlflow.register(onnxPackage(name));
    await mlflow.register(onnxPackage(name, { seed: 2 }));
    await mlflow.setAlias(name, "champion", "1");
    await service.worker.start();
    assert.equal((await service.publisher.readPointer(name))?.champion.version, "1");
    const created = await mlflow.client.post<{ webhook: { webhook_id: string } }>("webhooks", {
      name: `registry-test-${name}`,
      url: `http://127.0.0.1:${server.addr.port}/webhooks/mlflow`,
      events: [{ entity: "MODEL_VERSION_ALIAS", action: "CREATED" }],
      secret,
      status: "ACTIVE",
    }).catch((error) => {
      throw new Error(
        `MLflow refused a webhook to 127.0.0.1: start it with MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https, MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true and MLFLOW_WEBHOOK_CACHE_TTL=1 (${error.message})`,
      );
    });
    webhookId = created.webhook.webhook_id;
    // MLflow caches its webhook list (MLFLOW_WEBHOOK_CACHE_TTL); wait past it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await mlflow.setAlias(name, "champion", "2");
    let pointer = null;
    for (let i = 0; i < 100 && pointer?.champion.version !== "2"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      pointer = await service.publisher.readPointer(name);
    }
    assert.equal(
      pointer?.champion.version,
      "2",
      "the webhook did not move the pointer within 10 s",
    );
    assert.match(
      await service.promRegistry.metrics(),
      /registry_webhooks_total\{result="accepted"\} 1/,
    );
  } finally {
    if (webhookId) await mlflow.client.delete(`webhooks/${webhookId}`, {}).catch(() => {});
    await service.worker.stop();
    await server.shutdown();
  }
});
