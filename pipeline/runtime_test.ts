import assert from "node:assert/strict";
import { openFeatureRuntime } from "./runtime.ts";
import { resolveFeaturesConfig } from "./config.ts";
import { FeatureRepository } from "./definitions/repository.ts";
import { EXAMPLES } from "./definitions/load.ts";
import { planOf } from "./features/mod.ts";

type Def = { views: Record<string, unknown>[] };

Deno.test("openFeatureRuntime() backfills a new view version from raw events and warms memory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "features-runtime-" });
  try {
    const config = resolveFeaturesConfig({ DATA_DIR: dir });
    const now = Date.now();
    const first = await openFeatureRuntime(config);
    try {
      assert.deepEqual(first.newViews.map((v) => v.name), ["user_transactions"]);
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
    // A new view in the repository: its tiles come from the raw events.
    const def = structuredClone(EXAMPLES.fraud) as Def;
    def.views.push({
      name: "user_amounts",
      version: 1,
      entity: "user",
      source: "transactions",
      features: [{
        name: "amount_sum_2d",
        aggregate: "sum",
        field: "amount",
        window: "2d",
        tile: "1d",
      }],
    });
    const repository = FeatureRepository.fromDefinition(def, "test");
    const second = await openFeatureRuntime(config, { repository });
    try {
      assert.deepEqual(second.newViews.map((v) => v.name), ["user_amounts"]);
      const v2 = repository.view("user_amounts")!;
      const tiles = await second.store.readTiles(v2, "u1");
      const n = planOf(v2).full.num.findIndex((s) => s.op === "n");
      assert.equal(tiles.reduce((sum, t) => sum + t.state[n]!, 0), 3);
      // The in-memory cache starts empty and is rebuilt from the store, for every view.
      const online = await second.pipeline.getOnlineFeatures("user", "u1", now);
      assert.equal(online.features.amount_sum_2d, 60);
      assert.equal(online.features.transaction_count_24h, 3);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
