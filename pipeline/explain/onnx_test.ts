import assert from "node:assert/strict";
import { gbdtToOnnx, logregToOnnx } from "../onnx/mod.ts";
import { predictLogreg, trainGbdt, trainLogreg } from "../train/mod.ts";
import { explainerForModel, explainerFromOnnx, ExplainError } from "./mod.ts";
import { ATTR, modelProtoType } from "../onnx/_proto.ts";

const width = 3;
const rows = Array.from({ length: 80 }, (_, i) => [i % 5, (i * 7) % 9, (i * 3) % 4]);
const x = Float32Array.from(rows.flat());
const y = Uint8Array.from(rows, (r) => (r[0] + r[2] > 4 ? 1 : 0));

/** Rewrites the float attribute `name` of the model's first node. */
function withFloats(bytes: Uint8Array, name: string, map: (v: number[]) => number[]): Uint8Array {
  const type = modelProtoType();
  const model = type.toObject(type.decode(bytes), { longs: Number }) as {
    graph: { node: { attribute: { name: string; type: number; floats: number[] }[] }[] };
  };
  const a = model.graph.node[0].attribute.find((x) => x.name === name)!;
  assert.equal(a.type, ATTR.FLOATS);
  a.floats = map(a.floats);
  return type.encode(type.fromObject(model)).finish();
}

Deno.test("explainerForModel() explains a logistic regression as coefficient × (value − mean)", () => {
  const model = trainLogreg(x, y, width);
  const means = [0, 1, 2].map((f) => rows.reduce((s, r) => s + r[f], 0) / rows.length);
  const explainer = explainerForModel(logregToOnnx(model), {
    input_name: "input",
    inputs: means.map((m, f) => ({ name: `f${f}`, dtype: "float32", training_mean: m })),
  });
  assert.equal(explainer.kind, "linear");
  assert.equal(explainer.output, "log_odds");
  const p = predictLogreg(model, x);
  const phi = new Float64Array(width);
  for (let r = 0; r < rows.length; r++) {
    const margin = explainer.explain(rows[r], phi);
    for (let f = 0; f < width; f++) {
      assert.ok(Math.abs(phi[f] - model.weights[f] * (rows[r][f] - means[f])) < 1e-9);
    }
    assert.ok(Math.abs(explainer.score(margin) - p[r]) < 1e-6);
  }
  const many = new Float64Array(rows.length * width);
  const margins = new Float64Array(rows.length);
  explainer.explainMany(x, rows.length, many, margins);
  const one = new Float64Array(width);
  assert.equal(margins[5], explainer.explain(x.subarray(15, 18), one));
  assert.deepEqual(many.subarray(15, 18), one);
});

Deno.test("explainerForModel() refuses a linear model without training means", () => {
  const bytes = logregToOnnx(trainLogreg(x, y, width));
  assert.throws(
    () =>
      explainerForModel(bytes, {
        input_name: "input",
        inputs: [0, 1, 2].map((f) => ({ name: `f${f}`, dtype: "float32" })),
      }),
    (e) => e instanceof ExplainError && /training mean/.test(e.message),
  );
});

Deno.test("explainerFromOnnx() refuses hit rates that are not node covers", () => {
  const bytes = withFloats(
    gbdtToOnnx(trainGbdt(x, y, width, { nTrees: 3 })),
    "nodes_hitrates",
    (v) => v.map(() => 1),
  );
  assert.throws(
    () => explainerFromOnnx(bytes, { inputName: "input", width }),
    (e) => e instanceof ExplainError && /no node covers/.test(e.message),
  );
});

Deno.test("explainerFromOnnx() refuses a graph whose input no explained operator reads", () => {
  assert.throws(
    () => explainerFromOnnx(gbdtToOnnx(trainGbdt(x, y, width)), { inputName: "other", width }),
    (e) => e instanceof ExplainError && /No tree ensemble or linear model/.test(e.message),
  );
  assert.throws(
    () => explainerFromOnnx(new Uint8Array([1, 2, 3]), { inputName: "input", width }),
    ExplainError,
  );
});
