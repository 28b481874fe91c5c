/**
 * From the feature store to MLflow: a point-in-time training set of the
 * use case's labels exported from Postgres (the `features:export` code
 * path; labels by event id, each row as of its event's time), two models
 * trained on it with the use case's inputs (a logistic-regression baseline
 * and gradient boosted trees), both logged and registered in MLflow.
 *
 * @module
 */
import { join } from "node:path";
import { exportTrainingSet } from "../../../pipeline/export.ts";
import type { FeatureRepository, FeatureStore, LabelRow } from "../../../pipeline/mod.ts";
import { type Algorithm, trainModel, type TrainReport } from "../../../pipeline/train/mod.ts";
import { logAndRegisterModel } from "../../../registry/mod.ts";

/** The exported set. */
export interface ExportedSet {
  path: string;
  rows: number;
  positives: number;
  ms: number;
}

/** Exports the point-in-time rows of `labels` from the store to `<dir>/<file>` (CSV). */
export async function exportSet(
  store: FeatureStore,
  repository: FeatureRepository,
  labels: LabelRow[],
  dir: string,
  file: string,
): Promise<ExportedSet> {
  const path = join(dir, file);
  const t0 = performance.now();
  const rows = await exportTrainingSet(store, repository, labels, path);
  return {
    path,
    rows,
    positives: labels.filter((l) => l.label === 1).length,
    ms: performance.now() - t0,
  };
}

/** One trained and registered candidate. */
export interface Candidate {
  algo: Algorithm;
  version: string;
  runId: string;
  report: TrainReport;
}

/** What a candidate is trained on and registered as. */
export interface CandidateSpec {
  set: ExportedSet;
  repository: FeatureRepository;
  /** Input names (request-time and view features of `repository`). */
  features: readonly string[];
  model: string;
  algo: Algorithm;
  alias: string;
  mlflow: { trackingUri: string };
}

/**
 * Trains `algo` on the exported set with `features` (the manifest carries
 * their definitions: request-time transforms, so raw requests work at the
 * edge, and the views they read) and logs and registers it in MLflow under
 * `model` with `alias`.
 */
export async function trainAndRegister(spec: CandidateSpec): Promise<Candidate> {
  const features = spec.repository.modelFeatures(spec.features);
  const { pkg, report } = await trainModel({
    data: spec.set.path,
    label: "label",
    name: spec.model,
    algo: spec.algo,
    inputs: features.inputs,
    requestFeatures: features.requestFeatures,
    views: features.views,
    acceptedFields: features.acceptedFields,
  });
  const stored = await logAndRegisterModel({
    pkg,
    report,
    config: {
      trackingUri: spec.mlflow.trackingUri,
      alias: spec.alias,
      runName: `demo-${spec.algo}`,
    },
  });
  return { algo: spec.algo, version: stored.version, runId: stored.runId, report };
}
