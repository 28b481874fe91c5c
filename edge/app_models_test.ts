import assert from "node:assert/strict";
import { until } from "../tests/support/wait.ts";
import { testApp } from "../tests/support/edge_app.ts";
import type { RolloutSink } from "./rollout.ts";
import {
  DEMO_WEIGHTS,
  demoPackage,
  jsonPost,
  REFERENCE_FRAUD_REQUEST,
} from "../tests/support/edge.ts";

class MemorySink implements RolloutSink {
  hashes = new Map<string, Record<string, number>>();
  writes = 0;
  write(increments: { key: string; fields: Record<string, number> }[]) {
    this.writes++;
    for (const { key, fields } of increments) {
      const h = this.hashes.get(key) ?? {};
      for (const [f, v] of Object.entries(fields)) h[f] = (h[f] ?? 0) + v;
      this.hashes.set(key, h);
    }
    return Promise.resolve();
  }
  total(variant: string, field: string): number {
    let n = 0;
    for (const [k, h] of this.hashes) if (k.includes(`:${variant}:`)) n += h[field] ?? 0;
    return n;
  }
}

async function withChallenger(t: Awaited<ReturnType<typeof testApp>>) {
  const flipped = DEMO_WEIGHTS.map((w) => -w);
  const m = await t.registry.register(await demoPackage({ weights: flipped }));
  await t.registry.setAlias("fraud_detector", "challenger", m.version);
  await t.app.models.refresh("fraud_detector");
}

Deno.test("createApp() splits traffic by a sticky hash of the entity id", async () => {
  await using t = await testApp({
    traffic: { fraud_detector: { mode: "canary", challenger_percent: 30 } },
  });
  await withChallenger(t);
  const seen = new Map<string, string>();
  let challenger = 0;
  for (let i = 0; i < 200; i++) {
    const body = { ...REFERENCE_FRAUD_REQUEST, entity_id: `user_${i}` };
    const res = await (await t.app.request("/predict", jsonPost(body))).json();
    seen.set(body.entity_id, res.variant);
    if (res.variant === "challenger") {
      challenger++;
      assert.equal(res.model_version, "2");
    }
  }
  assert.ok(challenger > 30 && challenger < 90, `challenger share ${challenger}/200`);
  for (const id of ["user_3", "user_77", "user_150"]) {
    const res = await (await t.app.request(
      "/predict",
      jsonPost({ ...REFERENCE_FRAUD_REQUEST, entity_id: id }),
    )).json();
    assert.equal(res.variant, seen.get(id), "the same entity stays on its arm");
  }
  const metrics = await (await t.app.request("/metrics")).text();
  assert.match(metrics, /ml_predictions_total\{[^}]*variant="challenger"\} \d+/);
  assert.match(metrics, /ml_predictions_total\{[^}]*variant="champion"\} \d+/);
  // An explicit version bypasses the split.
  const pinned =
    await (await t.app.request("/predict", jsonPost({ ...REFERENCE_FRAUD_REQUEST, version: "1" })))
      .json();
  assert.equal(pinned.model_version, "1");
  assert.equal(pinned.variant, "pinned");
  const latest = await (await t.app.request(
    "/predict",
    jsonPost({ ...REFERENCE_FRAUD_REQUEST, version: "latest" }),
  )).json();
  assert.equal(latest.model_version, "2");
});

Deno.test("createApp() scores the challenger in shadow mode without returning it", async () => {
  const sink = new MemorySink();
  await using t = await testApp(
    { traffic: { fraud_detector: { mode: "shadow", challenger_percent: 0 } } },
    { rollout: sink },
  );
  await withChallenger(t);
  for (let i = 0; i < 5; i++) {
    const res = await (await t.app.request(
      "/predict",
      jsonPost({ ...REFERENCE_FRAUD_REQUEST, entity_id: `u${i}` }),
    )).json();
    assert.equal(res.variant, "champion");
    assert.equal(res.model_version, "1");
  }
  // Shadow scoring runs after each answer: wait until all five are counted.
  await until(async () => {
    await t.app.rollout!.flush();
    return sink.total("challenger", "shadow_compared") === 5;
  }, "five shadow comparisons");
  assert.equal(sink.total("champion", "requests"), 5);
  assert.equal(sink.total("challenger", "shadow_compared"), 5);
  // The flipped challenger disagrees with the champion on this request.
  assert.equal(sink.total("challenger", "shadow_disagreed"), 5);
  const metrics = await (await t.app.request("/metrics")).text();
  assert.match(
    metrics,
    /ml_shadow_predictions_total\{model_name="fraud_detector",agreement="disagree"\} 5/,
  );
});

