import assert from "node:assert/strict";
import { undocumentedRoutes } from "../../schemas/api.ts";
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
    // A loaded shared machine must not fail the validation latency smoke run.
    const env = { EDGE_LOG_LEVEL: "silent", REGISTRY_VALIDATION_LATENCY_MS: "10000" };
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

      // /health and /ready are the edge's, and every route carries X-Request-ID.
      const health = await first.fetch(new Request("http://x/health"));
      assert.equal((await health.json()).checks.models.status, "ok");
      assert.ok(health.headers.get("x-request-id"));
      const ready = await first.fetch(new Request("http://x/ready"));
      assert.equal((await ready.json()).model_version, "1");
      const features = await first.fetch(new Request("http://x/features/user/user_1/online"));
      await features.body?.cancel();
      assert.ok(features.headers.get("x-request-id"));

      // A canary set through the model operations reaches this platform's /predict.
      const canary = await first.models.canary("fraud_detector", {
        version: "2",
        percent: 50,
        force: true,
      });
      assert.equal(canary.pointer?.traffic.challenger_percent, 50);
      const seen = { champion: 0, challenger: 0 };
      for (let i = 0; i < 60; i++) {
        const r = await readJson(
          await first.fetch(
            new Request(
              "http://x/predict",
              json({
                entity_id: `user_${i}`,
                features: { amount: 10 + i, merchant_category: "grocery", risk_score: 0.2 },
              }),
            ),
          ),
        );
        assert.equal(r.status, 200, JSON.stringify(r.body));
        seen[r.body.variant as "champion" | "challenger"]++;
      }
      assert.ok(seen.challenger >= 15 && seen.champion >= 15, JSON.stringify(seen));
      await first.edge.rollout?.flush();
      const status = await first.models.status("fraud_detector");
      // The three /predict calls above went to the champion too.
      assert.equal(status.requests.champion.requests, seen.champion + 3);
      assert.equal(status.requests.challenger.requests, seen.challenger);
      await first.models.rollback("fraud_detector", { reason: "test" });
      for (let i = 0; i < 10; i++) {
        const back = await readJson(
          await first.fetch(
            new Request(
              "http://x/predict",
              json({ entity_id: `user_${i}`, features: { amount: 99 + i, risk_score: 0.2 } }),
            ),
          ),
        );
        assert.equal(back.body.variant, "champion", JSON.stringify(back.body));
      }

      // One document lists every route of the process.
      const doc = await readJson(await first.fetch(new Request("http://x/openapi.json")));
      assert.deepEqual(undocumentedRoutes(first.routes, doc.body), []);
      for (
        const path of [
          "/console/api/models/{name}/canary",
          "/admin/models/{model}/canary",
          "/ingest/{path}",
          "/predict",
          "/features/{entity}/{id}",
        ]
      ) {
        assert.ok(doc.body.paths[path], path);
      }
      const consolePage = await first.fetch(new Request("http://x/console"));
      assert.equal(consolePage.status, 200, "the console is open in the embedded default");
      assert.match(await consolePage.text(), /fraud_detector/);
      // The console's buttons run the model operations (the pointer /predict follows).
      const consoleCanary = await first.fetch(
        new Request("http://x/console/api/models/fraud_detector/canary", {
          method: "POST",
          headers: { "content-type": "application/json", "x-rtml-console": "1" },
          body: JSON.stringify({ version: "2", percent: 30, force: true }),
        }),
      );
      const canaryBody = await consoleCanary.json();
      assert.equal(consoleCanary.status, 200, JSON.stringify(canaryBody));
      assert.equal(canaryBody.action, "canary");
      assert.equal(
        (await first.models.status("fraud_detector")).traffic.challenger_percent,
        30,
      );
      const modelPage = await first.fetch(new Request("http://x/console/models/fraud_detector"));
      assert.match(await modelPage.text(), /challenger v2 gets 30 % of traffic/);
      const consoleRollback = await first.fetch(
        new Request("http://x/console/api/models/fraud_detector/rollback", {
          method: "POST",
          headers: { "content-type": "application/json", "x-rtml-console": "1" },
          body: "{}",
        }),
      );
      assert.equal(consoleRollback.status, 200);
      assert.equal((await first.registry.getAliases("fraud_detector")).challenger, undefined);
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

Deno.test({
  name: "openEmbedded() starts empty with DEMO_BOOTSTRAP=false and serves features and ingest",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir();
    const config = resolveEmbeddedConfig({ DATA_DIR: dataDir, DEMO_BOOTSTRAP: "false" });
    const platform = await openEmbedded(config, { EDGE_LOG_LEVEL: "silent" });
    try {
      assert.equal(platform.hasDefaultModel, false);
      const predict = await readJson(
        await platform.fetch(new Request("http://x/predict", json({ features: { amount: 1 } }))),
      );
      assert.equal(predict.status, 404);
      assert.equal(predict.body.error.code, "model_not_found");
      const event = {
        event_id: "empty-1",
        user_id: "u1",
        amount: 3,
        timestamp: new Date(Date.now() - 1000).toISOString(),
      };
      const ingest = await platform.fetch(new Request("http://x/ingest/events", json([event])));
      assert.equal(ingest.status, 202);
      await ingest.body?.cancel();
      assert.deepEqual(await platform.models.list(), []);
    } finally {
      await platform.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
