import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { undocumentedRoutes } from "../schemas/api.ts";
import { mountDocs } from "../schemas/api_docs.ts";
import { createFeatureApp, featureOpenApiDocument } from "./http.ts";
import { FeaturePipeline } from "./feature_pipeline.ts";
import { MemoryOnlineCache } from "./online/memory.ts";
import { PgliteFeatureStore } from "./store/pglite.ts";
import { ErrorResponseSchema } from "../schemas/prediction.ts";

const NOW = Date.UTC(2026, 2, 20, 12, 0, 0);

Deno.test("createFeatureApp() serves offline and online features and 422 on a bad as_of", async () => {
  const store = new PgliteFeatureStore();
  await store.migrate();
  try {
    const pipeline = new FeaturePipeline({ store, cache: new MemoryOnlineCache(), now: () => NOW });
    await pipeline.processBatch([{
      payload: JSON.stringify({
        event_id: "e1",
        user_id: "u1",
        amount: 12.5,
        timestamp: new Date(NOW - 3_600_000).toISOString(),
      }),
    }]);
    const app = createFeatureApp({ pipeline, now: () => NOW });
    const off = await app.request("/features/user/u1?as_of=2026-03-20T11:30:00Z");
    assert.ok(off.headers.get("x-request-id"), "every answer carries X-Request-ID");
    assert.equal(off.status, 200);
    const body = await off.json();
    assert.equal(body.entity_type, "user");
    assert.equal(body.as_of, "2026-03-20T11:30:00.000Z");
    assert.equal(body.features.amount_sum_24h, 12.5);
    assert.equal(body.features.seconds_since_last_txn, 1800);
    const before = await (await app.request("/features/user/u1?as_of=2026-03-20T11:00:00Z")).json();
    assert.equal(before.features.transaction_count_24h, 0);
    const on = await (await app.request("/features/user/u1/online")).json();
    assert.equal(on.as_of, new Date(NOW).toISOString());
    assert.equal(on.features.seconds_since_last_txn, 3600);
    const bad = await app.request("/features/user/u1?as_of=yesterday");
    assert.equal(bad.status, 422);
    const err = ErrorResponseSchema.parse(await bad.json());
    assert.equal(err.error.details?.[0].path, "as_of");
    assert.equal((await app.request("/features/merchant/m1")).status, 404);
  } finally {
    await store.close();
  }
});

Deno.test("createFeatureApp() /ready answers once store and online cache answer", async () => {
  const store = new PgliteFeatureStore();
  await store.migrate();
  const pipeline = new FeaturePipeline({ store, cache: new MemoryOnlineCache() });
  const app = createFeatureApp({ pipeline });
  try {
    const ready = await app.request("/ready");
    assert.equal(ready.status, 200);
    assert.equal((await ready.json()).status, "ready");
    assert.equal((await app.request("/health")).status, 200);
    await store.close();
    const down = await app.request("/ready");
    assert.equal(down.status, 503);
    assert.equal((await down.json()).error.code, "not_ready");
  } finally {
    await store.close();
  }
});

Deno.test("createFeatureApp() with API keys refuses per-entity features without one", async () => {
  const store = new PgliteFeatureStore();
  await store.migrate();
  try {
    const pipeline = new FeaturePipeline({ store, cache: new MemoryOnlineCache(), now: () => NOW });
    const app = createFeatureApp({ pipeline, now: () => NOW, apiKeys: ["feat-key"] });
    for (const path of ["/features/user/u1", "/features/user/u1/online"]) {
      const none = await app.request(path);
      assert.equal(none.status, 401, path);
      assert.equal(ErrorResponseSchema.parse(await none.json()).error.code, "unauthorized");
      const wrong = await app.request(path, { headers: { authorization: "Bearer nope" } });
      assert.equal(wrong.status, 401, path);
      const right = await app.request(path, { headers: { authorization: "Bearer feat-key" } });
      assert.equal(right.status, 200, path);
    }
    // Liveness stays open for probes.
    assert.equal((await app.request("/health")).status, 200);
  } finally {
    await store.close();
  }
});

Deno.test("createFeatureApp() with docs documents every route it serves", async () => {
  const store = new PgliteFeatureStore();
  await store.migrate();
  try {
    const pipeline = new FeaturePipeline({ store, cache: new MemoryOnlineCache(), now: () => NOW });
    const app = createFeatureApp({
      pipeline,
      registry: new Registry(),
      apiKeys: ["feat-key"],
      docs: (a) => mountDocs(a, () => featureOpenApiDocument(true), "Features API"),
    });
    const doc = await (await app.request("/openapi.json")).json();
    assert.deepEqual(undocumentedRoutes(app.routes, doc), []);
    const query = doc.paths["/features/{entity}/{id}"].get.parameters;
    assert.ok(query.some((p: { name: string }) => p.name === "as_of"));
    assert.deepEqual(doc.paths["/features/{entity}/{id}"].get.security, [{ api_key: [] }]);
    assert.equal(doc.paths["/health"].get.security, undefined);
  } finally {
    await store.close();
  }
});
