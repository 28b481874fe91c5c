/**
 * Training of binary classifiers in TypeScript: CSV/JSONL loading with
 * precise errors, stratified split, histogram gradient-boosted trees,
 * logistic regression, metrics, and {@linkcode trainModel}, which returns a
 * ready model package (ONNX + manifest) and a report.
 *
 * ```ts
 * import { trainModel } from "./mod.ts";
 * const { pkg, report } = await trainModel({
 *   data: "pipeline/demo_data/fraud_detection.csv",
 *   label: "label",
 *   name: "fraud_detector",
 * });
 * console.log(report.validation.roc_auc);
 * await registry.register(pkg);
 * ```
 *
 * @module
 */
export {
  type Algorithm,
  resolveInputs,
  trainModel,
  type TrainModelOptions,
  type TrainReport,
} from "./train.ts";
export {
  buildDataset,
  type Dataset,
  type DatasetOptions,
  loadDataset,
  parseCsv,
  parseJsonl,
  type RawRecord,
  type RawTable,
  readTable,
  selectRows,
} from "./dataset.ts";
export { type Split, type SplitOptions, stratifiedSplit } from "./split.ts";
export {
  type GbdtModel,
  type GbdtParams,
  type GbdtProgress,
  gbdtRawScores,
  predictGbdt,
  type ResolvedGbdtParams,
  resolveGbdtParams,
  type SplitCriterion,
  trainGbdt,
  type Tree,
} from "./gbdt.ts";
export {
  type LogregModel,
  type LogregParams,
  predictLogreg,
  type ResolvedLogregParams,
  resolveLogregParams,
  trainLogreg,
} from "./logreg.ts";
export {
  averagePrecision,
  type BinaryMetrics,
  type ConfusionMatrix,
  confusionMatrix,
  evaluateBinary,
  logLoss,
  recallAtPrecision,
  rocAuc,
} from "./binary_metrics.ts";
export { binMatrix, type BinnedMatrix } from "./binning.ts";
export { TrainError, type TrainErrorCode, TrainingDataError } from "./errors.ts";
export {
  buildModelPackage,
  featureBaselines,
  fingerprintDataset,
  goldenRows,
  sha256Hex,
} from "../package.ts";
