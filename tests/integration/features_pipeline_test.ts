/**
 * The feature pipeline end to end on real Postgres + Redis: the demo events
 * loaded (rebased) through `processBatch`, served by the HTTP app online and
 * offline, exported to Parquet and CSV (read back with `hyparquet`), and
 * retryable failures while a store is down.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parquetReadObjects } from "hyparquet";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { FeaturePipeline } from "../../pipeline/feature_pipeline.ts";
import type { FeatureRepository } from "../../pipeline/definitions/repository.ts";
import { isolatedRepository } from "../support/views.ts";
import { createFeatureApp } from "../../pipeline/http.ts";
import { exportTrainingSet, readLabelsFile } from "../../pipeline/export.ts";
import { loadJsonl } from "../../pipeline/load_file.ts";
import { RedisOnlineCache } from "../../pipeline/online/redis.ts";
import { PostgresFeatureStore } from "../../pipeline/store/postgres.ts";
import { RetryableError } from "../../pipeline/errors.ts";
import { serviceEnv } from "../_services.ts";
import { createTempDatabase } from "../contracts/feature_store_fixtures.ts";

const DEMO = new URL("../../pipeline/demo_data/demo_events.jsonl", import.meta.url);

async function withServices(
  fn: (ctx: {
    store: PostgresFeatureStore;
    cache: RedisOnlineCache;
    repository: FeatureRepository;
    env: Record<string, string>;
  }) => Promise<void>,
) {
  const env = await serviceEnv("postgres", "redis");
  const db = await createTempDatabase(env.DATABASE_URL);
  const store = new PostgresFeatureStore(db.url);
  const cache = new RedisOnlineCache(env.REDIS_URL);
  // A view name of its own keeps this test's Redis keys apart from others'.
  const repository = isolatedRepository("fraud");
  const view = repository.views[0];
  try {
    await store.migrate();
    await fn({ store, cache, repository, env });
  } finally {
    const admin = new Redis(env.REDIS_URL);
    const keys = await admin.keys(`fv:${view.name}:*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
    await cache.close();
    await store.close();
    await db.drop();
  }
}

Deno.test("FeaturePipeline loads the demo events into Postgres and Redis and serves equal values", async () => {
  await withServices(async ({ store, cache, repository }) => {
    const now = Date.now();
    const registry = new Registry();
    const pipeline = new FeaturePipeline({ store, cache, repository, registry, now: () => now });
    const text = await Deno.readTextFile(DEMO);
    const totals = await loadJsonl(pipeline, text, { rebase: true, nowMs: now, batchSize: 200 });
    assert.deepEqual({ ...totals, shiftMs: 0 }, {
      accepted: 1050,
      duplicate: 0,
      dead_lettered: 0,
      shiftMs: 0,
    });
    const again = await loadJsonl(pipeline, text, { rebase: true, nowMs: now, batchSize: 500 });
    assert.equal(again.duplicate, 1050);
    const app = createFeatureApp({ pipeline, registry, now: () => now + 1000 });
    let nonEmpty = 0;
    for (const user of ["user_1", "user_38", "user_75", "user_299", "nobody"]) {
      const online = await (await app.request(`/features/user/${user}/online`)).json();
      const asOf = encodeURIComponent(online.as_of);
      const offline = await (await app.request(`/features/user/${user}?as_of=${asOf}`)).json();
      assert.deepEqual(online, offline);
      if (online.features.avg_amount_30d > 0) nonEmpty++;
    }
    assert.ok(nonEmpty >= 3, "rebased demo users have 30-day history");
    const metrics = await (await app.request("/metrics")).text();
    assert.match(metrics, /features_events_total\{outcome="accepted"\} 1050/);
    assert.match(metrics, /features_freshness_seconds_count 1050/);
  });
});

Deno.test("exportTrainingSet() writes point-in-time Parquet and CSV rows equal to offline values", async () => {
  await withServices(async ({ store, cache, repository }) => {
    const pipeline = new FeaturePipeline({ store, cache, repository, now: () => Date.now() });
    await loadJsonl(pipeline, await Deno.readTextFile(DEMO));
    const dir = await Deno.makeTempDir({ prefix: "features-export-" });
    try {
      const lines = (await Deno.readTextFile(DEMO)).trim().split("\n").slice(0, 120);
      const labels = lines.map((l) => JSON.parse(l)).map((e, i) =>
        `${e.event_id},${e.user_id},${e.timestamp},${i % 2}`
      );
      await Deno.writeTextFile(
        `${dir}/labels.csv`,
        ["event_id,user_id,timestamp,label", ...labels].join("\n"),
      );
      const rows = await readLabelsFile(repository, `${dir}/labels.csv`);
      let progress = 0;
      const n = await exportTrainingSet(store, repository, rows, `${dir}/set.parquet`, {
        chunk: 7,
        onProgress: (done) => (progress = done),
      });
      assert.equal(n, 120);
      assert.equal(progress, 120);
      const buf = (await Deno.readFile(`${dir}/set.parquet`)).buffer;
      const read = await parquetReadObjects({ file: buf as ArrayBuffer });
      assert.equal(read.length, 120);
      for (const r of read.slice(0, 40)) {
        const off = await pipeline.getOfflineFeatures("user", r.user_id, Date.parse(r.as_of));
        for (const [k, v] of Object.entries(off.features)) assert.equal(r[k], v, k);
        assert.equal(typeof r.amount, "number");
        assert.equal(typeof r.merchant_category, "string");
        assert.equal(r.amount_log, Math.log1p(r.amount)); // request features, by the assembler
      }
      await exportTrainingSet(store, repository, rows, `${dir}/set.csv`);
      const csv = (await Deno.readTextFile(`${dir}/set.csv`)).trim().split("\n");
      assert.equal(csv.length, 121);
      const header = csv[0].split(",");
      for (
        const c of [
          "as_of",
          "label",
          "event_id",
          "user_id",
          "timestamp",
          "amount",
          "avg_amount_30d",
          "hour_of_day",
        ]
      ) {
        assert.ok(header.includes(c), `${c} in ${csv[0]}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("FeaturePipeline.processBatch() throws RetryableError while Redis or Postgres is down, then repairs", async () => {
  await withServices(async ({ store, cache, repository }) => {
    const now = Date.now();
    const event = (id: string) => ({
      payload: JSON.stringify({
        event_id: id,
        user_id: "u1",
        amount: 5,
        timestamp: new Date(now - 60_000).toISOString(),
      }),
    });
    const deadRedis = new RedisOnlineCache("redis://127.0.0.1:9");
    try {
      const broken = new FeaturePipeline({
        store,
        cache: deadRedis,
        repository,
        now: () => now,
      });
      await assert.rejects(() => broken.processBatch([event("a")]), RetryableError);
    } finally {
      await deadRedis.close();
    }
    const deadPg = new PostgresFeatureStore("postgres://x:y@127.0.0.1:9/none", {
      connectTimeoutSeconds: 1,
    });
    try {
      const broken = new FeaturePipeline({ store: deadPg, cache, repository, now: () => now });
      await assert.rejects(() => broken.processBatch([event("b")]), RetryableError);
    } finally {
      await deadPg.close();
    }
    // Redis down: the online states are read before the write, so nothing was
    // stored; the retry accepts the event once. (A push failing after the
    // commit is covered in pipeline/feature_pipeline_test.ts.)
    const pipeline = new FeaturePipeline({ store, cache, repository, now: () => now });
    const r = await pipeline.processBatch([event("a")]);
    assert.equal(r.accepted, 1);
    assert.equal(await store.countEvents(), 1);
    const online = await pipeline.getOnlineFeatures("user", "u1", now);
    assert.equal(online.features.transaction_count_1h, 1);
  });
});
