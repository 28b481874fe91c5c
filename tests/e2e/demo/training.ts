/**
 * From the feature store to MLflow: labels by the reference's rule for each
 * ingested event, a point-in-time training set exported from Postgres (the
 * `features:export` code path), two models trained on it with the
 * reference's eight inputs (a logistic-regression baseline and gradient
 * boosted trees), both logged and registered in MLflow.
 *
 * @module
 */
import { join } from "node:path";
import { exportTrainingSet } from "../../../pipeline/export.ts";
import { type FeatureStore, loadExample } from "../../../pipeline/mod.ts";
import type { LabelRow } from "../../../pipeline/training_set.ts";
import {
  CHAMPION_FEATURES,
  gaussian,
  referenceLabel,
} from "../../../pipeline/examples/fraud/training.ts";
import { type Algorithm, trainModel, type TrainReport } from "../../../pipeline/train/mod.ts";
import { logAndRegisterModel } from "../../../registry/mod.ts";
import type { DemoEvent } from "./events.ts";

/** Labels by the reference's rule (seeded noise), one per event at the event's own time. */
export function referenceLabels(events: readonly DemoEvent[], seed = 42): LabelRow[] {
  const noise = gaussian(seed);
  return events
    .map((e) => ({ e, t: Date.parse(e.timestamp) }))
    .sort((a, b) => a.t - b.t || a.e.event_id.localeCompare(b.e.event_id))
    .map(({ e, t }) => ({
      keys: { user_id: e.user_id },
      timeMs: t,
      eventId: e.event_id,
      label: referenceLabel(e.merchant_category ?? "unknown", e.amount, t, noise()),
    }));
}

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
  labels: LabelRow[],
  dir: string,
  file: string,
): Promise<ExportedSet> {
  const path = join(dir, file);
  const t0 = performance.now();
  const rows = await exportTrainingSet(store, loadExample("fraud"), labels, path);
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

/**
 * Trains `algo` on the exported set with the reference's eight inputs (event
 * ones carry their transforms, so raw requests work at the edge) and logs
 * and registers it in MLflow under `model` with `alias`.
 */
export async function trainAndRegister(
  set: ExportedSet,
  model: string,
  algo: Algorithm,
  alias: string,
  mlflow: { trackingUri: string },
): Promise<Candidate> {
  const features = loadExample("fraud").modelFeatures(CHAMPION_FEATURES);
  const { pkg, report } = await trainModel({
    data: set.path,
    label: "label",
    name: model,
    algo,
    inputs: features.inputs,
    requestFeatures: features.requestFeatures,
    views: features.views,
    acceptedFields: features.acceptedFields,
  });
  const stored = await logAndRegisterModel({
    pkg,
    report,
    config: { trackingUri: mlflow.trackingUri, alias, runName: `demo-${algo}` },
  });
  return { algo, version: stored.version, runId: stored.runId, report };
}
