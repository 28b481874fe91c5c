import assert from "node:assert/strict";
import { generateInteractions } from "../../pipeline/examples/recommendations/generator.ts";
import { rankExample } from "../../pipeline/examples/recommendations/demo.ts";
import { RankResponseSchema } from "../../schemas/prediction.ts";
import { resolveEmbeddedConfig } from "./config.ts";
import { openEmbedded } from "./server.ts";

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

Deno.test({
  name:
    "openEmbedded() with the recommendations example loads the interactions, trains ctr_ranker and serves /rank and the user, item and user_category features",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir();
    const config = resolveEmbeddedConfig({ DATA_DIR: dataDir });
    const platform = await openEmbedded(config, {
      EDGE_LOG_LEVEL: "silent",
      FEATURE_EXAMPLE: "recommendations",
      REGISTRY_VALIDATION_LATENCY_MS: "10000",
    });
    try {
      const events = generateInteractions();
      assert.ok(platform.bootstrap, "first start trains the example's model");
      assert.equal(platform.bootstrap.model, "ctr_ranker");
      assert.equal(platform.bootstrap.events.accepted, events.length);
      assert.ok(platform.bootstrap.champion.report.validation.roc_auc > 0.6);

      const body = rankExample(events, 8);
      const res = await platform.fetch(new Request("http://x/rank", json(body)));
      const text = await res.text();
      assert.equal(res.status, 200, text);
      const ranked = RankResponseSchema.parse(JSON.parse(text));
      assert.equal(ranked.model_name, "ctr_ranker");
      assert.equal(ranked.candidates.length, 3);
      assert.ok(ranked.features_as_of !== null);
      const scores = ranked.candidates.map((c) => c.score);
      assert.deepEqual([...scores].sort((a, b) => b - a), scores);

      // The features APIs of all three entity types; online equals as-of now.
      const user = body.user_id, first = body.candidates[0];
      for (
        const [entity, id, feature] of [
          ["user", user, "user_impressions_24h"],
          ["item", first.item_id, "item_clicks_24h"],
          ["user_category", `${user}:${first.item_category}`, "user_category_clicks_7d"],
        ]
      ) {
        const online = await platform.fetch(
          new Request(`http://x/features/${entity}/${encodeURIComponent(id)}/online`),
        );
        const got = await online.json();
        assert.equal(online.status, 200, JSON.stringify(got));
        assert.equal(typeof got.features[feature], "number", `${entity} ${feature}`);
        const asOf = await platform.fetch(
          new Request(
            `http://x/features/${entity}/${encodeURIComponent(id)}?as_of=${got.as_of}`,
          ),
        );
        assert.deepEqual((await asOf.json()).features, got.features, entity);
      }

      // A click sent to the source's own ingest path reaches the user's online features.
      const before = await (await platform.fetch(
        new Request(`http://x/features/user/${user}/online`),
      )).json();
      const click = {
        event_id: "live-click-1",
        user_id: user,
        item_id: first.item_id,
        item_category: first.item_category,
        event_type: "click",
        timestamp: new Date(Date.now() - 1000).toISOString().replace("Z", ""),
      };
      const ingest = await platform.fetch(
        new Request(
          "http://x/ingest/interactions",
          json([click, { ...click, event_id: "live-bad-1", event_type: "view" }]),
        ),
      );
      const result = await ingest.json();
      assert.equal(ingest.status, 202, JSON.stringify(result));
      assert.equal(result.accepted, 1);
      assert.equal(result.rejected, 1);
      assert.match(JSON.stringify(result), /event_type/);
      const after = await (await platform.fetch(
        new Request(`http://x/features/user/${user}/online`),
      )).json();
      assert.equal(after.features.user_clicks_24h, before.features.user_clicks_24h + 1);
    } finally {
      await platform.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
