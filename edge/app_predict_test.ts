import assert from "node:assert/strict";
import { crc32, mergeEvents, toWindowEvent } from "../pipeline/features/mod.ts";
import { FRAUD_VIEW } from "../tests/support/views.ts";
import { redisKeys } from "../schemas/pointer.ts";
import { PredictResponseSchema } from "../schemas/prediction.ts";
import { testApp } from "../tests/support/edge_app.ts";
import { MemoryKeyValue, MemoryOnlineReader, type OnlineFeatureReader } from "./online/mod.ts";
import {
  DEMO_INPUTS,
  DEMO_WEIGHTS,
  demoPackage,
  jsonPost,
  REFERENCE_FRAUD_REQUEST,
} from "../tests/support/edge.ts";

const NOW = Date.parse("2026-03-20T12:00:00Z");
const clock = { now: () => NOW };

function expectedP1(used: Record<string, number>): number {
  const z = DEMO_INPUTS.reduce((s, inp, i) => s + Math.fround(used[inp.name]) * DEMO_WEIGHTS[i], 0);
  return 1 / (1 + Math.exp(-z));
}

function onlineStore(
  events: { timeMs: number; amount: number; category: string }[],
  id = "user_1",
) {
  const kv = new MemoryKeyValue();
  const state = mergeEvents(
    FRAUD_VIEW,
    null,
    events.map((e) =>
      toWindowEvent(FRAUD_VIEW, { amount: e.amount, merchant_category: e.category }, e.timeMs)!
    ),
  );
  kv.set(redisKeys.online(FRAUD_VIEW.name, FRAUD_VIEW.version, id), JSON.stringify(state));
  return kv;
}

Deno.test("createApp() POST /predict answers the reference request with its field names", async () => {
  await using t = await testApp({}, { clock });
  const res = await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST));
  assert.equal(res.status, 200);
  const body = PredictResponseSchema.parse(await res.json());
  assert.deepEqual(body.features_used, REFERENCE_FRAUD_REQUEST.features);
  assert.equal(body.model_name, "fraud_detector");
  assert.equal(body.model_version, "1");
  assert.equal(body.variant, "champion");
  assert.equal(body.cached, false);
  assert.equal(body.features_as_of, null);
  const p1 = expectedP1(body.features_used);
  assert.ok(Math.abs(body.probabilities![1] - p1) < 1e-5);
  assert.ok(Math.abs(body.probabilities![0] + body.probabilities![1] - 1) < 1e-6);
  assert.equal(body.prediction, p1 >= 0.5 ? 1 : 0);
  assert.equal(res.headers.get("x-request-id"), body.request_id);
});

Deno.test("createApp() POST /predict transforms raw fields as the manifest declares", async () => {
  await using t = await testApp({}, { clock });
  const res = await t.app.request(
    "/predict",
    jsonPost({
      features: {
        amount: 120.5,
        merchant_category: "electronics",
        payment_method: "credit_card",
        transaction_count_24h: 2,
        avg_amount_30d: 50,
      },
      timestamp: "2026-03-21T23:30:00Z",
    }),
  );
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.features_used, {
    hour_of_day: 23,
    day_of_week: 5,
    is_weekend: 1,
    transaction_count_24h: 2,
    avg_amount_30d: 50,
    amount: 120.5,
    merchant_category_encoded: crc32("electronics") % 100,
    payment_method_encoded: crc32("credit_card") % 10,
  });
});

Deno.test("createApp() POST /predict uses the request time for time features when none is given", async () => {
  await using t = await testApp({}, { clock });
  const res = await t.app.request(
    "/predict",
    jsonPost({ features: { amount: 1, transaction_count_24h: 0, avg_amount_30d: 0 } }),
  );
  const body = await res.json();
  assert.equal(res.status, 200);
  // 2026-03-20T12:00Z is a Friday: Monday = 0.
  assert.equal(body.features_used.hour_of_day, 12);
  assert.equal(body.features_used.day_of_week, 4);
  assert.equal(body.features_used.is_weekend, 0);
  assert.equal(body.features_used.merchant_category_encoded, crc32("unknown") % 100);
});

