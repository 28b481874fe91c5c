/**
 * Builds a model package (`model.onnx` + manifest) from a trained model: the
 * sha256 of the ONNX bytes, ordered inputs with their transforms, metrics, a
 * fingerprint of the training data, golden rows for the registry to check
 * the artifact against, and per-feature baselines for drift.
 *
 * @module
 */
import { type ModelInput, type ModelManifest, ModelManifestSchema } from "../schemas/manifest.ts";
import type { ModelPackage } from "../schemas/manifest.ts";
import { type FeatureView, viewManifestEntry } from "./features/mod.ts";
import { toOnnx } from "./onnx/mod.ts";
import type { Dataset } from "./train/dataset.ts";
import type { GbdtModel } from "./train/gbdt.ts";
import type { LogregModel } from "./train/logreg.ts";
import { binIndex } from "./drift_bins.ts";
import { sha256Hex } from "./sha256.ts";

/** Hex sha256 (`sha256.ts`), re-exported for the package's users. */
export { sha256Hex };

/** The drift baseline of one feature. */
export type FeatureBaseline = NonNullable<ModelManifest["baseline"]>[string];

/** What {@linkcode buildModelPackage} needs. */
export interface BuildPackageOptions {
  name: string;
  model: GbdtModel | LogregModel;
  /** Every row the model was trained or validated on (for the fingerprint). */
  data: Dataset;
  /** Training rows (for the drift baseline). */
  train: Dataset;
  /** Validation rows (golden rows are the first `goldenRows` of them). */
  validation: Dataset;
  /** Trainer probabilities of class 1 for the validation rows. */
  validationProbabilities: ArrayLike<number>;
  threshold?: number;
  metrics?: Record<string, unknown>;
  params?: Record<string, unknown>;
  /** The feature views the inputs read. */
  views?: readonly FeatureView[];
  /** Names requests may carry besides the inputs' (`accepted_fields`). */
  acceptedFields?: readonly string[];
  /** Number of golden rows. Default 20. */
  goldenRows?: number;
  /** Default: now. */
  createdAt?: string;
}

/**
 * sha256 over the canonical text of a data set: a header line
 * `input1,input2,…,<label>` then one line per row, the float32 values
 * written as JavaScript numbers and the label last, joined by `\n`.
 * Same rows in the same order give the same fingerprint.
 */
export function fingerprintDataset(data: Dataset): Promise<string> {
  const width = data.inputs.length;
  const lines = [[...data.inputs.map((i) => i.name), data.label].join(",")];
  for (let r = 0; r < data.rows; r++) {
    const row: string[] = [];
    for (let f = 0; f < width; f++) row.push(String(data.x[r * width + f]));
    row.push(String(data.y[r]));
    lines.push(row.join(","));
  }
  return sha256Hex(lines.join("\n"));
}

/**
 * Per-feature drift baseline: edges at the 10 %, 20 %, … 90 % quantiles of
 * the training values (duplicates dropped) and the fraction of rows in each
 * bin `(-inf, e0], (e0, e1], …, (eN, +inf)`.
 */
export function featureBaselines(data: Dataset, bins = 10): Record<string, FeatureBaseline> {
  const width = data.inputs.length;
  const out: Record<string, FeatureBaseline> = {};
  const column = new Float64Array(data.rows);
  for (let f = 0; f < width; f++) {
    for (let r = 0; r < data.rows; r++) column[r] = data.x[r * width + f];
    const sorted = column.slice().sort();
    const edges: number[] = [];
    for (let k = 1; k < bins; k++) {
      const v = sorted[Math.max(0, Math.ceil((k * data.rows) / bins) - 1)];
      if (edges.length === 0 || v > edges[edges.length - 1]) edges.push(v);
    }
    const counts = new Array(edges.length + 1).fill(0);
    for (let r = 0; r < data.rows; r++) counts[binIndex(edges, column[r])]++;
    out[data.inputs[f].name] = { edges, frequencies: counts.map((c) => c / data.rows) };
  }
  return out;
}

/** The first `count` rows of `data` and `[1 − p, p]` for each. */
export function goldenRows(data: Dataset, probabilities: ArrayLike<number>, count = 20) {
  const width = data.inputs.length;
  const n = Math.min(count, data.rows);
  const rows: number[][] = [];
  const probs: number[][] = [];
  for (let r = 0; r < n; r++) {
    rows.push(Array.from(data.x.subarray(r * width, (r + 1) * width)));
    probs.push([1 - probabilities[r], probabilities[r]]);
  }
  return { rows, probabilities: probs };
}

/** Exports the model to ONNX and assembles a manifest valid per `ModelManifestSchema`. */
export async function buildModelPackage(options: BuildPackageOptions): Promise<ModelPackage> {
  const onnx = toOnnx(options.model);
  const inputs: ModelInput[] = options.data.inputs;
  const manifest = ModelManifestSchema.parse({
    format_version: 2,
    name: options.name,
    version: "0",
    created_at: options.createdAt ?? new Date().toISOString(),
    sha256: await sha256Hex(onnx),
    framework: options.model.kind === "gbdt" ? "platform-gbdt" : "platform-logreg",
    input_name: "input",
    inputs,
    outputs: { label: "label", probabilities: "probabilities" },
    classes: [0, 1],
    threshold: options.threshold ?? 0.5,
    metrics: options.metrics ?? {},
    training_data: {
      fingerprint: await fingerprintDataset(options.data),
      rows: options.data.rows,
      source: options.data.source,
      label: options.data.label,
    },
    ...(options.views && options.views.length > 0
      ? { feature_views: options.views.map(viewManifestEntry) }
      : {}),
    request_features: options.data.requestFeatures,
    ...(options.acceptedFields ? { accepted_fields: [...options.acceptedFields] } : {}),
    golden: goldenRows(
      options.validation,
      options.validationProbabilities,
      options.goldenRows ?? 20,
    ),
    baseline: featureBaselines(options.train),
    params: options.params ?? {},
  });
  return { manifest, onnx };
}
