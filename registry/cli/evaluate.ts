/**
 * `deno task model:evaluate --model fraud_detector --labels <csv|jsonl>`
 * `deno task model:evaluate --model fraud_detector --data <csv|jsonl> [--label is_fraud]`
 *
 * Scores champion and challenger on the same held-out point-in-time set:
 * with `--labels` (entity id, timestamp, label, optional event_id) the rows
 * are built from the feature store as of each label's time (Postgres when
 * `DATABASE_URL` is set, else the embedded PGlite under `DATA_DIR`), with the
 * feature repository's views (`--repo DIR`, `--example NAME`, or the
 * `FEATURE_REPO`/`FEATURE_EXAMPLE` config); with `--data`, a file written by
 * `deno task features:export` or any CSV/JSONL with the models' raw fields or
 * inputs and a label column. Promotes the challenger
 * only when it beats the champion by the margins on PR AUC and on recall at
 * a fixed precision, and logs the decision and both metric sets to MLflow
 * (when `MLFLOW_TRACKING_URI` is set). `--dry-run` decides without promoting.
 *
 * @module
 */
import { parseCommand, runCommand, UsageError } from "../../pipeline/cli/command.ts";
import { join } from "node:path";
import { readTable } from "../../pipeline/train/mod.ts";
import { readLabelsFile } from "../../pipeline/export.ts";
import { pointInTimeRows } from "../../pipeline/training_set.ts";
import {
  type FeatureStore,
  PgliteFeatureStore,
  PostgresFeatureStore,
  type RawValue,
  resolveFeaturesConfig,
  resolveRepository,
} from "../../pipeline/mod.ts";
import { resolveRegistryConfig } from "../config.ts";
import {
  evaluateChampionChallenger,
  type EvaluationPolicy,
  type EvaluationResult,
} from "../evaluate.ts";
import { MlflowRegistry } from "../mlflow.ts";
import { sha256Hex } from "../../pipeline/sha256.ts";
import type { ModelControl } from "../operations.ts";
import { createSyncService, type SyncService } from "../wiring.ts";
import { resolveModelControl } from "./model.ts";

/** Parsed options of the command. */
export interface EvaluateArgs {
  model: string;
  /** A held-out file with a label column (`--data`). */
  data?: string;
  /** A labels file; rows are built from the feature store (`--labels`). */
  labels?: string;
  label: string;
  policy: EvaluationPolicy;
  dryRun: boolean;
  /** The feature repository of `--labels` (`--repo`, `--example`; default from the config). */
  repo?: string;
  example?: string;
  /** Promote although the challenger's inputs differ from the champion's. */
  force?: boolean;
}

const USAGE = `Usage: deno task model:evaluate [--model fraud_detector]
  (--labels <csv|jsonl> | --data <csv|jsonl> [--label is_fraud])
  [--precision 0.9] [--min-pr-auc-gain 0.005] [--min-recall-gain 0.005] [--dry-run] [--force]
  [--repo DIR | --example NAME (the feature repository of --labels; default FEATURE_REPO /
  FEATURE_EXAMPLE, else fraud)]
  Scores champion and challenger on one held-out set and promotes the challenger when it wins
  by the margins (on the running platform when one runs on DATA_DIR, as model:promote does);
  --force promotes even when the challenger's inputs differ from the champion's.`;

/** Parses argv; throws a `UsageError` on bad input. */
export function parseEvaluateArgs(args: string[]): EvaluateArgs {
  const { values } = parseCommand(USAGE, args, {
    model: { type: "string", default: "fraud_detector" },
    data: { type: "string" },
    labels: { type: "string" },
    label: { type: "string", default: "is_fraud" },
    precision: { type: "string", default: "0.9" },
    "min-pr-auc-gain": { type: "string", default: "0.005" },
    "min-recall-gain": { type: "string", default: "0.005" },
    "dry-run": { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    repo: { type: "string" },
    example: { type: "string" },
  });
  if (!values.data === !values.labels) {
    throw new UsageError(
      "Missing --labels <csv|jsonl> (point-in-time rows from the feature store) or --data <csv|jsonl> (a held-out set), give one",
    );
  }
  const num = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!(n >= min && n <= max)) {
      throw new UsageError(`--${name} must be in [${min}, ${max}], got '${v}'`);
    }
    return n;
  };
  return {
    model: values.model!,
    data: values.data,
    labels: values.labels,
    label: values.labels ? "label" : values.label!,
    dryRun: values["dry-run"]!,
    repo: values.repo,
    example: values.example,
    force: values.force,
    policy: {
      precision: num("precision", values.precision!, 0.01, 1),
      minPrAucGain: num("min-pr-auc-gain", values["min-pr-auc-gain"]!, 0, 1),
      minRecallGain: num("min-recall-gain", values["min-recall-gain"]!, 0, 1),
    },
  };
}

