/**
 * Explanations of model scores: per-input contributions that add up, with
 * the base value, to the model's raw score (margin). Tree ensembles get
 * exact path-dependent TreeSHAP computed from their ONNX attributes; linear
 * models get coefficient × (value − training mean).
 *
 * ```ts
 * import { explainerForModel } from "./mod.ts";
 * const explainer = explainerForModel(pkg.onnx, pkg.manifest);
 * const contributions = new Float64Array(explainer.width);
 * const margin = explainer.explain(row, contributions); // = baseValue + Σ contributions
 * ```
 *
 * @module
 */
import type { ModelManifest } from "../../schemas/manifest.ts";
import type { Explainer } from "./explainer.ts";
import { explainerFromOnnx } from "./onnx.ts";

export { ExplainError } from "./errors.ts";
export { type Explainer, type ExplanationOutput, sigmoid } from "./explainer.ts";
export { LinearExplainer, type LinearModel } from "./linear.ts";
export { explainerFromOnnx, type ExplainerOptions, treeEnsembleOf } from "./onnx.ts";
export { MODE, type TreeEnsemble, TreeShapExplainer } from "./tree_shap.ts";

/**
 * The explainer of a model package (its ONNX bytes and manifest). Throws
 * `ExplainError` naming why the model cannot be explained.
 */
export function explainerForModel(
  onnx: Uint8Array,
  manifest: Pick<ModelManifest, "input_name" | "inputs">,
): Explainer {
  const means = manifest.inputs.map((i) => i.training_mean);
  return explainerFromOnnx(onnx, {
    inputName: manifest.input_name,
    width: manifest.inputs.length,
    means: means.every((m) => m !== undefined) ? means as number[] : undefined,
  });
}