Deno.test("createApp() POST /predict takes a boolean for a flag input, as the reference's clients send it", async () => {
  await using t = await testApp({}, { clock });
  const features = { ...REFERENCE_FRAUD_REQUEST.features, is_weekend: false };
  const res = await t.app.request("/predict", jsonPost({ features }));
  assert.equal(res.status, 200);
  assert.equal((await res.json()).features_used.is_weekend, 0);
});

Deno.test("createApp() POST /predict refuses wrong JSON types, unknown names and values out of domain", async () => {
  await using t = await testApp({}, { clock });
  const features = {
    ...REFERENCE_FRAUD_REQUEST.features,
    amount: true,
    hour_of_day: "1",
    day_of_week: 9,
    colour: "red",
  };
  const res = await t.app.request("/predict", jsonPost({ features }));
  assert.equal(res.status, 422);
  const body = await res.json();
  const byPath = Object.fromEntries(
    body.error.details.map((d: { path: string; message: string }) => [d.path, d.message]),
  );
  assert.match(byPath["features.amount"], /Expected a number, got boolean true/);
  assert.match(byPath["features.hour_of_day"], /Expected a number, got the string "1"/);
  assert.match(byPath["features.day_of_week"], /domain \[0, 6\]: 9/);
  assert.match(byPath["features.colour"], /Unknown feature/);
  assert.ok(res.headers.get("x-request-id"));
});

Deno.test("createApp() POST /predict names every missing feature in one 422", async () => {
  await using t = await testApp({}, { clock });
  const res = await t.app.request("/predict", jsonPost({ features: { amount: 10 } }));
  assert.equal(res.status, 422);
  const body = await res.json();
  assert.equal(body.error.code, "missing_features");
  assert.deepEqual(
    body.error.details.map((d: { path: string }) => d.path).sort(),
    ["features.avg_amount_30d", "features.transaction_count_24h"],
  );
  assert.match(body.error.message, /transaction_count_24h/);
});

Deno.test("createApp() POST /predict lists manifest defaults it used", async () => {
  const inputs = DEMO_INPUTS.map((i) => i.name === "avg_amount_30d" ? { ...i, default: 80 } : i);
  const { LocalRegistry } = await import("../registry/mod.ts");
  const registry = new LocalRegistry({ root: await Deno.makeTempDir() });
  await registry.register(await demoPackage({ inputs }));
  await registry.setAlias("fraud_detector", "champion", "1");
  await using t = await testApp({}, { clock }, { registry });
  const res = await t.app.request(
    "/predict",
    jsonPost({ features: { amount: 10, transaction_count_24h: 3 } }),
  );
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.defaults_used, ["avg_amount_30d"]);
  assert.equal(body.features_used.avg_amount_30d, 80);
});

Deno.test("createApp() POST /predict merges request features over online features", async () => {
  const day = 86_400_000;
  const kv = onlineStore([
    { timeMs: NOW - 2 * 3_600_000, amount: 100, category: "grocery" },
    { timeMs: NOW - 3 * 3_600_000, amount: 300, category: "travel" },
    { timeMs: NOW - 10 * day, amount: 20, category: "gas_station" },
  ]);
  await using t = await testApp({}, { clock, online: new MemoryOnlineReader(kv) });
  const res = await t.app.request(
    "/predict",
    jsonPost({ entity_id: "user_1", features: { amount: 42, avg_amount_30d: 7 } }),
  );
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.features_used.transaction_count_24h, 2);
  assert.equal(body.features_used.avg_amount_30d, 7, "request wins over online");
  assert.equal(body.features_as_of, new Date(NOW - 2 * 3_600_000).toISOString());
  // The entity key inside the features works too.
  const res2 = await t.app.request(
    "/predict",
    jsonPost({ features: { user_id: "user_1", amount: 1 } }),
  );
  const body2 = await res2.json();
  assert.equal(body2.features_used.avg_amount_30d, Math.fround(140));
});

