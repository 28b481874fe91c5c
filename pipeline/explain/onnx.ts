/**
 * Builds an explainer from ONNX model bytes: the `ai.onnx.ml`
 * `TreeEnsembleClassifier`/`TreeEnsembleRegressor` (explained by TreeSHAP)
 * or `LinearClassifier`/`LinearRegressor` node that reads the graph input
 * (directly or through `Cast`/`Identity`). Only binary classifiers and
 * one-target regressors are explained; the positive class's score before
 * the post-transform is the margin.
 *
 * Node covers come from `nodes_hitrates`: the platform's exporter writes the
 * training rows per node there, and `deploy/python/explain_fixtures.py`
 * shows how to copy scikit-learn's `tree_.weighted_n_node_samples` into a
 * skl2onnx graph. Hit rates that are not covers (the exporters' default
 * 1.0 everywhere) make the model unexplainable, with that reason.
 *
 * @module
 */
import { type OnnxAttribute, type OnnxNode, readOnnxGraph } from "../onnx/read.ts";
import { ExplainError } from "./errors.ts";
import type { Explainer, ExplanationOutput } from "./explainer.ts";
import { LinearExplainer } from "./linear.ts";
import { MODE, type TreeEnsemble, TreeShapExplainer } from "./tree_shap.ts";

/** What the explainer needs besides the graph. */
export interface ExplainerOptions {
  /** Name of the graph input fed `[N, width]`. */
  inputName: string;
  /** Number of inputs. */
  width: number;
  /** Training mean per input (linear models need them). */
  means?: ArrayLike<number>;
}

const PASS_THROUGH = new Set(["Cast", "Identity"]);
const EXPLAINED = new Set([
  "TreeEnsembleClassifier",
  "TreeEnsembleRegressor",
  "LinearClassifier",
  "LinearRegressor",
]);

/** Builds the explainer of a model. Throws {@linkcode ExplainError} saying why it cannot. */
export function explainerFromOnnx(bytes: Uint8Array, options: ExplainerOptions): Explainer {
  let graph;
  try {
    graph = readOnnxGraph(bytes);
  } catch (cause) {
    throw new ExplainError("Cannot read the ONNX graph", { cause });
  }
  // Names that carry the graph input unchanged.
  const carries = new Set([options.inputName]);
  for (const n of graph.nodes) {
    if (PASS_THROUGH.has(n.opType) && carries.has(n.inputs[0])) {
      n.outputs.forEach((o) => carries.add(o));
    }
  }
  const node = graph.nodes.find((n) =>
    n.domain === "ai.onnx.ml" && EXPLAINED.has(n.opType) && carries.has(n.inputs[0])
  );
  if (!node) {
    const ops = [...new Set(graph.nodes.map((n) => n.opType))].join(", ");
    throw new ExplainError(
      `No tree ensemble or linear model reads input '${options.inputName}' directly (graph: ${ops})`,
    );
  }
  if (node.opType.startsWith("Linear")) {
    const model = linearOf(node, options.width);
    if (!options.means || options.means.length !== options.width) {
      throw new ExplainError(
        "A linear model needs the training mean of every input (training_mean)",
      );
    }
    return new LinearExplainer(model, options.means);
  }
  return new TreeShapExplainer(treeEnsembleOf(node, options.width));
}

function attr(node: OnnxNode, name: string): OnnxAttribute | undefined {
  const a = node.attributes.get(name);
  if (a?.hasTensor) throw new ExplainError(`Attribute ${name} as a tensor is not supported`);
  return a;
}

/** The class whose score is explained and how leaf votes combine into it. */
interface Target {
  /** Weight of a vote for class/target `id` in the margin. */
  weightOf: (id: number) => number;
  base: number;
  output: ExplanationOutput;
}

/**
 * The positive-class margin of a binary classifier, as onnxruntime computes
 * it: with votes for one class only, their sum is the positive score; with
 * votes for both, class 1's (minus class 0's under SOFTMAX).
 */
