/**
 * `trainModel`: load → stratified split → train → evaluate → package, the
 * one call the CLI, the embedded start and the demo share.
 *
 * @module
 */
import type { ModelInput } from "../../schemas/manifest.ts";
import type { FeatureView } from "../features/mod.ts";
import type { ModelPackage } from "../../schemas/manifest.ts";
import { buildModelPackage } from "../package.ts";
import {
  buildDataset,
  type Dataset,
  type DatasetInput,
  type RawTable,
  readTable,
  selectRows,
} from "./dataset.ts";
import { TrainError } from "./errors.ts";
import { type GbdtParams, type GbdtProgress, predictGbdt, trainGbdt } from "./gbdt.ts";
import { type LogregParams, predictLogreg, trainLogreg } from "./logreg.ts";
import { type BinaryMetrics, evaluateBinary } from "./binary_metrics.ts";
import { stratifiedSplit } from "./split.ts";

/** The algorithms `trainModel` knows. */
export type Algorithm = "gbdt" | "logreg";

/** Options of {@linkcode trainModel}. */
export interface TrainModelOptions {
  /** A `.csv`/`.jsonl` path, or raw records already in memory. */
  data: string | RawTable;
  /** The 0/1 label column. */
  label: string;
  /** Model name in the registry. */
  name: string;
  /** Default `gbdt`. */
  algo?: Algorithm;
  /** Input columns, in order. Default: every column but the label. */
  features?: string[];
  /** Inputs with transforms; with `features`, looked up by name, otherwise used as the input list. */
  inputs?: ModelInput[];
  /** Request-time features the inputs' transforms read without being inputs. */
  requestFeatures?: ModelInput[];
  gbdt?: GbdtParams;
  logreg?: LogregParams;
  /** Seed of the split and of the GBDT subsampling. Default 42. */
  seed?: number;
  /** Default 0.2. */
  validationFraction?: number;
  /** Decision threshold stored in the manifest. Default 0.5. */
  threshold?: number;
  /** Precision at which `recall_at_precision` is reported. Default 0.9. */
  precisionTarget?: number;
  /** The feature views the inputs read (their definitions go into the manifest for the edge). */
  views?: readonly FeatureView[];
  /** Names requests may carry besides the inputs' (the manifest's `accepted_fields`). */
  acceptedFields?: readonly string[];
  /** Default: now. */
  createdAt?: string;
  /** Called after each GBDT tree. */
  onProgress?: (progress: GbdtProgress) => void;
}

/** What happened during training. */
export interface TrainReport {
  name: string;
  algo: Algorithm;
  source: string;
  rows: number;
  trainRows: number;
  validationRows: number;
  features: string[];
  params: Record<string, unknown>;
  validation: BinaryMetrics;
  train: BinaryMetrics;
  /** Wall-clock milliseconds of each stage. */
  timings: { loadMs: number; trainMs: number; packageMs: number; totalMs: number };
}

/** Resolves the ordered inputs from `features` and `inputs` (a plain name is typed from its data). */
export function resolveInputs(
  features?: string[],
  inputs?: ModelInput[],
): DatasetInput[] | undefined {
  if (!features || features.length === 0) return inputs;
  const byName = new Map((inputs ?? []).map((i) => [i.name, i]));
  const seen = new Set<string>();
  return features.map((name) => {
    if (seen.has(name)) {
      throw new TrainError("training_options_invalid", `Feature '${name}' is listed twice`);
    }
    seen.add(name);
    return byName.get(name) ?? { name };
  });
}

function fitAndPredict(
  options: TrainModelOptions,
  train: Dataset,
  validation: Dataset,
  seed: number,
) {
  const width = train.inputs.length;
  if ((options.algo ?? "gbdt") === "gbdt") {
    const model = trainGbdt(train.x, train.y, width, { seed, ...options.gbdt }, options.onProgress);
    return { model, trainP: predictGbdt(model, train.x), validP: predictGbdt(model, validation.x) };
  }
  const model = trainLogreg(train.x, train.y, width, options.logreg);
  return {
    model,
    trainP: predictLogreg(model, train.x),
    validP: predictLogreg(model, validation.x),
  };
}

/**
 * Trains a binary classifier and packages it. Throws `TrainingDataError`
 * (file, column and row in the message) before anything is produced when
 * the data is unusable.
 */
export async function trainModel(
  options: TrainModelOptions,
): Promise<{ pkg: ModelPackage; report: TrainReport }> {
  const algo = options.algo ?? "gbdt";
  if (algo !== "gbdt" && algo !== "logreg") {
    throw new TrainError(
      "training_options_invalid",
      `Unknown algorithm: '${algo}' (expected gbdt or logreg)`,
    );
  }
  const seed = options.seed ?? 42;
  const threshold = options.threshold ?? 0.5;
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new TrainError("training_options_invalid", `Invalid threshold: ${threshold}`);
  }
  const t0 = performance.now();
  const table = typeof options.data === "string" ? await readTable(options.data) : options.data;
  const data = buildDataset(table, {
    label: options.label,
    inputs: resolveInputs(options.features, options.inputs),
    requestFeatures: options.requestFeatures,
  });
  const split = stratifiedSplit(data.y, { seed, validationFraction: options.validationFraction });
  const train = selectRows(data, split.train);
  const validation = selectRows(data, split.validation);
  const t1 = performance.now();
  const { model, trainP, validP } = fitAndPredict(options, train, validation, seed);
  const t2 = performance.now();
  const target = options.precisionTarget ?? 0.9;
  const validationMetrics = evaluateBinary(validation.y, validP, threshold, target);
  const trainMetrics = evaluateBinary(train.y, trainP, threshold, target);
  const params: Record<string, unknown> = {
    algo,
    ...model.params,
    seed,
    validation_fraction: options.validationFraction ?? 0.2,
  };
  const pkg = await buildModelPackage({
    name: options.name,
    model,
    data,
    train,
    validation,
    validationProbabilities: validP,
    threshold,
    metrics: {
      ...validationMetrics,
      train_roc_auc: trainMetrics.roc_auc,
      train_log_loss: trainMetrics.log_loss,
      train_rows: train.rows,
    },
    params,
    views: options.views,
    acceptedFields: options.acceptedFields,
    createdAt: options.createdAt,
  });
  const t3 = performance.now();
  const report: TrainReport = {
    name: options.name,
    algo,
    source: data.source,
    rows: data.rows,
    trainRows: train.rows,
    validationRows: validation.rows,
    features: data.inputs.map((i) => i.name),
    params,
    validation: validationMetrics,
    train: trainMetrics,
    timings: { loadMs: t1 - t0, trainMs: t2 - t1, packageMs: t3 - t2, totalMs: t3 - t0 },
  };
  return { pkg, report };
}