Deno.test("createApp() POST /predict gives an entity without events its empty-window values", async () => {
  await using t = await testApp({}, {
    clock,
    online: new MemoryOnlineReader(new MemoryKeyValue()),
  });
  const res = await t.app.request(
    "/predict",
    jsonPost({ entity_id: "new_user", features: { amount: 5 } }),
  );
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.features_used.transaction_count_24h, 0);
  assert.equal(body.features_used.avg_amount_30d, 0);
  assert.equal(body.features_as_of, null);
});

const hanging: OnlineFeatureReader = { kind: "hanging", read: () => new Promise(() => {}) };
const failing: OnlineFeatureReader = {
  kind: "failing",
  read: () => Promise.reject(new Error("connection refused")),
};

Deno.test("createApp() POST /predict answers from complete request features when the store hangs", async () => {
  await using t = await testApp({ onlineTimeoutMs: 20 }, { clock, online: hanging });
  const res = await t.app.request(
    "/predict",
    jsonPost({ entity_id: "user_1", features: { ...REFERENCE_FRAUD_REQUEST.features } }),
  );
  assert.equal(res.status, 200);
});

Deno.test("createApp() POST /predict answers 503 when the store is down and features are incomplete", async () => {
  for (const online of [hanging, failing]) {
    await using t = await testApp({ onlineTimeoutMs: 20 }, { clock, online });
    const res = await t.app.request(
      "/predict",
      jsonPost({ entity_id: "user_1", features: { amount: 3 } }),
    );
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    const body = await res.json();
    assert.equal(body.error.code, "online_store_unavailable");
    const health = await (await t.app.request("/health")).json();
    assert.equal(health.status, "degraded");
    assert.equal(health.checks.online_store.status, "degraded");
  }
});

Deno.test("createApp() POST /predict returns a cached prediction with a fresh timestamp", async () => {
  let now = NOW;
  await using t = await testApp({ predictionCacheTtlMs: 60_000 }, { clock: { now: () => now } });
  const first = await (await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST))).json();
  now += 1000;
  // 1 and 1.0 are one key; field order does not matter.
  const same = { ...REFERENCE_FRAUD_REQUEST, features: { ...REFERENCE_FRAUD_REQUEST.features } };
  const second = await (await t.app.request(
    "/predict",
    jsonPost(JSON.stringify(same).replace('"hour_of_day":1', '"hour_of_day":1.0')),
  )).json();
  assert.equal(first.cached, false);
  assert.equal(second.cached, true);
  assert.deepEqual(second.probabilities, first.probabilities);
  assert.notEqual(second.timestamp, first.timestamp);
  now += 61_000;
  const third = await (await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST))).json();
  assert.equal(third.cached, false, "expired after the TTL");
});

Deno.test("createApp() POST /predict omits probabilities when not asked", async () => {
  await using t = await testApp({}, { clock });
  const res = await t.app.request(
    "/predict",
    jsonPost({ ...REFERENCE_FRAUD_REQUEST, return_probabilities: false }),
  );
  assert.equal((await res.json()).probabilities, null);
});

Deno.test("createApp() POST /predict rejects an invalid timestamp and non-numeric features with paths", async () => {
  await using t = await testApp({}, { clock });
  const res = await t.app.request(
    "/predict",
    jsonPost({ features: { ...REFERENCE_FRAUD_REQUEST.features }, timestamp: "yesterday" }),
  );
  assert.equal(res.status, 422);
  assert.equal((await res.json()).error.details[0].path, "timestamp");
  const res2 = await t.app.request(
    "/predict",
    jsonPost({
      features: {
        ...REFERENCE_FRAUD_REQUEST.features,
        amount: "lots",
        transaction_count_24h: 1e300,
      },
    }),
  );
  assert.equal(res2.status, 422);
  const paths = (await res2.json()).error.details.map((d: { path: string }) => d.path).sort();
  assert.deepEqual(paths, ["features.amount", "features.transaction_count_24h"]);
});
