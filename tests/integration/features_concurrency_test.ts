/**
 * Several workers processing batches of the same entities at the same time
 * (as Pub/Sub without ordering keys delivers them) must leave the online
 * state equal to the offline truth: no lost update.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { FeaturePipeline, type PipelineMessage } from "../../pipeline/feature_pipeline.ts";
import { isolatedRepository } from "../support/views.ts";
import { RedisOnlineCache } from "../../pipeline/online/redis.ts";
import { PostgresFeatureStore } from "../../pipeline/store/postgres.ts";
import { PgliteFeatureStore } from "../../pipeline/store/pglite.ts";
import { MemoryOnlineCache } from "../../pipeline/online/memory.ts";
import { serviceEnv } from "../_services.ts";
import { createTempDatabase } from "../contracts/feature_store_fixtures.ts";
import { assertFeaturesClose } from "../support/window_reference.ts";

Deno.test("FeaturePipeline workers racing on the same entities lose no online update", async () => {
  const env = await serviceEnv("postgres", "redis");
  const db = await createTempDatabase(env.DATABASE_URL);
  const store = new PostgresFeatureStore(db.url, { maxConnections: 8 });
  const repository = isolatedRepository("fraud");
  const view = repository.views[0];
  const caches = [0, 1, 2, 3].map(() => new RedisOnlineCache(env.REDIS_URL));
  try {
    await store.migrate();
    const now = Date.now();
    const workers = caches.map((cache) =>
      new FeaturePipeline({ store, cache, repository, now: () => now })
    );
    let seq = 0;
    const batch = (): PipelineMessage[] =>
      Array.from({ length: 50 }, () => {
        const i = seq++;
        return {
          payload: JSON.stringify({
            event_id: `race-${i}`,
            user_id: `u${i % 5}`,
            amount: 1 + (i % 7),
            timestamp: new Date(now - 60_000 - (i % 97) * 1000).toISOString(),
          }),
        };
      });
    for (let round = 0; round < 10; round++) {
      await Promise.all(workers.map((w) => w.processBatch(batch())));
    }
    for (let u = 0; u < 5; u++) {
      const online = await workers[0].getOnlineFeatures("user", `u${u}`, now);
      const offline = await workers[0].getOfflineFeatures("user", `u${u}`, now);
      assert.deepEqual(online.features, offline.features, `u${u}`);
      assert.equal(online.features.transaction_count_1h, 400);
    }
  } finally {
    const admin = new Redis(env.REDIS_URL);
    const keys = await admin.keys(`fv:${view.name}:*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
    for (const c of caches) await c.close();
    await store.close();
    await db.drop();
  }
});

Deno.test("FeaturePipeline workers racing on PGlite and the memory cache lose no online update", async () => {
  const store = new PgliteFeatureStore();
  const cache = new MemoryOnlineCache();
  try {
    await store.migrate();
    const now = Date.now();
    const workers = [0, 1, 2].map(() => new FeaturePipeline({ store, cache, now: () => now }));
    let seq = 0;
    for (let round = 0; round < 6; round++) {
      await Promise.all(workers.map((w) =>
        w.processBatch(Array.from({ length: 30 }, () => {
          const i = seq++;
          return {
            payload: JSON.stringify({
              event_id: `m-${i}`,
              user_id: `u${i % 3}`,
              amount: 2,
              timestamp: new Date(now - 120_000).toISOString(),
            }),
          };
        }))
      ));
    }
    for (let u = 0; u < 3; u++) {
      const online = await workers[1].getOnlineFeatures("user", `u${u}`, now);
      assert.equal(online.features.transaction_count_1h, 180);
      assert.deepEqual(online, await workers[2].getOfflineFeatures("user", `u${u}`, now));
    }
  } finally {
    await store.close();
  }
});

Deno.test("FeaturePipeline workers racing on shared sites with readings days apart lose no online update", async () => {
  // Every batch touches both sites, so the workers' compare-and-sets conflict
  // and the losers rebuild the sites from the store, each from its own bound
  // (its newest reading less what a state keeps), not from the batch's oldest.
  const store = new PgliteFeatureStore();
  const cache = new MemoryOnlineCache();
  const repository = isolatedRepository("sensors");
  try {
    await store.migrate();
    for (const s of repository.sources) await store.registerSource(s);
    for (const v of repository.views) await store.registerView(v);
    const now = Date.now();
    const workers = [0, 1, 2].map(() =>
      new FeaturePipeline({ store, cache, repository, now: () => now })
    );
    let seq = 0;
    const batch = (): PipelineMessage[] =>
      Array.from({ length: 40 }, () => {
        const i = seq++;
        // Within the last 3 days, the newest ones within the hour the site features cover.
        const ago = i % 4 === 0 ? (i * 7919) % 3_000_000 : (i * 104_729) % (3 * 86_400_000);
        return {
          payload: JSON.stringify({
            event_id: `r-${i}`,
            device_id: `d${i % 6}`,
            site_id: `s${i % 2}`,
            timestamp: new Date(now - 1000 - ago).toISOString(),
            temperature: 20 + (i % 13),
            vibration: 1 + (i % 5),
          }),
        };
      });
    for (let round = 0; round < 6; round++) {
      await Promise.all(workers.map((w) => w.processBatch(batch())));
    }
    for (const [entity, ids] of [["site", ["s0", "s1"]], ["device", ["d0", "d3", "d5"]]] as const) {
      for (const id of ids) {
        const online = await workers[0].getOnlineFeatures(entity, id, now);
        const offline = await workers[1].getOfflineFeatures(entity, id, now);
        assert.deepEqual(Object.keys(online.features), Object.keys(offline.features));
        assertFeaturesClose(online.features, offline.features, `${entity} ${id}`);
      }
    }
    const site = await workers[2].getOnlineFeatures("site", "s0", now);
    assert.ok(site.features.site_readings_count_1h > 0, "readings within the hour were counted");
  } finally {
    await store.close();
  }
});