/** Runs the evaluation (and the promotion when earned); returns the result. */
export async function runEvaluate(
  args: EvaluateArgs,
  service: SyncService,
  openStore: () => FeatureStore = storeFromEnv,
  control?: ModelControl,
): Promise<EvaluationResult> {
  const champion = await service.registry.getPackage(args.model, "champion");
  const challenger = await service.registry.getPackage(args.model, "challenger");
  const source = args.labels ?? args.data!;
  const { records, labels, text } = args.labels
    ? await pointInTimeSet(args, openStore)
    : await fileSet(args.data!, args.label);
  const result = await evaluateChampionChallenger(
    champion,
    challenger,
    records,
    labels,
    args.policy,
    { text },
  );
  const promoted = result.promote && !args.dryRun;
  // Promote first: a refused promotion (inputs change without --force) logs nothing.
  if (promoted) {
    if (control) await control.promote(args.model, { force: args.force });
    else await service.rollout.promote(args.model);
  }
  if (service.registry instanceof MlflowRegistry) {
    await logToMlflow(
      service.registry,
      args,
      result,
      promoted,
      await sha256Hex(await Deno.readFile(source)),
    );
  }
  return result;
}

/** The feature store of the features config: Postgres with DATABASE_URL, else PGlite. */
function storeFromEnv(): FeatureStore {
  const config = resolveFeaturesConfig();
  return config.databaseUrl
    ? new PostgresFeatureStore(config.databaseUrl)
    : new PgliteFeatureStore(join(config.dataDir, "pglite"));
}

interface HeldOut {
  records: Record<string, RawValue>[];
  labels: number[];
  /** Records are CSV text cells. */
  text?: boolean;
}

async function fileSet(path: string, label: string): Promise<HeldOut> {
  const table = await readTable(path);
  if (!table.columns.includes(label)) {
    throw new Error(`Cannot evaluate on '${path}': no label column '${label}'`);
  }
  const labels = table.records.map((r, i) => {
    const y = Number(r[label]);
    if (y !== 0 && y !== 1) {
      throw new Error(
        `Cannot evaluate on '${path}': row ${i + 1} label '${r[label]}' is not 0 or 1`,
      );
    }
    return y;
  });
  return { records: table.records, labels, text: table.text };
}

/** Point-in-time rows for a labels file, from the feature store, with the repository's views. */
async function pointInTimeSet(
  args: EvaluateArgs,
  openStore: () => FeatureStore,
): Promise<HeldOut> {
  const choice = args.repo !== undefined || args.example !== undefined
    ? { repo: args.repo, example: args.example }
    : resolveFeaturesConfig().repository;
  const repository = await resolveRepository(choice);
  const store = openStore();
  try {
    await store.migrate();
    const labelRows = await readLabelsFile(repository, args.labels!);
    const records: Record<string, RawValue>[] = [];
    for await (const chunk of pointInTimeRows(store, repository, labelRows)) {
      for (const row of chunk) records.push(row as Record<string, RawValue>);
    }
    return { records, labels: records.map((r) => Number(r.label)) };
  } finally {
    await store.close();
  }
}

async function logToMlflow(
  registry: MlflowRegistry,
  args: EvaluateArgs,
  result: EvaluationResult,
  promoted: boolean,
  dataSha: string,
): Promise<void> {
  const run = await registry.createRun(`evaluate-${args.model}`, {
    "platform.kind": "evaluate",
    "platform.model": args.model,
    "platform.decision": result.promote ? "promote" : "keep",
  });
  const metrics = (["champion", "challenger"] as const).flatMap((who) =>
    (["pr_auc", "roc_auc", "recall_at_precision"] as const).map((k) => ({
      key: `${who}.${k}`,
      value: Number.isFinite(result[who][k]) ? result[who][k] : 0,
      timestamp: Date.now(),
      step: 0,
    }))
  );
  const params = {
    model: args.model,
    champion_version: result.champion.version,
    challenger_version: result.challenger.version,
    data: args.labels ? `feature store, labels ${args.labels}` : args.data!,
    data_sha256: dataSha,
    rows: String(result.rows),
    positives: String(result.positives),
    precision: String(args.policy.precision),
    min_pr_auc_gain: String(args.policy.minPrAucGain),
    min_recall_gain: String(args.policy.minRecallGain),
    decision: result.promote ? "promote" : "keep",
    promoted: String(promoted),
  };
  await registry.client.post("runs/log-batch", {
    run_id: run.info.run_id,
    metrics,
    params: Object.entries(params).map(([key, value]) => ({ key, value: value.slice(0, 6000) })),
  });
  await registry.client.putArtifact(
    `${run.info.artifact_uri.replace(/\/+$/, "")}/evaluation.json`,
    JSON.stringify(
      { ...result, promoted, data: args.data, labels: args.labels, data_sha256: dataSha },
      null,
      2,
    ),
  );
  await registry.finishRun(run.info.run_id, "FINISHED");
}

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    const args = parseEvaluateArgs(Deno.args);
    const service = createSyncService(resolveRegistryConfig(), { log: () => {} });
    const control = await resolveModelControl(Deno.env.toObject());
    const result = await runEvaluate(args, service, storeFromEnv, control);
    console.log(JSON.stringify(result, null, 2));
    console.log(
      result.promote
        ? args.dryRun
          ? "Decision: promote (dry run, nothing changed)"
          : `Decision: promoted the challenger (${control.target})`
        : `Decision: keep the champion (${result.reasons.join("; ")})`,
    );
  });
}
