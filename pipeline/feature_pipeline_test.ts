import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { FeaturePipeline } from "./feature_pipeline.ts";
import { MemoryOnlineCache } from "./online/memory.ts";
import { PgliteFeatureStore } from "./store/pglite.ts";
import type { OnlineCache } from "./online/port.ts";
import { RetryableError } from "./errors.ts";
import { redisKeys } from "../schemas/pointer.ts";
import { loadExample } from "./definitions/load.ts";

const NOW = Date.UTC(2026, 2, 20, 12, 0, 0);

function event(id: string, user: string, minutesAgo: number, amount = 10, extra = {}) {
  return JSON.stringify({
    event_id: id,
    user_id: user,
    amount,
    timestamp: new Date(NOW - minutesAgo * 60_000).toISOString(),
    merchant_category: "grocery",
    ...extra,
  });
}

async function setup(cache: OnlineCache = new MemoryOnlineCache({ now: () => NOW })) {
  const store = new PgliteFeatureStore();
  await store.migrate();
  const registry = new Registry();
  const pipeline = new FeaturePipeline({ store, cache, registry, now: () => NOW });
  return { store, cache, registry, pipeline };
}

Deno.test("FeaturePipeline keeps raw value extremes off /metrics unless metricsExtremes is set", async () => {
  for (const extremes of [false, true]) {
    const store = new PgliteFeatureStore();
    try {
      await store.migrate();
      const registry = new Registry();
      const pipeline = new FeaturePipeline({
        store,
        cache: new MemoryOnlineCache({ now: () => NOW }),
        registry,
        now: () => NOW,
        metricsExtremes: extremes,
      });
      await pipeline.processBatch([
        { payload: event("a", "u1", 30, 12) },
        { payload: event("b", "u2", 20, 9876.5) },
      ]);
      const metrics = await registry.metrics();
      assert.match(metrics, /features_value_mean\{feature="amount"\} /);
      if (extremes) assert.match(metrics, /features_value_max\{feature="amount"\} 9876.5/);
      else assert.doesNotMatch(metrics, /features_value_(min|max)/);
    } finally {
      await store.close();
    }
  }
});

Deno.test("FeaturePipeline.processBatch() accepts, dedupes and dead-letters with reasons", async () => {
  const { store, pipeline, registry } = await setup();
  try {
    const r = await pipeline.processBatch([
      { payload: event("a", "u1", 30) },
      { payload: event("a", "u1", 20) }, // duplicate in the batch: first wins
      { payload: new Uint8Array([0xff, 0xfe]) },
      { payload: "{not json" },
      { payload: event("b", "u1", 10, -5) },
      { payload: event("c", "u1", -10) }, // 10 minutes in the future
      { payload: event("d", "u2", 5, 42, { risk_score: 0.3 }), meta: { origin: "test" } },
    ]);
    assert.equal(r.accepted, 2);
    assert.equal(r.duplicate, 1);
    assert.equal(r.dead_lettered, 4);
    assert.deepEqual(r.rejections.map((x) => x.index), [2, 3, 4, 5]);
    assert.match(r.rejections[0].reason, /UTF-8/);
    assert.match(r.rejections[2].reason, /amount/);
    const dead = await store.listDeadLetters(10);
    assert.equal(dead.length, 4);
    assert.deepEqual(
      [...atob(dead.find((d) => /UTF-8/.test(d.reason))!.payloadBase64)].map((c) =>
        c.charCodeAt(0)
      ),
      [0xff, 0xfe],
    );
    const online = await pipeline.getOnlineFeatures("user", "u1", NOW);
    assert.equal(online.features.transaction_count_1h, 1);
    assert.equal(online.features.seconds_since_last_txn, 1800);
    const metrics = await registry.metrics();
    assert.match(metrics, /features_events_total\{outcome="accepted"\} 2/);
    assert.match(metrics, /features_dead_letters_total\{reason="invalid_amount"\} 1/);
    assert.match(metrics, /features_value_null_rate\{feature="risk_score"\} 0.5/);
  } finally {
    await store.close();
  }
});

Deno.test("FeaturePipeline.processBatch() replayed changes nothing, online equals offline", async () => {
  const { store, pipeline } = await setup();
  try {
    const batch = [
      { payload: event("a", "u1", 60 * 30) },
      { payload: event("b", "u1", 61, 20) },
      { payload: event("c", "u1", 3, 30, { merchant_category: "travel" }) },
    ];
    await pipeline.processBatch(batch);
    const before = await pipeline.getOnlineFeatures("user", "u1", NOW);
    const tiles = await store.readTiles(pipeline.views[0], "u1");
    const again = await pipeline.processBatch(batch);
    assert.deepEqual(again, { accepted: 0, duplicate: 3, dead_lettered: 0, rejections: [] });
    assert.deepEqual(await pipeline.getOnlineFeatures("user", "u1", NOW), before);
    assert.deepEqual(await store.readTiles(pipeline.views[0], "u1"), tiles);
    const offline = await pipeline.getOfflineFeatures("user", "u1", NOW);
    assert.deepEqual(offline, before);
    assert.equal(before.features.transaction_count_24h, 2);
    assert.equal(before.features.distinct_merchant_categories_24h, 2);
  } finally {
    await store.close();
  }
});