Deno.test("createApp() swaps to a new champion after building it, finishing requests on the old one", async () => {
  await using t = await testApp({ pointerPollMs: 1_000_000 });
  const before = await (await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST))).json();
  const old = t.app.models.loaded("fraud_detector")[0];
  const inflight = await t.app.models.acquire("fraud_detector", "champion");
  const m = await t.registry.register(await demoPackage({ bias: -5 }));
  await t.registry.setAlias("fraud_detector", "champion", m.version);
  await t.app.models.refresh("fraud_detector");
  const after = await (await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST))).json();
  assert.equal(before.model_version, "1");
  assert.equal(after.model_version, "2");
  assert.notEqual(after.probabilities[1], before.probabilities[1]);
  // The in-flight holder still scores on version 1.
  const p = await inflight.session.scoreRow(
    Float32Array.from(Object.values(REFERENCE_FRAUD_REQUEST.features)),
  );
  assert.equal(p[1], before.probabilities[1]);
  t.app.models.release(inflight);
  assert.equal(old.version, "1");
  const info = await (await t.app.request("/models/fraud_detector")).json();
  assert.deepEqual(info.aliases, { champion: "2" });
  assert.deepEqual(info.versions.map((v: { version: string }) => v.version).sort(), ["1", "2"]);
  assert.match(info.versions[0].sha256, /^[0-9a-f]{64}$/);
  assert.ok(
    info.versions.every((v: { loaded_at: string }) => !Number.isNaN(Date.parse(v.loaded_at))),
  );
});

Deno.test("createApp() keeps at most maxVersions versions of a model in memory", async () => {
  await using t = await testApp({ maxVersions: 2 });
  for (let i = 0; i < 3; i++) await t.registry.register(await demoPackage({ bias: i }));
  for (const v of ["2", "3", "4"]) {
    const res = await t.app.request(
      "/predict",
      jsonPost({ ...REFERENCE_FRAUD_REQUEST, version: v }),
    );
    assert.equal((await res.json()).model_version, v);
  }
  const loaded = t.app.models.loaded("fraud_detector").map((m) => m.version).sort();
  assert.equal(loaded.length, 2);
  assert.ok(loaded.includes("1"), "the champion is never evicted");
  const list = await (await t.app.request("/models")).json();
  assert.equal(list.default_model, "fraud_detector");
  assert.equal(list.models[0].versions.length, 2);
});

Deno.test("createApp() follows alias changes on its own after the poll interval", async () => {
  let now = Date.parse("2026-03-20T12:00:00Z");
  await using t = await testApp({ pointerPollMs: 1000 }, { clock: { now: () => now } });
  const m = await t.registry.register(await demoPackage({ bias: 2 }));
  await t.registry.setAlias("fraud_detector", "champion", m.version);
  const first = await (await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST))).json();
  assert.equal(first.model_version, "1", "no check before the interval");
  now += 1001;
  await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST)); // triggers the check
  await until(
    () => t.app.models.route("fraud_detector")?.aliases.champion === "2",
    "the champion alias to follow the registry",
  );
  const later = await (await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST))).json();
  assert.equal(later.model_version, "2");
});

Deno.test("GET /models lists registered models not loaded, with aliases as they are now", async () => {
  let now = Date.parse("2026-03-20T12:00:00Z");
  await using t = await testApp({ pointerPollMs: 60_000 }, { clock: { now: () => now } });
  await t.registry.register(await demoPackage({ bias: 2 }));
  const other = await demoPackage({ name: "other_model" });
  await t.registry.register(other);
  const before = await (await t.app.request("/models")).json();
  assert.deepEqual(before.models.map((m: { name: string }) => m.name), [
    "fraud_detector",
    "other_model",
  ]);
  assert.deepEqual(before.models[1].versions, [], "listed, not loaded");
  await t.registry.setAlias("fraud_detector", "champion", "2");
  now += 10; // far within the poll interval: /predict still serves its swapped-in route
  const after = await (await t.app.request("/models")).json();
  assert.equal(after.models[0].aliases.champion, "2");
});

Deno.test("createApp() exports feature drift of models whose manifest has a baseline", async () => {
  const { LocalRegistry } = await import("../registry/mod.ts");
  const registry = new LocalRegistry({ root: await Deno.makeTempDir() });
  const baseline = { amount: { edges: [10, 100, 1000], frequencies: [0.25, 0.25, 0.25, 0.25] } };
  await registry.register(await demoPackage({ baseline }));
  await registry.setAlias("fraud_detector", "champion", "1");
  await using t = await testApp({}, {}, { registry });
  const instances = Array.from(
    { length: 150 },
    () => ({ ...REFERENCE_FRAUD_REQUEST.features, amount: 5000 }),
  );
  assert.equal((await t.app.request("/predict/batch", jsonPost({ instances }))).status, 200);
  const text = await (await t.app.request("/metrics")).text();
  const m =
    /ml_feature_drift_psi\{model_name="fraud_detector",model_version="1",feature="amount"\} ([\d.]+)/
      .exec(text);
  assert.ok(m, "drift gauge exported");
  assert.ok(Number(m[1]) > 1, `all traffic in one bin drifts: ${m[1]}`);
});

Deno.test("createApp() reports the registry degraded when route checks fail, and keeps serving", async () => {
  await using t = await testApp({ pointerPollMs: 1 });
  const source = t.app.models.source as unknown as { getRoute: (n: string) => Promise<unknown> };
  source.getRoute = () => Promise.reject(new Error("registry down"));
  // refresh() checks the route now, whatever the poll interval.
  await t.app.models.refresh("fraud_detector").catch(() => {});
  const health = await (await t.app.request("/health")).json();
  assert.equal(health.status, "degraded");
  assert.equal(health.checks.registry.status, "degraded");
  assert.match(health.checks.registry.last_error, /registry down/);
  const res = await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST));
  assert.equal(res.status, 200, "the loaded champion still serves");
});
