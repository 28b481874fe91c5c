/**
 * ONNX export of the trainer's models. Both graphs take `input` float32
 * `[N, F]` and give `label` int64 `[N]` and `probabilities` float32 `[N, 2]`
 * (no ZipMap), as the edge expects.
 *
 * @module
 */
import type { GbdtModel } from "../train/gbdt.ts";
import type { LogregModel } from "../train/logreg.ts";
import { ATTR, ELEM, modelProtoType } from "./_proto.ts";

/** Names and metadata of an exported graph. */
export interface OnnxExportOptions {
  /** Graph input name. Default `input`. */
  inputName?: string;
  /** Label output name. Default `label`. */
  labelName?: string;
  /** Probability output name. Default `probabilities`. */
  probabilitiesName?: string;
  /** Graph name. Default `platform_model`. */
  graphName?: string;
  /** Extra `metadata_props` entries. */
  metadata?: Record<string, string>;
}

/** Operator sets the exported graphs declare. */
export const OPSETS = { onnx: 17, ml: 3 } as const;
/** ONNX IR version written (IR 8 goes with opset 17). */
export const IR_VERSION = 8;

const encoder = new TextEncoder();
/** The smallest positive (subnormal) float32. */
const SMALLEST_FLOAT32 = 1.401298464324817e-45;
type Attribute = Record<string, unknown>;

function floats(name: string, values: ArrayLike<number>): Attribute {
  return { name, type: ATTR.FLOATS, floats: Array.from(values) };
}
function ints(name: string, values: ArrayLike<number>): Attribute {
  return { name, type: ATTR.INTS, ints: Array.from(values) };
}
function strings(name: string, values: string[]): Attribute {
  return { name, type: ATTR.STRINGS, strings: values.map((v) => encoder.encode(v)) };
}
function string(name: string, value: string): Attribute {
  return { name, type: ATTR.STRING, s: encoder.encode(value) };
}
function int(name: string, value: number): Attribute {
  return { name, type: ATTR.INT, i: value };
}

function tensorInfo(name: string, elemType: number, dims: (number | string)[]) {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: {
          dim: dims.map((d) => typeof d === "number" ? { dim_value: d } : { dim_param: d }),
        },
      },
    },
  };
}

/** Wraps one `ai.onnx.ml` classifier node into a serialised ModelProto. */
function encodeClassifier(
  opType: string,
  attribute: Attribute[],
  features: number,
  options: OnnxExportOptions,
): Uint8Array {
  const input = options.inputName ?? "input";
  const label = options.labelName ?? "label";
  const probabilities = options.probabilitiesName ?? "probabilities";
  const model = {
    ir_version: IR_VERSION,
    producer_name: "edge-ml-platform",
    producer_version: "1",
    model_version: 1,
    opset_import: [{ domain: "", version: OPSETS.onnx }, {
      domain: "ai.onnx.ml",
      version: OPSETS.ml,
    }],
    metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: options.graphName ?? "platform_model",
      node: [{
        name: opType,
        op_type: opType,
        domain: "ai.onnx.ml",
        input: [input],
        output: [label, probabilities],
        attribute,
      }],
      input: [tensorInfo(input, ELEM.FLOAT, ["N", features])],
      output: [
        tensorInfo(label, ELEM.INT64, ["N"]),
        tensorInfo(probabilities, ELEM.FLOAT, ["N", 2]),
      ],
    },
  };
  const type = modelProtoType();
  return type.encode(type.fromObject(model)).finish();
}

/**
 * Exports a GBDT as one `TreeEnsembleClassifier`: every leaf votes for
 * class 0's score, `base_values` holds the prior log-odds and
 * `post_transform: LOGISTIC` turns the sum into `[1 − p, p]`. `nodes_hitrates`
 * holds the training rows through each node.
 */
