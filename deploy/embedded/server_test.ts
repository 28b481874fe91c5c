import assert from "node:assert/strict";
import { resolveEmbeddedConfig } from "./config.ts";
import { openEmbedded } from "./server.ts";

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

async function readJson(res: Response) {
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) };
}

Deno.test({
  name: "openEmbedded() trains the demo model once and serves the reference's requests",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir();
    const config = resolveEmbeddedConfig({ DATA_DIR: dataDir });
    const env = { EDGE_LOG_LEVEL: "silent" };
    const first = await openEmbedded(config, env);
    try {
      assert.ok(first.bootstrap, "first start trains the demo model");
      assert.equal(first.bootstrap.events.accepted, 1050);
      for (const file of ["fraud_transaction.json", "legitimate_transaction.json"]) {
        const body = JSON.parse(
          await Deno.readTextFile(
            new URL(`../../pipeline/demo_data/requests/${file}`, import.meta.url),
          ),
        );
        const { status, body: out } = await readJson(
          await first.fetch(new Request("http://x/predict", json(body))),
        );
        assert.equal(status, 200, JSON.stringify(out));
        assert.equal(out.model_name, "fraud_detector");
        assert.equal(out.probabilities.length, 2);
        assert.deepEqual(Object.keys(out.features_used).sort(), Object.keys(body.features).sort());
      }
      // Raw categories and online windows work end to end.
      const raw = await readJson(
        await first.fetch(
          new Request(
            "http://x/predict",
            json({
              entity_id: "user_1",
              features: { amount: 950, merchant_category: "electronics", payment_method: "card" },
            }),
          ),
        ),
      );
      assert.equal(raw.status, 200, JSON.stringify(raw.body));
      assert.ok(raw.body.features_as_of !== null);
      // An event ingested over HTTP is visible online at once.
      const before = await readJson(
        await first.fetch(new Request("http://x/features/user/new_user_9/online")),
      );
      assert.equal(before.body.features.transaction_count_24h, 0);
      const event = {
        event_id: "embedded-test-1",
        user_id: "new_user_9",
        amount: 12.5,
        timestamp: new Date(Date.now() - 60_000).toISOString(),
      };
      const ingest = await readJson(
        await first.fetch(new Request("http://x/ingest/events", json([event, { bad: 1 }]))),
      );
      assert.equal(ingest.status, 202);
      assert.equal(ingest.body.accepted, 1);
      assert.equal(ingest.body.rejected, 1);
      const after = await readJson(
        await first.fetch(new Request("http://x/features/user/new_user_9/online")),
      );
      assert.equal(after.body.features.transaction_count_24h, 1);
      assert.equal(after.body.features.amount_sum_24h, 12.5);
      // One /metrics: the serving thread's and the pipeline worker's.
      const metrics = await (await first.fetch(new Request("http://x/metrics"))).text();
      assert.match(metrics, /^features_events_total\{outcome="accepted"\} 1051$/m);
      assert.match(metrics, /^embedded_online_cache_keys 301$/m);
      assert.match(metrics, /^ml_predictions_total\{/m);
    } finally {
      await first.close();
    }
    const second = await openEmbedded(config, env);
    try {
      assert.equal(second.bootstrap, null, "a second start reuses the registered model");
      const after = await readJson(
        await second.fetch(new Request("http://x/features/user/new_user_9/online")),
      );
      assert.equal(
        after.body.features.transaction_count_24h,
        1,
        "online state rebuilt from PGlite",
      );
    } finally {
      await second.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
