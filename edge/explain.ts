/**
 * Reason codes at the edge: each loaded model gets its explainer when it is
 * loaded (built from the ONNX bytes, checked against onnxruntime on the
 * manifest's golden rows), and requests with `explain` or `explain_top`
 * get the contributions of their row.
 *
 * @module
 */
import { type Explainer, explainerForModel } from "../pipeline/explain/mod.ts";
import type { ModelManifest } from "../schemas/manifest.ts";
import type { BatchExplanations, Explanation, Reason } from "../schemas/prediction.ts";
import { EdgeError } from "./errors.ts";
import type { OnnxSession } from "../pipeline/onnx/session.ts";

/** A model's explainer, or why it has none. */
export type ModelExplainer = { explainer: Explainer; error: null } | {
  explainer: null;
  error: string;
};

/** Largest difference allowed between the explainer's and onnxruntime's golden scores. */
const GOLDEN_TOLERANCE = 1e-4;

/**
 * Builds the explainer of a model and checks that its margins give the
 * scores onnxruntime computes for the golden rows, so that an exporter's
 * convention the explainer misreads is refused instead of explained wrongly.
 */
export async function prepareExplainer(
  onnx: Uint8Array,
  manifest: ModelManifest,
  session: OnnxSession,
): Promise<ModelExplainer> {
  let explainer: Explainer;
  try {
    explainer = explainerForModel(onnx, manifest);
  } catch (error) {
    return { explainer: null, error: error instanceof Error ? error.message : String(error) };
  }
  const rows = manifest.golden?.rows ?? [];
  if (rows.length > 0) {
    const data = Float32Array.from(rows.flat());
    let probabilities: Float32Array;
    try {
      ({ probabilities } = await session.score(data, rows.length));
    } catch (error) {
      return { explainer: null, error: `Cannot score the golden rows: ${String(error)}` };
    }
    const phi = new Float64Array(explainer.width);
    for (let r = 0; r < rows.length; r++) {
      const margin = explainer.explain(data.subarray(r * explainer.width), phi);
      const diff = Math.abs(explainer.score(margin) - probabilities[2 * r + 1]);
      if (!(diff <= GOLDEN_TOLERANCE)) {
        return {
          explainer: null,
          error: `The explainer's score differs from the model's on golden row ${r} by ${diff}`,
        };
      }
    }
  }
  return { explainer, error: null };
}

/** What to return: nothing, every contribution, or the top `n`. */
export type ExplainAsk = null | { top: number | null };

/** Reads `explain` / `explain_top` of a request. */
export function explainAsk(req: { explain?: boolean; explain_top?: number }): ExplainAsk {
  if (req.explain_top !== undefined) return { top: req.explain_top };
  return req.explain ? { top: null } : null;
}

/** The explainer of a model, or a 422 naming why it cannot be explained. */
export function requireExplainer(
  model: { name: string; version: string; explain: ModelExplainer },
): Explainer {
  if (model.explain.explainer) return model.explain.explainer;
  throw new EdgeError(
    "model_not_explainable",
    `Model '${model.name}' version ${model.version} cannot be explained: ${model.explain.error}`,
    { details: [{ path: "explain", message: model.explain.error }] },
  );
}

/**
 * Explains one row (model-input order) of `data` at `offset`. `scratch`
 * holds `width` values and is overwritten.
 */
export function explainRow(
  explainer: Explainer,
  names: readonly string[],
  data: Float32Array,
  offset: number,
  ask: { top: number | null },
  scratch: Float64Array,
): Explanation {
  const w = explainer.width;
  const row = offset === 0 && data.length === w ? data : data.subarray(offset, offset + w);
  const margin = explainer.explain(row, scratch);
  const out: Explanation = {
    method: explainer.kind === "tree" ? "tree_shap" : "linear",
    output: explainer.output,
    base_value: explainer.baseValue,
    margin,
  };
  if (ask.top === null) {
    const contributions: Record<string, number> = {};
    for (let f = 0; f < w; f++) contributions[names[f]] = scratch[f];
    out.contributions = contributions;
    return out;
  }
  out.reasons = topReasons(names, row, scratch, ask.top);
  return out;
}

/**
 * Explains `n` rows of `data` (model-input order, row-major), column-wise:
 * the names and the base value once, then per row its margin and its
 * contributions (or its top reasons).
 */
export function explainRows(
  explainer: Explainer,
  names: readonly string[],
  data: Float32Array,
  n: number,
  ask: { top: number | null },
  scratch: Float64Array,
): BatchExplanations {
  const w = explainer.width;
  const phi = n * w <= scratch.length ? scratch : new Float64Array(n * w);
  const m = new Float64Array(n);
  explainer.explainMany(data, n, phi, m);
  const margins = Array.from(m);
  const contributions: number[][] = [];
  const reasons: Reason[][] = [];
  for (let i = 0; i < n; i++) {
    const c = phi.subarray(i * w, (i + 1) * w);
    if (ask.top === null) contributions.push(Array.from(c));
    else reasons.push(topReasons(names, data.subarray(i * w, (i + 1) * w), c, ask.top));
  }
  const out: BatchExplanations = {
    method: explainer.kind === "tree" ? "tree_shap" : "linear",
    output: explainer.output,
    base_value: explainer.baseValue,
    margins,
  };
  if (ask.top === null) {
    out.features = [...names];
    out.contributions = contributions;
  } else out.reasons = reasons;
  return out;
}

/** The `n` largest contributions by magnitude, largest first (ties: input order). */
function topReasons(
  names: readonly string[],
  row: ArrayLike<number>,
  phi: Float64Array,
  n: number,
): Reason[] {
  const order = Array.from({ length: names.length }, (_, i) => i);
  order.sort((a, b) => Math.abs(phi[b]) - Math.abs(phi[a]) || a - b);
  return order.slice(0, n).map((f) => ({
    feature: names[f],
    value: row[f],
    contribution: phi[f],
  }));
}

/** Input names of a manifest, in model-input order. */
export function inputNamesOf(manifest: Pick<ModelManifest, "inputs">): string[] {
  return manifest.inputs.map((i) => i.name);
}
