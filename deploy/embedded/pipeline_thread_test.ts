import assert from "node:assert/strict";
import { join } from "node:path";
import { MemoryOnlineCache, resolveFeaturesConfig, RetryableError } from "../../pipeline/mod.ts";
import { PlatformError } from "../../schemas/errors.ts";
import { redisKeys } from "../../schemas/pointer.ts";
import { FRAUD_VIEW as DEMO_VIEW } from "../../tests/support/views.ts";
import { PipelineThread } from "./pipeline_thread.ts";

const event = (id: string, user: string, amount: number, ago: number) => ({
  payload: JSON.stringify({
    event_id: id,
    user_id: user,
    amount,
    timestamp: new Date(Date.now() - ago).toISOString(),
  }),
});

Deno.test("PipelineThread runs the pipeline in a worker that writes the online state into this thread's cache", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pipeline-thread-" });
  const cache = new MemoryOnlineCache();
  const thread = await PipelineThread.start({
    config: resolveFeaturesConfig({ DATA_DIR: dir }),
    cache,
    sharedCache: false,
  });
  try {
    assert.deepEqual(thread.views.map((v) => v.name), [DEMO_VIEW.name]);
    const result = await thread.processBatch([
      event("t1", "u1", 10, 60_000),
      event("t2", "u1", 5, 30_000),
      { payload: "not json" },
    ]);
    assert.equal(result.accepted, 2);
    assert.equal(result.dead_lettered, 1);
    // The state is in this thread's cache, where /predict reads it.
    const [raw] = await cache.getMany([redisKeys.online(DEMO_VIEW.name, DEMO_VIEW.version, "u1")]);
    assert.match(raw ?? "", /^\{"v":\d+,"rev":1,/);
    const online = await thread.getOnlineFeatures("user", "u1", Date.now());
    const offline = await thread.getOfflineFeatures("user", "u1", Date.now());
    assert.equal(online.features.amount_sum_24h, 15);
    assert.equal(offline.features.transaction_count_24h, 2);
    assert.match(await thread.metrics(), /^features_events_total\{outcome="accepted"\} 2$/m);
  } finally {
    await thread.close();
  }
  await assert.rejects(thread.processBatch([event("t3", "u1", 1, 0)]), (e) => {
    assert.ok(e instanceof RetryableError);
    assert.equal(e.message, "The pipeline thread is closed");
    return true;
  });
  // The worker closed the store: a new thread opens it and warms the cache from it.
  const fresh = new MemoryOnlineCache();
  const again = await PipelineThread.start({
    config: resolveFeaturesConfig({ DATA_DIR: dir }),
    cache: fresh,
    sharedCache: false,
  });
  try {
    assert.equal(fresh.held.keys, 1);
  } finally {
    await again.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PipelineThread.start() fails with the store's own error when the data folder is in use", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pipeline-thread-" });
  // Process 1 is alive and is not this one: the folder is someone else's.
  await Deno.writeTextFile(`${join(dir, "pglite")}.lock`, "1");
  try {
    await assert.rejects(
      PipelineThread.start({
        config: resolveFeaturesConfig({ DATA_DIR: dir }),
        cache: new MemoryOnlineCache(),
        sharedCache: false,
      }),
      (e) => {
        assert.ok(e instanceof PlatformError);
        assert.equal(e.code, "feature_store_locked");
        assert.match(e.message, /process 1 is using it/);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
