import assert from "node:assert/strict";
import { trainGbdt, trainLogreg } from "../train/mod.ts";
import { decodeOnnx, gbdtToOnnx, logregToOnnx, OPSETS } from "./mod.ts";

interface Attr {
  name: string;
  floats?: number[];
  ints?: number[];
  strings?: string[];
  s?: string;
}
interface Decoded {
  ir_version: number;
  opset_import: { domain?: string; version: number }[];
  graph: {
    node: {
      op_type: string;
      domain: string;
      input: string[];
      output: string[];
      attribute: Attr[];
    }[];
    input: { name: string }[];
    output: { name: string; type: { tensor_type: { elem_type: number } } }[];
  };
}

const x = new Float32Array([0, 1, 1, 0, 2, 1, 3, 0, 4, 1, 5, 0]);
const y = new Uint8Array([0, 0, 1, 0, 1, 1]);
const attr = (d: Decoded, name: string) => d.graph.node[0].attribute.find((a) => a.name === name)!;
const text = (s: string) => atob(s);

Deno.test("gbdtToOnnx() writes one TreeEnsembleClassifier with tensor outputs and LOGISTIC", () => {
  const model = trainGbdt(x, y, 2, { nTrees: 3, maxDepth: 2 });
  const d = decodeOnnx(gbdtToOnnx(model)) as unknown as Decoded;
  assert.deepEqual(d.opset_import.map((o) => [o.domain ?? "", o.version]), [
    ["", OPSETS.onnx],
    ["ai.onnx.ml", OPSETS.ml],
  ]);
  const node = d.graph.node[0];
  assert.equal(node.op_type, "TreeEnsembleClassifier");
  assert.equal(node.domain, "ai.onnx.ml");
  assert.deepEqual(node.input, ["input"]);
  assert.deepEqual(node.output, ["label", "probabilities"]);
  assert.deepEqual(d.graph.output.map((o) => [o.name, o.type.tensor_type.elem_type]), [
    ["label", 7],
    ["probabilities", 1],
  ]);
  assert.equal(text(attr(d, "post_transform").s!), "LOGISTIC");
  assert.deepEqual(attr(d, "base_values").floats, [model.baseScore]);
  assert.deepEqual(attr(d, "classlabels_int64s").ints, [0, 1]);
  const nodes = model.trees.reduce((s, t) => s + t.feature.length, 0);
  assert.equal(attr(d, "nodes_nodeids").ints!.length, nodes);
  const leafWeights = model.trees.flatMap((t) => [...t.value].filter((_, i) => t.feature[i] < 0));
  assert.deepEqual(attr(d, "class_weights").floats!.slice(0, leafWeights.length), leafWeights);
});

Deno.test("gbdtToOnnx() adds a negligible negative vote when every leaf weight is positive", () => {
  const model = trainGbdt(x, y, 2, { nTrees: 1, maxDepth: 1 });
  model.trees[0].value.fill(0.5);
  const d = decodeOnnx(gbdtToOnnx(model)) as unknown as Decoded;
  const w = attr(d, "class_weights").floats!;
  assert.equal(w.length, 3);
  assert.ok(w[2] < 0 && w[2] > -1e-44);
});

Deno.test("logregToOnnx() writes a LinearClassifier with rows [-w, w] and intercepts [-b, b]", () => {
  const model = trainLogreg(x, y, 2);
  const d = decodeOnnx(logregToOnnx(model)) as unknown as Decoded;
  assert.equal(d.graph.node[0].op_type, "LinearClassifier");
  const w = [...model.weights];
  assert.deepEqual(attr(d, "coefficients").floats, [...w.map((v) => -v), ...w]);
  assert.deepEqual(attr(d, "intercepts").floats, [-model.bias, model.bias]);
  assert.equal(text(attr(d, "post_transform").s!), "LOGISTIC");
  assert.deepEqual(d.graph.input.map((i) => i.name), ["input"]);
});
