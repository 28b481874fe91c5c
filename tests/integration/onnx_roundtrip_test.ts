/**
 * Models trained by the TypeScript trainer, exported to ONNX and run in
 * onnxruntime-web, reproduce the trainer's own probabilities to 1e-5.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-web";
import {
  type GbdtModel,
  type GbdtParams,
  loadDataset,
  type LogregModel,
  predictGbdt,
  predictLogreg,
  trainGbdt,
  trainLogreg,
  trainModel,
} from "../../pipeline/train/mod.ts";
import { decodeOnnx, toOnnx } from "../../pipeline/onnx/mod.ts";
import { seededRandom } from "../../pipeline/train/_random.ts";

ort.env.wasm.numThreads = 1;

const CSV = new URL("../../pipeline/demo_data/fraud_detection.csv", import.meta.url).pathname;
const TOLERANCE = 1e-5;

async function runOnnx(bytes: Uint8Array, x: Float32Array, width: number) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    assert.deepEqual(session.inputNames, ["input"]);
    assert.deepEqual([...session.outputNames].sort(), ["label", "probabilities"]);
    const rows = x.length / width;
    const out = await session.run({ input: new ort.Tensor("float32", x, [rows, width]) });
    assert.deepEqual(out.probabilities.dims, [rows, 2]);
    assert.equal(out.label.type, "int64");
    return { p: out.probabilities.data as Float32Array, label: out.label.data as BigInt64Array };
  } finally {
    await session.release();
  }
}

async function assertReproduces(model: GbdtModel | LogregModel, x: Float32Array) {
  const width = model.features;
  const ours = model.kind === "gbdt" ? predictGbdt(model, x) : predictLogreg(model, x);
  const { p, label } = await runOnnx(toOnnx(model), x, width);
  let worst = 0;
  for (let i = 0; i < ours.length; i++) {
    worst = Math.max(worst, Math.abs(p[2 * i + 1] - ours[i]), Math.abs(p[2 * i] - (1 - ours[i])));
    if (Math.abs(ours[i] - 0.5) > 1e-5) assert.equal(Number(label[i]), ours[i] > 0.5 ? 1 : 0);
  }
  assert.ok(worst <= TOLERANCE, `largest difference ${worst}`);
  return worst;
}

/** A random data set whose label depends on the first two columns. */
function synthetic(rows: number, width: number, seed: number, constantColumn?: number) {
  const random = seededRandom(seed);
  const x = new Float32Array(rows * width);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < width; f++) {
      x[r * width + f] = f === constantColumn ? 7.25 : random() * 100 - 50;
    }
    y[r] = x[r * width] + 0.5 * x[r * width + 1] + (random() - 0.5) * 40 > 0 ? 1 : 0;
  }
  return { x, y };
}

Deno.test("onnx roundtrip GBDT on the demo data reproduces the trainer to 1e-5", async () => {
  const data = await loadDataset(CSV, { label: "label" });
  const model = trainGbdt(data.x, data.y, data.inputs.length);
  await assertReproduces(model, data.x);
});

Deno.test("onnx roundtrip logistic regression on the demo data reproduces the trainer to 1e-5", async () => {
  const data = await loadDataset(CSV, { label: "label" });
  const model = trainLogreg(data.x, data.y, data.inputs.length);
  await assertReproduces(model, data.x);
});

const gbdtCases: [string, GbdtParams][] = [
  ["single-split trees (depth 1)", { maxDepth: 1, nTrees: 20 }],
  ["deep trees with a large learning rate", { maxDepth: 8, nTrees: 30, learningRate: 0.5 }],
  ["few bins and subsampling", { maxBins: 4, subsample: 0.5, nTrees: 40, seed: 7 }],
  ["large minimum leaf", { minLeaf: 60, nTrees: 25 }],
];
for (const [name, params] of gbdtCases) {
  Deno.test(`onnx roundtrip GBDT with ${name} reproduces the trainer to 1e-5`, async () => {
    const { x, y } = synthetic(400, 4, 11);
    const model = trainGbdt(x, y, 4, params);
    if (params.maxDepth === 1) assert.ok(model.trees.every((t) => t.feature.length === 3));
    const fresh = synthetic(300, 4, 12);
    await assertReproduces(model, fresh.x);
  });
}

Deno.test("onnx roundtrip GBDT with a constant feature never splits on it and reproduces the trainer", async () => {
  const { x, y } = synthetic(300, 3, 21, 2);
  const model = trainGbdt(x, y, 3, { nTrees: 30 });
  assert.ok(model.trees.every((t) => !t.feature.includes(2)));
  // At serving time the constant column may take other values: both sides must agree.
  const fresh = synthetic(200, 3, 22);
  await assertReproduces(model, fresh.x);
});

Deno.test("onnx roundtrip GBDT whose trees are single leaves reproduces the prior", async () => {
  const { x, y } = synthetic(50, 2, 31, 0);
  for (let r = 0; r < 50; r++) x[r * 2 + 1] = 3;
  const model = trainGbdt(x, y, 2, { nTrees: 5 });
  assert.ok(model.trees.every((t) => t.feature.length === 1 && t.feature[0] === -1));
  await assertReproduces(model, x);
});

Deno.test("onnx roundtrip logistic regression with a constant feature reproduces the trainer", async () => {
  const { x, y } = synthetic(300, 3, 41, 1);
  const model = trainLogreg(x, y, 3);
  assert.equal(model.weights[1], 0);
  await assertReproduces(model, synthetic(100, 3, 42).x);
});

Deno.test("onnx roundtrip package golden rows reproduce in onnxruntime-web for both algorithms", async () => {
  for (const algo of ["gbdt", "logreg"] as const) {
    const { pkg } = await trainModel({ data: CSV, label: "label", name: "fraud_detector", algo });
    const golden = pkg.manifest.golden!;
    assert.equal(golden.rows.length, 20);
    const width = pkg.manifest.inputs.length;
    const { p } = await runOnnx(pkg.onnx, new Float32Array(golden.rows.flat()), width);
    golden.probabilities.forEach(([p0, p1], i) => {
      assert.ok(Math.abs(p[2 * i] - p0) <= TOLERANCE, `${algo} row ${i}`);
      assert.ok(Math.abs(p[2 * i + 1] - p1) <= TOLERANCE, `${algo} row ${i}`);
    });
    const graph = decodeOnnx(pkg.onnx).graph as { node: { op_type: string }[] };
    assert.equal(
      graph.node[0].op_type,
      algo === "gbdt" ? "TreeEnsembleClassifier" : "LinearClassifier",
    );
  }
});