export function gbdtToOnnx(model: GbdtModel, options: OnnxExportOptions = {}): Uint8Array {
  const nodes = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    modes: [] as string[],
    values: [] as number[],
    covers: [] as number[],
    trueIds: [] as number[],
    falseIds: [] as number[],
  };
  const leaves = { treeIds: [] as number[], nodeIds: [] as number[], weights: [] as number[] };
  model.trees.forEach((tree, t) => {
    for (let i = 0; i < tree.feature.length; i++) {
      const leaf = tree.feature[i] < 0;
      nodes.treeIds.push(t);
      nodes.nodeIds.push(i);
      nodes.featureIds.push(leaf ? 0 : tree.feature[i]);
      nodes.modes.push(leaf ? "LEAF" : "BRANCH_LEQ");
      nodes.values.push(leaf ? 0 : tree.threshold[i]);
      nodes.covers.push(tree.cover[i]);
      nodes.trueIds.push(leaf ? 0 : tree.left[i]);
      nodes.falseIds.push(leaf ? 0 : tree.right[i]);
      if (leaf) {
        leaves.treeIds.push(t);
        leaves.nodeIds.push(i);
        leaves.weights.push(tree.value[i]);
      }
    }
  });
  if (!leaves.weights.some((w) => w < 0) && leaves.nodeIds.length > 0) {
    // onnxruntime treats a binary ensemble whose weights are all ≥ 0 as
    // probabilities and labels rows by `score > 0.5` instead of `score > 0`.
    // One extra vote of the smallest negative float32 keeps it on log-odds
    // without changing any sum.
    leaves.treeIds.push(leaves.treeIds[0]);
    leaves.nodeIds.push(leaves.nodeIds[0]);
    leaves.weights.push(-SMALLEST_FLOAT32);
  }
  const attribute = [
    floats("base_values", [model.baseScore]),
    ints("class_ids", leaves.nodeIds.map(() => 0)),
    ints("class_nodeids", leaves.nodeIds),
    ints("class_treeids", leaves.treeIds),
    floats("class_weights", leaves.weights),
    ints("classlabels_int64s", [0, 1]),
    ints("nodes_falsenodeids", nodes.falseIds),
    ints("nodes_featureids", nodes.featureIds),
    // Training rows per node, the covers TreeSHAP (pipeline/explain) weighs branches by.
    floats("nodes_hitrates", nodes.covers),
    ints("nodes_missing_value_tracks_true", nodes.values.map(() => 0)),
    strings("nodes_modes", nodes.modes),
    ints("nodes_nodeids", nodes.nodeIds),
    ints("nodes_treeids", nodes.treeIds),
    ints("nodes_truenodeids", nodes.trueIds),
    floats("nodes_values", nodes.values),
    string("post_transform", "LOGISTIC"),
  ];
  return encodeClassifier("TreeEnsembleClassifier", attribute, model.features, {
    ...options,
    metadata: { framework: "platform-gbdt", ...options.metadata },
  });
}

/**
 * Exports a logistic regression as one `LinearClassifier` with the two rows
 * `[−w, w]` and intercepts `[−b, b]`, so `LOGISTIC` yields `[1 − p, p]`.
 */
export function logregToOnnx(model: LogregModel, options: OnnxExportOptions = {}): Uint8Array {
  const w = Array.from(model.weights);
  const attribute = [
    ints("classlabels_ints", [0, 1]),
    floats("coefficients", [...w.map((v) => -v), ...w]),
    floats("intercepts", [-model.bias, model.bias]),
    int("multi_class", 0),
    string("post_transform", "LOGISTIC"),
  ];
  return encodeClassifier("LinearClassifier", attribute, model.features, {
    ...options,
    metadata: { framework: "platform-logreg", ...options.metadata },
  });
}

/** Exports either model kind. */
export function toOnnx(
  model: GbdtModel | LogregModel,
  options: OnnxExportOptions = {},
): Uint8Array {
  return model.kind === "gbdt" ? gbdtToOnnx(model, options) : logregToOnnx(model, options);
}

/** Decodes ONNX bytes into a plain object (for inspection and tests). */
export function decodeOnnx(bytes: Uint8Array): Record<string, unknown> {
  const type = modelProtoType();
  return type.toObject(type.decode(bytes), { longs: Number, bytes: String, defaults: false });
}