function classifierTarget(node: OnnxNode, ids: number[]): Target {
  const labels = attr(node, "classlabels_int64s")?.ints.length ||
    attr(node, "classlabels_strings")?.strings.length ||
    attr(node, "classlabels_ints")?.ints.length || 0;
  if (labels !== 2) {
    throw new ExplainError(
      `Only binary classifiers are explained (this one has ${labels} classes)`,
    );
  }
  const post = attr(node, "post_transform")?.s ?? "NONE";
  const base = attr(node, "base_values")?.floats ?? [];
  const used = new Set(ids);
  if (used.size === 1) {
    if (base.length > 1) {
      throw new ExplainError("Votes for one class with two base_values are not supported");
    }
    if (post !== "LOGISTIC" && post !== "NONE") {
      throw new ExplainError(`Post-transform ${post} is not supported`);
    }
    return {
      weightOf: () => 1,
      base: base[0] ?? 0,
      output: post === "LOGISTIC" ? "log_odds" : "probability",
    };
  }
  if (post === "SOFTMAX") {
    return {
      weightOf: (id) => id === 1 ? 1 : -1,
      base: (base[1] ?? 0) - (base[0] ?? 0),
      output: "log_odds",
    };
  }
  if (post !== "LOGISTIC" && post !== "NONE") {
    throw new ExplainError(`Post-transform ${post} is not supported`);
  }
  return {
    weightOf: (id) => id === 1 ? 1 : 0,
    base: base[1] ?? 0,
    output: post === "LOGISTIC" ? "log_odds" : "probability",
  };
}

const MODES: Record<string, number> = {
  BRANCH_LEQ: MODE.LEQ,
  BRANCH_LT: MODE.LT,
  BRANCH_GTE: MODE.GTE,
  BRANCH_GT: MODE.GT,
  BRANCH_EQ: MODE.EQ,
  BRANCH_NEQ: MODE.NEQ,
};

/** Reads the nodes, leaf votes and covers of a tree ensemble node. */
export function treeEnsembleOf(node: OnnxNode, width: number): TreeEnsemble {
  const classifier = node.opType === "TreeEnsembleClassifier";
  const p = classifier ? "class" : "target";
  const treeIds = attr(node, "nodes_treeids")?.ints ?? [];
  const nodeIds = attr(node, "nodes_nodeids")?.ints ?? [];
  const n = treeIds.length;
  const get = (name: string) => {
    const a = attr(node, name);
    return a ? (a.ints.length > 0 ? a.ints : a.floats.length > 0 ? a.floats : a.strings) : [];
  };
  const features = get("nodes_featureids") as number[];
  const values = get("nodes_values") as number[];
  const modes = get("nodes_modes") as string[];
  const trueIds = get("nodes_truenodeids") as number[];
  const falseIds = get("nodes_falsenodeids") as number[];
  const hitrates = get("nodes_hitrates") as number[];
  const missing = get("nodes_missing_value_tracks_true") as number[];
  if ([features, values, modes, trueIds, falseIds, nodeIds].some((a) => a.length !== n)) {
    throw new ExplainError("Tree ensemble node attributes differ in length");
  }
  if (hitrates.length !== n) {
    throw new ExplainError("Tree ensemble has no node covers (nodes_hitrates)");
  }
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(`${treeIds[i]}:${nodeIds[i]}`, i);
  const at = (t: number, id: number) => {
    const i = index.get(`${t}:${id}`);
    if (i === undefined) throw new ExplainError(`Tree ${t} has no node ${id}`);
    return i;
  };
  const e: TreeEnsemble = {
    width,
    roots: new Int32Array(0),
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    mode: new Uint8Array(n),
    missingTrue: new Uint8Array(n),
    yes: new Int32Array(n),
    no: new Int32Array(n),
    value: new Float64Array(n),
    cover: Float64Array.from(hitrates),
    base: 0,
    output: "raw",
  };
  const isChild = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (modes[i] === "LEAF") {
      e.feature[i] = -1;
      continue;
    }
    const mode = MODES[modes[i]];
    if (mode === undefined) throw new ExplainError(`Unknown node mode ${modes[i]}`);
    if (features[i] < 0 || features[i] >= width) {
      throw new ExplainError(`Node splits on input ${features[i]}, outside 0..${width - 1}`);
    }
    e.feature[i] = features[i];
    e.threshold[i] = values[i];
    e.mode[i] = mode;
    e.missingTrue[i] = missing[i] === 1 ? 1 : 0;
    e.yes[i] = at(treeIds[i], trueIds[i]);
    e.no[i] = at(treeIds[i], falseIds[i]);
    isChild[e.yes[i]] = 1;
    isChild[e.no[i]] = 1;
  }
  const roots: number[] = [];
  for (let i = 0; i < n; i++) if (!isChild[i]) roots.push(i);
  e.roots = Int32Array.from(roots);
  checkCovers(e);
  const vt = get(`${p}_treeids`) as number[];
  const vn = get(`${p}_nodeids`) as number[];
  const vi = get(`${p}_ids`) as number[];
  const vw = get(`${p}_weights`) as number[];
  let target: Target;
  if (classifier) target = classifierTarget(node, vi);
  else {
    const targets = attr(node, "n_targets")?.i ?? 1;
    if (targets !== 1) throw new ExplainError(`Only one-target regressors are explained`);
    const post = attr(node, "post_transform")?.s ?? "NONE";
    if (post !== "NONE") throw new ExplainError(`Post-transform ${post} is not supported`);
    target = { weightOf: () => 1, base: attr(node, "base_values")?.floats[0] ?? 0, output: "raw" };
  }
  const aggregate = attr(node, "aggregate_function")?.s ?? "SUM";
  if (aggregate !== "SUM" && aggregate !== "AVERAGE") {
    throw new ExplainError(`Aggregate function ${aggregate} is not supported`);
  }
  const scale = aggregate === "AVERAGE" ? 1 / roots.length : 1;
  for (let j = 0; j < vw.length; j++) {
    const i = at(vt[j], vn[j]);
    if (e.feature[i] >= 0) throw new ExplainError(`Vote on node ${vn[j]}, which is not a leaf`);
    e.value[i] += vw[j] * target.weightOf(vi[j]) * scale;
  }
  e.base = target.base;
  e.output = target.output;
  return e;
}

