import assert from "node:assert/strict";
import { mergeEvents, toWindowEvent } from "../pipeline/features/mod.ts";
import { FRAUD_VIEW } from "../tests/support/views.ts";
import { redisKeys } from "../schemas/pointer.ts";
import { BatchPredictResponseSchema } from "../schemas/prediction.ts";
import { testApp } from "../tests/support/edge_app.ts";
import { MemoryKeyValue, MemoryOnlineReader } from "./online/mod.ts";
import { OnnxSession } from "../pipeline/onnx/session.ts";
import {
  DEMO_INPUTS,
  demoPackage,
  jsonPost,
  REFERENCE_FRAUD_REQUEST,
} from "../tests/support/edge.ts";

const NOW = Date.parse("2026-03-20T12:00:00Z");

class CountingKeyValue extends MemoryKeyValue {
  calls: string[][] = [];
  override mget(keys: string[]) {
    this.calls.push(keys);
    return super.mget(keys);
  }
}

Deno.test("createApp() POST /predict/batch reads online features once and runs the model once", async () => {
  const kv = new CountingKeyValue();
  for (const [id, n] of [["u1", 1], ["u2", 3]] as const) {
    const events = Array.from(
      { length: n },
      (_, i) =>
        toWindowEvent(
          FRAUD_VIEW,
          { amount: 10, merchant_category: "grocery" },
          NOW - (i + 1) * 60_000,
        )!,
    );
    kv.set(
      redisKeys.online(FRAUD_VIEW.name, FRAUD_VIEW.version, id),
      JSON.stringify(mergeEvents(FRAUD_VIEW, null, events)),
    );
  }
  await using t = await testApp({}, {
    clock: { now: () => NOW },
    online: new MemoryOnlineReader(kv),
  });
  const runs: number[] = [];
  const model = t.app.models.loaded("fraud_detector")[0];
  const original = model.session.score.bind(model.session);
  model.session.score = (data: Float32Array, n: number) => {
    runs.push(n);
    return original(data, n);
  };
  const instances = [
    { user_id: "u1", amount: 5 },
    { user_id: "u2", amount: 6, merchant_category: "travel" },
    { ...REFERENCE_FRAUD_REQUEST.features },
    { user_id: "u3", amount: 7 },
  ];
  const res = await t.app.request("/predict/batch", jsonPost({ instances }));
  assert.equal(res.status, 200);
  const body = BatchPredictResponseSchema.parse(await res.json());
  assert.equal(body.batch_size, 4);
  assert.equal(body.predictions.length, 4);
  assert.equal(body.probabilities!.length, 4);
  assert.deepEqual(runs, [4]);
  assert.equal(kv.calls.length, 1);
  assert.equal(kv.calls[0].length, 3, "the complete instance needs no online read");
  assert.ok(body.avg_latency_ms <= body.total_latency_ms);
  // Same answers as single predictions.
  for (let i = 0; i < instances.length; i++) {
    const one = await (await t.app.request("/predict", jsonPost({ features: instances[i] })))
      .json();
    assert.ok(Math.abs(one.probabilities[1] - body.probabilities![i][1]) < 1e-6);
  }
});

Deno.test("createApp() POST /predict/batch lists every failing index and field", async () => {
  await using t = await testApp({}, { clock: { now: () => NOW } });
  const ok = { ...REFERENCE_FRAUD_REQUEST.features };
  const res = await t.app.request(
    "/predict/batch",
    jsonPost({ instances: [ok, { amount: 1 }, ok, { ...ok, amount: "x" }] }),
  );
  assert.equal(res.status, 422);
  const body = await res.json();
  assert.match(body.error.message, /1, 3/);
  const paths = body.error.details.map((d: { path: string }) => d.path).sort();
  assert.deepEqual(paths, [
    "instances.1.avg_amount_30d",
    "instances.1.transaction_count_24h",
    "instances.3.amount",
  ]);
});

Deno.test("createApp() POST /predict/batch enforces the configured instance limit", async () => {
  await using t = await testApp({ batchMax: 3 });
  const instances = Array.from({ length: 4 }, () => REFERENCE_FRAUD_REQUEST.features);
  const res = await t.app.request("/predict/batch", jsonPost({ instances }));
  assert.equal(res.status, 422);
  assert.equal((await res.json()).error.details[0].path, "instances");
  const empty = await t.app.request("/predict/batch", jsonPost({ instances: [] }));
  assert.equal(empty.status, 422);
});

Deno.test("OnnxSession.scoreRow() coalesces concurrent rows into one run with the same answers", async () => {
  await using t = await testApp();
  const session: OnnxSession = t.app.models.loaded()[0].session;
  const rows = Array.from(
    { length: 50 },
    (_, i) => Float32Array.from([i % 24, 1, 0, i, 50, i * 10, 3, 4]),
  );
  const alone = await Promise.all(
    rows.map((r) => session.score(r, 1).then((s) => s.probabilities[1])),
  );
  const runs: number[] = [];
  const original = session.score.bind(session);
  session.score = (d: Float32Array, n: number) => {
    runs.push(n);
    return original(d, n);
  };
  const together = await Promise.all(rows.map((r) => session.scoreRow(r)));
  assert.deepEqual(runs, [50]);
  together.forEach((p, i) => assert.equal(p[1], alone[i]));
});

Deno.test("createApp() POST /predict and /predict/batch flag values outside the training range; the batch groups them per feature", async () => {
  const { LocalRegistry } = await import("../registry/mod.ts");
  const registry = new LocalRegistry({ root: await Deno.makeTempDir() });
  const inputs = DEMO_INPUTS.map((i) =>
    i.name === "amount" ? { ...i, training_range: { min: 1, max: 1000 } } : i
  );
  await registry.register(await demoPackage({ inputs }));
  await registry.setAlias("fraud_detector", "champion", "1");
  await using t = await testApp({}, {}, { registry });
  const single = await (await t.app.request(
    "/predict",
    jsonPost({
      ...REFERENCE_FRAUD_REQUEST,
      features: { ...REFERENCE_FRAUD_REQUEST.features, amount: 5000 },
    }),
  )).json();
  assert.deepEqual(single.out_of_range, [{ feature: "amount", value: 5000, min: 1, max: 1000 }]);
  const instances = [5000, 50, 0.5, 7000].map((amount) => ({
    ...REFERENCE_FRAUD_REQUEST.features,
    amount,
  }));
  const res = await t.app.request("/predict/batch", jsonPost({ instances }));
  assert.equal(res.status, 200);
  const body = BatchPredictResponseSchema.parse(await res.json());
  assert.equal(body.predictions.length, 4, "flagged instances are still scored");
  assert.deepEqual(body.out_of_range, [
    { feature: "amount", min: 1, max: 1000, instances: [0, 2, 3], values: [5000, 0.5, 7000] },
  ]);
  const inRange = await (await t.app.request(
    "/predict/batch",
    jsonPost({ instances: [instances[1]] }),
  )).json();
  assert.equal(inRange.out_of_range, undefined, "nothing flagged: no field");
});
