import assert from "node:assert/strict";
import { trainModel } from "../pipeline/train/mod.ts";
import { LocalRegistry } from "../registry/mod.ts";
import { BatchPredictResponseSchema, PredictResponseSchema } from "../schemas/prediction.ts";
import { tempRegistry, testApp } from "../tests/support/edge_app.ts";
import { ModelManifestSchema } from "../schemas/manifest.ts";
import { jsonPost, sha256Hex } from "../tests/support/edge.ts";

const FEATURES = ["amount", "age", "hour"];

/** Trains `fraud_detector` (gbdt or logreg) on synthetic rows into a new registry, as champion. */
async function explainedRegistry(algo: "gbdt" | "logreg"): Promise<LocalRegistry> {
  const root = await Deno.makeTempDir({ prefix: "edge-explain-test-" });
  const registry = new LocalRegistry({ root });
  const records = Array.from({ length: 400 }, (_, i) => {
    const amount = (i * 37) % 500;
    const age = 18 + ((i * 11) % 60);
    const hour = (i * 5) % 24;
    return { amount, age, hour, label: amount > 300 && hour < 8 ? 1 : (i % 13 === 0 ? 1 : 0) };
  });
  const { pkg } = await trainModel({
    data: { source: "synthetic", columns: [...FEATURES, "label"], records },
    label: "label",
    name: "fraud_detector",
    algo,
    features: FEATURES,
    gbdt: { nTrees: 40, maxDepth: 3 },
  });
  const m = await registry.register(pkg);
  await registry.setAlias("fraud_detector", "champion", m.version);
  return registry;
}

const logit = (p: number) => Math.log(p / (1 - p));
const ROW = { amount: 420, age: 30, hour: 3 };

for (const algo of ["gbdt", "logreg"] as const) {
  Deno.test(`createApp() POST /predict with explain returns contributions that add up to the ${algo} score`, async () => {
    await using t = await testApp({}, {}, { registry: await explainedRegistry(algo) });
    const res = await t.app.request("/predict", jsonPost({ features: ROW, explain: true }));
    assert.equal(res.status, 200);
    const body = PredictResponseSchema.parse(await res.json());
    const e = body.explanation!;
    assert.equal(e.method, algo === "gbdt" ? "tree_shap" : "linear");
    assert.equal(e.output, "log_odds");
    assert.deepEqual(Object.keys(e.contributions!), FEATURES);
    const sum = e.base_value + Object.values(e.contributions!).reduce((s, c) => s + c, 0);
    assert.ok(Math.abs(sum - e.margin) < 1e-9);
    // The probability the model served is the logistic of the explained margin.
    assert.ok(Math.abs(logit(body.probabilities![1]) - e.margin) < 1e-4);
    assert.equal(e.reasons, undefined);
  });
}

Deno.test("createApp() POST /predict with explain_top returns the N largest contributions with values", async () => {
  await using t = await testApp({}, {}, { registry: await explainedRegistry("gbdt") });
  // A batch first: its explanations leave more values in the edge's scratch space than one row has.
  const instances = Array.from(
    { length: 50 },
    (_, i) => ({ amount: i * 9, age: 20 + i, hour: i % 24 }),
  );
  const batch = await t.app.request("/predict/batch", jsonPost({ instances, explain: true }));
  assert.equal(batch.status, 200);
  const full = PredictResponseSchema.parse(
    await (await t.app.request("/predict", jsonPost({ features: ROW, explain: true }))).json(),
  ).explanation!;
  const res = await t.app.request("/predict", jsonPost({ features: ROW, explain_top: 2 }));
  assert.equal(res.status, 200);
  const e = PredictResponseSchema.parse(await res.json()).explanation!;
  assert.equal(e.contributions, undefined);
  const expected = Object.entries(full.contributions!)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, 2)
    .map(([feature, contribution]) => ({
      feature,
      value: ROW[feature as keyof typeof ROW],
      contribution,
    }));
  assert.deepEqual(e.reasons, expected);
  const plain = PredictResponseSchema.parse(
    await (await t.app.request("/predict", jsonPost({ features: ROW }))).json(),
  );
  assert.equal(plain.explanation, undefined);
});

Deno.test("createApp() POST /predict/batch with explain explains every instance", async () => {
  await using t = await testApp({}, {}, { registry: await explainedRegistry("gbdt") });
  const instances = [ROW, { amount: 10, age: 70, hour: 14 }, { amount: 250, age: 40, hour: 7 }];
  const res = await t.app.request("/predict/batch", jsonPost({ instances, explain: true }));
  assert.equal(res.status, 200);
  const body = BatchPredictResponseSchema.parse(await res.json());
  const e = body.explanations!;
  assert.deepEqual(e.features, FEATURES);
  assert.equal(e.margins.length, 3);
  for (let i = 0; i < 3; i++) {
    const single = PredictResponseSchema.parse(
      await (await t.app.request("/predict", jsonPost({ features: instances[i], explain: true })))
        .json(),
    ).explanation!;
    assert.deepEqual(
      [e.method, e.output, e.base_value, e.margins[i], e.contributions![i]],
      [
        single.method,
        single.output,
        single.base_value,
        single.margin,
        FEATURES.map((f) => single.contributions![f]),
      ],
    );
  }
  const top = BatchPredictResponseSchema.parse(
    await (await t.app.request("/predict/batch", jsonPost({ instances, explain_top: 1 }))).json(),
  );
  assert.deepEqual(top.explanations!.reasons!.map((r) => r.length), [1, 1, 1]);
  assert.equal(top.explanations!.contributions, undefined);
});