Deno.test("FeaturePipeline.processBatch() throws RetryableError when the cache is down and repairs on retry", async () => {
  const real = new MemoryOnlineCache({ now: () => NOW });
  // Reads work, writes fail: the store has committed the batch when the push fails.
  let down = true;
  const flaky: OnlineCache = {
    getMany: (k) => real.getMany(k),
    setMany: (e, t) => real.setMany(e, t),
    compareAndSetMany: (e, t) =>
      down
        ? Promise.reject(new RetryableError("Cannot write: down"))
        : real.compareAndSetMany(e, t),
    deleteMany: (k) => real.deleteMany(k),
    close: () => real.close(),
  };
  const { store, pipeline } = await setup(flaky);
  try {
    const batch = [{ payload: event("a", "u1", 5) }];
    await assert.rejects(() => pipeline.processBatch(batch), RetryableError);
    down = false;
    const r = await pipeline.processBatch(batch);
    assert.equal(r.duplicate, 1); // committed by the failed attempt, rebuilt from the store now
    assert.equal(
      (await pipeline.getOnlineFeatures("user", "u1", NOW)).features.transaction_count_1h,
      1,
    );
  } finally {
    await store.close();
  }
});

Deno.test("FeaturePipeline.processBatch() dead-letters text Postgres cannot store, keeps the rest", async () => {
  const { store, pipeline } = await setup();
  try {
    const r = await pipeline.processBatch([
      { payload: event("a", "u1", 5, 10, { merchant_category: "\ud800" }) },
      { payload: event("b", "u1", 5, 10, { note: "nul\u0000" }) },
      { payload: event("c", "u1", 5, 10, { merchant_category: "café 🍰" }) },
    ]);
    assert.equal(r.accepted, 1);
    assert.equal(r.dead_lettered, 2);
    assert.equal(
      (await store.loadPayloads("transactions", ["c"])).get("c")?.merchant_category,
      "café 🍰",
    );
  } finally {
    await store.close();
  }
});

Deno.test("FeaturePipeline.processBatch() rebuilds an entity lost online from its stored history", async () => {
  const { store, cache, pipeline } = await setup();
  try {
    await pipeline.processBatch([{ payload: event("a", "u1", 30) }]);
    const view = pipeline.views[0];
    await cache.deleteMany([redisKeys.online(view.name, view.version, "u1")]);
    assert.equal(
      (await pipeline.getOnlineFeatures("user", "u1", NOW)).features.transaction_count_1h,
      0,
    );
    await pipeline.processBatch([{ payload: event("b", "u1", 20) }, {
      payload: event("c", "u2", 5),
    }]);
    const online = await pipeline.getOnlineFeatures("user", "u1", NOW);
    assert.equal(online.features.transaction_count_1h, 2);
    assert.deepEqual(online, await pipeline.getOfflineFeatures("user", "u1", NOW));
    assert.equal(
      (await pipeline.getOnlineFeatures("user", "u2", NOW)).features.transaction_count_1h,
      1,
    );
  } finally {
    await store.close();
  }
});

const sensors = loadExample("sensors");

function reading(id: string, device: string, site: string, minutesAgo: number, fields = {}) {
  return JSON.stringify({
    event_id: id,
    device_id: device,
    site_id: site,
    timestamp: new Date(NOW - minutesAgo * 60_000).toISOString(),
    ...fields,
  });
}

Deno.test("FeaturePipeline.processBatch() updates every entity a reading belongs to, skipping null fields", async () => {
  const store = new PgliteFeatureStore();
  await store.migrate();
  const cache = new MemoryOnlineCache({ now: () => NOW });
  const pipeline = new FeaturePipeline({ store, cache, repository: sensors, now: () => NOW });
  try {
    const r = await pipeline.processBatch([
      { payload: reading("r1", "d1", "s1", 30, { temperature: 20, vibration: 1 }) },
      { payload: reading("r2", "d2", "s1", 20, { temperature: null, pressure: 101 }) },
      { payload: reading("r3", "d1", "s1", 10, { temperature: 30 }) },
      { payload: reading("r4", "d1", "s1", 5, { temperature: "hot" }) },
      { payload: reading("r5", "d1", "s1", 5, {}) },
      { payload: reading("r6", "d1", "s1", 5, { temperature: 1, colour: "red" }) },
    ]);
    assert.equal(r.accepted, 3);
    assert.deepEqual(r.rejections.map((x) => x.index), [3, 4, 5]);
    assert.match(r.rejections[0].reason, /temperature/);
    assert.match(r.rejections[1].reason, /At least one of temperature, vibration, pressure/);
    const dead = await store.listDeadLetters(10);
    assert.ok(dead.every((d) => d.source === "sensor_readings"));
    const device = await pipeline.getOnlineFeatures("device", "d1", NOW);
    assert.equal(device.features.readings_count_1h, 2);
    assert.equal(device.features.temperature_mean_1h, 25);
    assert.equal(device.features.temperature_std_1h, 5);
    const site = await pipeline.getOnlineFeatures("site", "s1", NOW);
    assert.equal(site.features.site_readings_count_1h, 3);
    assert.equal(site.features.site_active_devices_1h, 2);
    assert.equal(site.features.site_temperature_mean_1h, 25); // the null is skipped, not 0
    assert.deepEqual(site, await pipeline.getOfflineFeatures("site", "s1", NOW));
    assert.deepEqual(device, await pipeline.getOfflineFeatures("device", "d1", NOW));
  } finally {
    await store.close();
  }
});

Deno.test("FeaturePipeline.processBatch() dead-letters a message of an unknown source and keeps the rest", async () => {
  const { store, pipeline } = await setup();
  try {
    const r = await pipeline.processBatch([
      { payload: event("a", "u1", 5), source: "transactions" },
      { payload: event("b", "u1", 5), source: "clicks" },
    ]);
    assert.equal(r.accepted, 1);
    assert.match(r.rejections[0].reason, /Unknown source 'clicks'/);
    assert.equal((await store.listDeadLetters(1))[0].source, "clicks");
  } finally {
    await store.close();
  }
});
