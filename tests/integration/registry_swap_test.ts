/**
 * Register → validated → the edge serving it, while ~500 requests/s run
 * against the edge app (built in-process from the edge's own `createApp`
 * with the Redis pointer source), with zero failed requests. A corrupt
 * version aliased champion during the load is refused and the edge keeps
 * serving the previous one. Real MLflow and Redis behind the gateway.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { createApp, createLogger, defaultEdgeConfig } from "../../edge/mod.ts";
import { UpstashPointerSource } from "../../edge/models/mod.ts";
import { edgeRedis } from "../../edge/wiring.ts";
import { resolveRegistryConfig } from "../../registry/config.ts";
import { MlflowRegistry } from "../../registry/mlflow.ts";
import { createSyncService } from "../../registry/wiring.ts";
import { serviceEnv } from "../_services.ts";
import { onnxPackage } from "../contracts/model_registry_fixtures.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("the edge swaps to a newly aliased version under load with zero failed requests", async () => {
  const env = await serviceEnv("mlflow", "gateway");
  const name = `swap_${crypto.randomUUID().slice(0, 8)}`;
  const mlflow = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  await mlflow.register(onnxPackage(name, { seed: 1 }));
  await mlflow.register(onnxPackage(name, { seed: 2 }));
  await mlflow.register(onnxPackage(name, { seed: 3 }));
  await mlflow.setAlias(name, "champion", "1");
  const v3 = await mlflow.resolveVersion(name, "3");
  await mlflow.client.putArtifact(`${await mlflow.downloadUri(v3)}/model.onnx`, "corrupted");

  const sync = createSyncService(
    resolveRegistryConfig({
      MLFLOW_TRACKING_URI: env.MLFLOW_TRACKING_URI,
      UPSTASH_REDIS_REST_URL: env.UPSTASH_REDIS_REST_URL,
      UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_ADMIN_TOKEN,
      REGISTRY_MODELS: name,
      REGISTRY_POLL_INTERVAL_MS: "250",
    }),
    { log: () => {} },
  );
  await sync.worker.start();
  const edge = createApp({
    config: defaultEdgeConfig({ defaultModel: name, pointerPollMs: 200, logLevel: "error" }),
    models: new UpstashPointerSource(
      edgeRedis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_EDGE_TOKEN }),
      [name],
    ),
    registry: new Registry(),
    logger: createLogger("error"),
  });
  await edge.warmup();

  const statuses = new Map<number, number>();
  const versions: string[] = [];
  let running = true;
  const inflight = new Set<Promise<void>>();
  const one = async (i: number) => {
    const res = await edge.request("/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: { f0: (i % 7) / 7, f1: 0.5, f2: -0.25 } }),
    });
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.ok) versions.push((await res.json()).model_version);
    else await res.body?.cancel();
  };
  // ~500 requests/s, paced by elapsed time (timers are coarse on a busy machine).
  const load = (async () => {
    const t0 = performance.now();
    let sent = 0;
    while (running) {
      const due = Math.floor(((performance.now() - t0) / 1000) * 500);
      for (; sent < due; sent++) {
        const p: Promise<void> = one(sent).catch(() => {
          statuses.set(-1, (statuses.get(-1) ?? 0) + 1);
        }).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await sleep(10);
    }
  })();
  const servingAfter = async (version: string, ms: number) => {
    const start = versions.length;
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (versions.slice(start).includes(version)) return true;
      await sleep(50);
    }
    return false;
  };
  try {
    await sleep(1000);
    await mlflow.setAlias(name, "champion", "2");
    assert.ok(await servingAfter("2", 20_000), "version 2 never served");
    await sleep(500);
    await mlflow.setAlias(name, "champion", "3");
    await sleep(2000);
  } finally {
    running = false;
    await load;
    await Promise.all(inflight);
    await sync.worker.stop();
    await edge.close();
  }
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  assert.ok(total > 1000, `only ${total} requests were sent`);
  assert.deepEqual([...statuses.keys()], [200], `statuses: ${JSON.stringify([...statuses])}`);
  const tail = versions.slice(-200);
  assert.ok(tail.every((v) => v === "2"), "the edge must keep version 2 after 3 was refused");
  assert.ok(sync.worker.status()[0].refused.some((r) => r.version === "3"));
});
