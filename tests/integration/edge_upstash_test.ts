/**
 * The edge against a real Redis through the project's Upstash REST gateway:
 * online features, the model pointer and rollout counters, over real HTTP.
 */
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { Registry } from "prom-client";
import { mergeEvents, toWindowEvent } from "../../pipeline/features/mod.ts";
import { FRAUD_VIEW as DEMO_VIEW } from "../support/views.ts";
import { redisKeys } from "../../schemas/pointer.ts";
import {
  createApp,
  createLogger,
  defaultEdgeConfig,
  UpstashOnlineReader,
  UpstashPointerSource,
  UpstashRolloutSink,
} from "../../edge/mod.ts";
import { edgeRedis } from "../../edge/wiring.ts";
import { demoPackage, jsonPost, sha256Hex } from "../support/edge.ts";
import { serviceEnv } from "../_services.ts";

const NOW = Date.now();
const run = crypto.randomUUID().slice(0, 8);

async function clients() {
  const env = await serviceEnv("redis", "gateway");
  // The edge holds the edge role's token, as in production.
  const upstash = { url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_EDGE_TOKEN };
  // A plain client (default settings, data role) writes what the pipeline and registry would.
  const writer = new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    enableTelemetry: false,
  });
  return { upstash, writer, edge: edgeRedis(upstash) };
}

function b64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

async function publish(writer: Redis, model: string, revision: number, bias: number) {
  const pkg = await demoPackage({ name: model, bias });
  const manifestBytes = new TextEncoder().encode(JSON.stringify(pkg.manifest));
  const manifestSha = await sha256Hex(manifestBytes);
  await writer.set(redisKeys.blob(pkg.manifest.sha256), b64(pkg.onnx), { ex: 600 });
  await writer.set(redisKeys.blob(manifestSha), b64(manifestBytes), { ex: 600 });
  const pointer = {
    model_name: model,
    revision,
    updated_at: new Date().toISOString(),
    champion: {
      version: String(revision),
      sha256: pkg.manifest.sha256,
      location: `redis:${redisKeys.blob(pkg.manifest.sha256)}`,
      manifest_sha256: manifestSha,
    },
    challenger: null,
    traffic: { mode: "single", challenger_percent: 0 },
  };
  await writer.set(redisKeys.pointer(model), JSON.stringify(pointer), { ex: 600 });
}

Deno.test("UpstashOnlineReader reads online states through the gateway in one MGET", async () => {
  const { writer, edge } = await clients();
  const ids = [`${run}_a`, `${run}_b`];
  const state = mergeEvents(DEMO_VIEW, null, [
    toWindowEvent(DEMO_VIEW, { amount: 10, merchant_category: "grocery" }, NOW - 60_000)!,
    toWindowEvent(DEMO_VIEW, { amount: 30, merchant_category: "travel" }, NOW - 120_000)!,
  ]);
  await writer.set(
    redisKeys.online(DEMO_VIEW.name, DEMO_VIEW.version, ids[0]),
    JSON.stringify(state),
    { ex: 600 },
  );
  const reader = new UpstashOnlineReader(edge);
  const [a, b] = await reader.read(
    ids.map((entityId) => ({ view: DEMO_VIEW, entityId, asOfMs: NOW })),
  );
  assert.equal(a.values.transaction_count_24h, 2);
  assert.equal(a.values.avg_amount_30d, 20);
  assert.equal(a.asOfMs, NOW - 60_000);
  assert.equal(b.values.transaction_count_24h, 0);
  assert.equal(b.asOfMs, null);
});

Deno.test("createApp() serves over real HTTP from a Redis pointer and online features, and swaps on a new revision", async () => {
  const { writer, edge } = await clients();
  const model = `edge_it_${run}`;
  await publish(writer, model, 1, 0);
  const id = `${run}_user`;
  const state = mergeEvents(DEMO_VIEW, null, [
    toWindowEvent(DEMO_VIEW, { amount: 99, merchant_category: "jewelry" }, NOW - 5_000)!,
  ]);
  await writer.set(redisKeys.online(DEMO_VIEW.name, DEMO_VIEW.version, id), JSON.stringify(state), {
    ex: 600,
  });
  const config = defaultEdgeConfig({
    defaultModel: model,
    pointerPollMs: 100,
    featureCacheTtlMs: 0,
    logLevel: "silent",
  });
  const app = createApp({
    config,
    models: new UpstashPointerSource(edge, [model]),
    online: new UpstashOnlineReader(edge),
    rollout: new UpstashRolloutSink(edge),
    registry: new Registry(),
    logger: createLogger("silent"),
  });
  await app.warmup();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const res = await fetch(
      `${base}/predict`,
      jsonPost({ entity_id: id, features: { amount: 250, merchant_category: "jewelry" } }),
    );
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.model_version, "1");
    assert.equal(body.features_used.transaction_count_24h, 1);
    assert.equal(body.features_used.avg_amount_30d, 99);
    assert.equal(body.features_as_of, new Date(NOW - 5_000).toISOString());

    await publish(writer, model, 2, -4);
    let version = "1";
    for (let i = 0; i < 50 && version !== "2"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await fetch(
        `${base}/predict`,
        jsonPost({ entity_id: id, features: { amount: 250 } }),
      );
      version = (await r.json()).model_version;
    }
    assert.equal(version, "2");

    await app.rollout!.flush();
    const bucket = Math.floor(Date.now() / 10_000);
    let requests = 0;
    for (const b of [bucket - 1, bucket]) {
      const key = redisKeys.rolloutCounters(model, "champion", b);
      const h = await writer.hgetall<Record<string, number>>(key);
      requests += Number(h?.requests ?? 0);
      if (h) assert.ok((await writer.ttl(key)) <= 3600);
    }
    assert.ok(requests >= 2, `rollout requests ${requests}`);
  } finally {
    await server.shutdown();
    await app.close();
  }
});

Deno.test("createApp() falls back or answers 503 within the deadline when the gateway is unreachable", async () => {
  const dead = edgeRedis({ url: "http://127.0.0.1:9", token: "x" });
  const { edge } = await clients();
  const model = `edge_it_dead_${run}`;
  await publish((await clients()).writer, model, 1, 0);
  const app = createApp({
    config: defaultEdgeConfig({ defaultModel: model, onlineTimeoutMs: 50, logLevel: "silent" }),
    models: new UpstashPointerSource(edge, [model]),
    online: new UpstashOnlineReader(dead),
    registry: new Registry(),
    logger: createLogger("silent"),
  });
  await app.warmup();
  try {
    const partial = await app.request(
      "/predict",
      jsonPost({ entity_id: "u", features: { amount: 1 } }),
    );
    assert.equal(partial.status, 503);
    assert.equal((await partial.json()).error.code, "online_store_unavailable");
    const complete = await app.request(
      "/predict",
      jsonPost({
        entity_id: "u",
        features: { amount: 1, transaction_count_24h: 0, avg_amount_30d: 0 },
      }),
    );
    assert.equal(complete.status, 200);
    const health = await (await app.request("/health")).json();
    assert.equal(health.checks.online_store.status, "degraded");
  } finally {
    await app.close();
  }
});
