/**
 * Champion vs challenger on the same held-out set: both are scored on the
 * same rows (each through its own manifest's inputs and transforms), and the
 * challenger is promoted only when it beats the champion by a margin on PR
 * AUC and on recall at a fixed precision, so accuracy ties on imbalanced data
 * never promote. The decision and both metric sets can be logged to MLflow.
 *
 * @module
 */
import * as ort from "onnxruntime-web";
import { configureOnnxRuntime } from "../edge/onnx_session.ts";
import type { ModelManifest } from "../schemas/manifest.ts";
import { applyTransform, getFeatureView, type RawValue } from "../pipeline/features/mod.ts";
import { averagePrecision, recallAtPrecision, rocAuc } from "../pipeline/train/metrics.ts";
import { RegistryError } from "./errors.ts";
import type { ModelPackage } from "./port.ts";

/** Thresholds of the decision. */
export interface EvaluationPolicy {
  /** Precision at which recall is compared (default 0.9). */
  precision: number;
  /** Least PR AUC gain to promote (default 0.005). */
  minPrAucGain: number;
  /** Least recall gain at `precision` to promote (default 0.005). */
  minRecallGain: number;
}

/** Metrics of one model on the evaluation set. */
export interface ModelScores {
  version: string;
  pr_auc: number;
  roc_auc: number;
  recall_at_precision: number;
}

/** The outcome of an evaluation. */
export interface EvaluationResult {
  rows: number;
  positives: number;
  champion: ModelScores;
  challenger: ModelScores;
  promote: boolean;
  reasons: string[];
}

/**
 * Builds the `[N, F]` input matrix of `manifest` from raw records: the
 * input's own column, else its transform (or, for a feature-view model, the
 * view's transform of that name), else its default.
 */
export function inputMatrix(
  manifest: ModelManifest,
  records: Record<string, RawValue>[],
): Float32Array {
  const width = manifest.inputs.length;
  const ref = manifest.feature_view;
  const view = ref ? getFeatureView(ref.name, ref.version) : undefined;
  const out = new Float32Array(records.length * width);
  records.forEach((record, r) => {
    manifest.inputs.forEach((input, f) => {
      const direct = record[input.name];
      const transform = input.transform ??
        view?.eventFeatures.find((e) => e.name === input.name)?.transform;
      let value: number;
      const number = asNumber(direct);
      if (number !== undefined) {
        value = number;
      } else if (transform) {
        value = applyTransform(transform, record[transform.source]);
      } else if (input.default !== undefined) {
        value = input.default;
      } else {
        throw new RegistryError(
          "invalid_request",
          `Cannot evaluate model '${manifest.name}' version ${manifest.version}: row ${
            r + 1
          } lacks input '${input.name}'`,
        );
      }
      out[r * width + f] = value;
    });
  });
  return out;
}

/** A raw cell as a number: numbers, numeric strings and booleans (`True`/`false`/...). */
function asNumber(value: RawValue): number | undefined {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const lower = value.trim().toLowerCase();
  if (lower === "true") return 1;
  if (lower === "false") return 0;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Probability of the positive class for every record (batches of 1000 rows). */
export async function scoreRecords(
  pkg: ModelPackage,
  records: Record<string, RawValue>[],
): Promise<Float64Array> {
  configureOnnxRuntime();
  const { manifest } = pkg;
  const session = await ort.InferenceSession.create(pkg.onnx, { executionProviders: ["wasm"] });
  try {
    const x = inputMatrix(manifest, records);
    const width = manifest.inputs.length;
    const scores = new Float64Array(records.length);
    const positive = Math.max(0, manifest.classes.findIndex((c) => String(c) === "1"));
    for (let start = 0; start < records.length; start += 1000) {
      const n = Math.min(1000, records.length - start);
      const input = new ort.Tensor("float32", x.subarray(start * width, (start + n) * width), [
        n,
        width,
      ]);
      const out = await session.run({ [manifest.input_name]: input }, [
        manifest.outputs.probabilities,
      ]);
      const probs = out[manifest.outputs.probabilities].data as Float32Array;
      const classes = probs.length / n;
      for (let r = 0; r < n; r++) scores[start + r] = probs[r * classes + positive];
    }
    return scores;
  } finally {
    await session.release();
  }
}

/** Scores both packages on the same records and decides. */
export async function evaluateChampionChallenger(
  champion: ModelPackage,
  challenger: ModelPackage,
  records: Record<string, RawValue>[],
  labels: ArrayLike<number>,
  policy: EvaluationPolicy,
): Promise<EvaluationResult> {
  const positives = Array.from(labels).filter((y) => y === 1).length;
  if (positives === 0 || positives === labels.length) {
    throw new RegistryError(
      "invalid_request",
      "Cannot evaluate: the held-out set needs both classes",
    );
  }
  const score = async (pkg: ModelPackage): Promise<ModelScores> => {
    const s = await scoreRecords(pkg, records);
    return {
      version: pkg.manifest.version,
      pr_auc: averagePrecision(labels, s),
      roc_auc: rocAuc(labels, s),
      recall_at_precision: recallAtPrecision(labels, s, policy.precision),
    };
  };
  const a = await score(champion);
  const b = await score(challenger);
  const reasons: string[] = [];
  const prGain = b.pr_auc - a.pr_auc;
  const recallGain = b.recall_at_precision - a.recall_at_precision;
  // Strictly better and by the margin: a tie never promotes, even with a zero margin.
  const better = (gain: number, margin: number) => gain > 0 && gain >= margin;
  const prOk = better(prGain, policy.minPrAucGain);
  const recallOk = better(recallGain, policy.minRecallGain);
  if (!prOk) {
    reasons.push(`PR AUC gain ${prGain.toFixed(4)} below ${policy.minPrAucGain}`);
  }
  if (!recallOk) {
    reasons.push(
      `recall at precision ${policy.precision} gain ${
        recallGain.toFixed(4)
      } below ${policy.minRecallGain}`,
    );
  }
  if (prOk && recallOk) {
    reasons.push(
      `PR AUC +${prGain.toFixed(4)}, recall at precision ${policy.precision} +${
        recallGain.toFixed(4)
      }`,
    );
  }
  return {
    rows: records.length,
    positives,
    champion: a,
    challenger: b,
    promote: prOk && recallOk,
    reasons,
  };
}
