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
import { configureOnnxRuntime } from "../pipeline/onnx/session.ts";
import type { ModelManifest } from "../schemas/manifest.ts";
import { type RawValue, RowAssembler } from "../pipeline/features/mod.ts";
import { manifestRowModel } from "../pipeline/definitions/manifest.ts";
import { parseIsoUtc } from "../schemas/time.ts";
import { averagePrecision, recallAtPrecision, rocAuc } from "../pipeline/train/binary_metrics.ts";
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
 * Builds the `[N, F]` input matrix of `manifest` from records (point-in-time
 * rows: raw fields and feature values) with the one row assembler, as the
 * edge builds a served row; `text` for CSV cells. Throws naming the row and
 * the field of the first record that cannot be assembled.
 */
export function inputMatrix(
  manifest: ModelManifest,
  records: Record<string, RawValue>[],
  options: { text?: boolean } = {},
): Float32Array {
  const rows = new RowAssembler(manifestRowModel(manifest));
  const width = manifest.inputs.length;
  const out = new Float32Array(records.length * width);
  records.forEach((record, r) => {
    const t = record.timestamp ?? record.as_of;
    const timeMs = typeof t === "string" ? parseIsoUtc(t) ?? NaN : typeof t === "number" ? t : NaN;
    const a = rows.assemble({ fields: record, timeMs }, {
      into: out.subarray(r * width, (r + 1) * width),
      text: options.text,
      prefix: `row ${r + 1}`,
    });
    const problem = a.issues[0] ??
      (a.missing.length > 0 ? { path: `row ${r + 1}.${a.missing[0]}`, message: "Missing" } : null);
    if (problem) {
      throw new RegistryError(
        "invalid_request",
        `Cannot evaluate model '${manifest.name}' version ${manifest.version}: ${problem.path}: ${problem.message}`,
      );
    }
  });
  return out;
}

/** Probability of the positive class for every record (batches of 1000 rows). */
export async function scoreRecords(
  pkg: ModelPackage,
  records: Record<string, RawValue>[],
  options: { text?: boolean } = {},
): Promise<Float64Array> {
  configureOnnxRuntime();
  const { manifest } = pkg;
  const session = await ort.InferenceSession.create(pkg.onnx, { executionProviders: ["wasm"] });
  try {
    const x = inputMatrix(manifest, records, options);
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
  options: { text?: boolean } = {},
): Promise<EvaluationResult> {
  const positives = Array.from(labels).filter((y) => y === 1).length;
  if (positives === 0 || positives === labels.length) {
    throw new RegistryError(
      "invalid_request",
      "Cannot evaluate: the held-out set needs both classes",
    );
  }
  const score = async (pkg: ModelPackage): Promise<ModelScores> => {
    const s = await scoreRecords(pkg, records, options);
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