Deno.test("createApp() POST /v2/models/{name}/infer with parameters.explain adds the contributions output", async () => {
  await using t = await testApp({}, {}, { registry: await explainedRegistry("gbdt") });
  const rows = [[420, 30, 3], [10, 70, 14]];
  const res = await t.app.request(
    "/v2/models/fraud_detector/infer",
    jsonPost({
      inputs: [{ name: "input", shape: [2, 3], datatype: "FP32", data: rows.flat() }],
      parameters: { explain: true },
    }),
  );
  assert.equal(res.status, 200);
  const body = await res.json() as {
    outputs: { name: string; shape: number[]; datatype: string; data: number[] }[];
  };
  const c = body.outputs.find((o) => o.name === "contributions")!;
  assert.deepEqual([c.shape, c.datatype], [[2, 4], "FP64"]);
  const p = body.outputs.find((o) => o.name === "probabilities")!.data;
  for (let r = 0; r < 2; r++) {
    const sum = c.data.slice(r * 4, r * 4 + 4).reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum - logit(p[2 * r + 1])) < 1e-4, `row ${r}`);
  }
  const bad = await t.app.request(
    "/v2/models/fraud_detector/infer",
    jsonPost({
      inputs: [{ name: "input", shape: [1, 3], datatype: "FP32", data: rows[0] }],
      parameters: { explain: "yes" },
    }),
  );
  assert.equal(bad.status, 400);
});

Deno.test("createApp() POST /predict with explain on a model that cannot be explained is a 422 naming why", async () => {
  // The shared test model is a MatMul/Add/Sigmoid graph: no tree ensemble or linear operator.
  const { registry } = await tempRegistry();
  await using t = await testApp({}, {}, { registry });
  const model = t.app.models.loaded("fraud_detector")[0];
  const features = Object.fromEntries(model.manifest.inputs.map((i) => [i.name, 1]));
  const res = await t.app.request("/predict", jsonPost({ features, explain: true }));
  assert.equal(res.status, 422);
  const body = await res.json() as { error: { code: string; message: string } };
  assert.equal(body.error.code, "model_not_explainable");
  assert.match(body.error.message, /No tree ensemble or linear model/);
  const plain = await t.app.request("/predict", jsonPost({ features }));
  assert.equal(plain.status, 200);
});

Deno.test("createApp() explains a scikit-learn model exported with skl2onnx like its own", async () => {
  const fixtures = new URL("../tests/fixtures/explain/", import.meta.url);
  const onnx = await Deno.readFile(new URL("sklearn_gbdt.onnx", fixtures));
  const { inputs, rows } = JSON.parse(await Deno.readTextFile(new URL("rows.json", fixtures))) as {
    inputs: string[];
    rows: number[][];
  };
  const root = await Deno.makeTempDir({ prefix: "edge-explain-test-" });
  const registry = new LocalRegistry({ root });
  const manifest = ModelManifestSchema.parse({
    name: "fraud_detector",
    version: "1",
    created_at: "2026-12-08T00:00:00Z",
    sha256: await sha256Hex(onnx),
    framework: "sklearn",
    input_name: "X",
    inputs: inputs.map((name) => ({ name })),
    outputs: { label: "label", probabilities: "probabilities" },
    training_data: { fingerprint: "fixture", rows: 600 },
    golden: { rows: rows.slice(0, 5), probabilities: [] },
  });
  const m = await registry.register({ manifest, onnx });
  await registry.setAlias("fraud_detector", "champion", m.version);
  await using t = await testApp({}, {}, { registry });
  const features = Object.fromEntries(inputs.map((name, i) => [name, rows[7][i]]));
  const res = await t.app.request("/predict", jsonPost({ features, explain: true }));
  assert.equal(res.status, 200);
  const body = PredictResponseSchema.parse(await res.json());
  const e = body.explanation!;
  assert.deepEqual([e.method, e.output], ["tree_shap", "log_odds"]);
  const sum = e.base_value + Object.values(e.contributions!).reduce((s, c) => s + c, 0);
  assert.ok(Math.abs(sum - e.margin) < 1e-9);
  assert.ok(Math.abs(logit(body.probabilities![1]) - e.margin) < 1e-4);
});