/** Covers must be positive and each parent's must be its children's sum. */
function checkCovers(e: TreeEnsemble): void {
  for (let i = 0; i < e.feature.length; i++) {
    if (!(e.cover[i] > 0)) {
      throw new ExplainError("Tree ensemble has no node covers (nodes_hitrates must be > 0)");
    }
    if (e.feature[i] < 0) continue;
    const sum = e.cover[e.yes[i]] + e.cover[e.no[i]];
    if (Math.abs(sum - e.cover[i]) > 1e-4 * e.cover[i]) {
      throw new ExplainError(
        "Tree ensemble has no node covers: nodes_hitrates are not training rows per node " +
          "(a parent's must be its children's sum)",
      );
    }
  }
}

/** Reads the coefficients of a linear node as one positive-class margin. */
function linearOf(node: OnnxNode, width: number): {
  coefficients: Float64Array;
  intercept: number;
  output: ExplanationOutput;
} {
  const coef = attr(node, "coefficients")?.floats ?? [];
  const intercepts = attr(node, "intercepts")?.floats ?? [];
  const post = attr(node, "post_transform")?.s ?? "NONE";
  const rows = coef.length / width;
  if (!Number.isInteger(rows) || rows < 1 || rows > 2) {
    throw new ExplainError(`Linear model has ${coef.length} coefficients for ${width} inputs`);
  }
  const row = (r: number) => Float64Array.from(coef.slice(r * width, (r + 1) * width));
  if (node.opType === "LinearRegressor") {
    if (rows !== 1 || post !== "NONE") {
      throw new ExplainError("Only one-target regressors are explained");
    }
    return { coefficients: row(0), intercept: intercepts[0] ?? 0, output: "raw" };
  }
  if (post !== "LOGISTIC" && post !== "SOFTMAX" && post !== "NONE") {
    throw new ExplainError(`Post-transform ${post} is not supported`);
  }
  const output: ExplanationOutput = post === "NONE" ? "raw" : "log_odds";
  if (rows === 1) return { coefficients: row(0), intercept: intercepts[0] ?? 0, output };
  if (post === "SOFTMAX") {
    const a = row(0), b = row(1);
    return {
      coefficients: b.map((v, f) => v - a[f]),
      intercept: (intercepts[1] ?? 0) - (intercepts[0] ?? 0),
      output,
    };
  }
  return { coefficients: row(1), intercept: intercepts[1] ?? 0, output };
}
