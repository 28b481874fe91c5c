import assert from "node:assert/strict";
import { openFeatureRuntime } from "./runtime.ts";
import { resolveFeaturesConfig } from "./config.ts";
import { DAY_MS, DEMO_VIEW, type FeatureView } from "./features/mod.ts";

Deno.test("openFeatureRuntime() backfills a new view version from raw events and warms memory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "features-runtime-" });
  try {
    const config = resolveFeaturesConfig({ DATA_DIR: dir });
    const now = Date.now();
    const first = await openFeatureRuntime(config);
    try {
      assert.deepEqual(first.newViews, [DEMO_VIEW]);
      await first.pipeline.processBatch([1, 2, 3].map((i) => ({
        payload: JSON.stringify({
          event_id: `e${i}`,
          user_id: "u1",
          amount: i * 10,
          timestamp: new Date(now - i * 3_600_000).toISOString(),
        }),
      })));
    } finally {
      await first.close();
    }
    // A changed definition is a new version: its tiles come from the raw events.
    const v2: FeatureView = {
      ...DEMO_VIEW,
      version: 2,
      windowFeatures: [
        { name: "amount_sum_2d", aggregate: "sum", windowMs: 2 * DAY_MS, tileMs: DAY_MS, empty: 0 },
      ],
    };
    const second = await openFeatureRuntime(config, { views: [DEMO_VIEW, v2] });
    try {
      assert.deepEqual(second.newViews, [v2]);
      const tiles = await second.store.readTiles(v2, "u1");
      assert.equal(tiles.reduce((n, t) => n + t.count, 0), 3);
      // The in-memory cache starts empty and is rebuilt from the store.
      const online = await second.pipeline.getOnlineFeatures("u1", now, v2);
      assert.equal(online.features.amount_sum_2d, 60);
      const v1 = await second.pipeline.getOnlineFeatures("u1", now);
      assert.equal(v1.features.transaction_count_24h, 3);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
