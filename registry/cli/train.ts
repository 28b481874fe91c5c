/**
 * `deno task train`: trains a binary classifier on a CSV or JSONL file,
 * prints progress and the validation metrics, and writes the package into
 * the local registry (optionally setting an alias and registering it in
 * MLflow). On bad input it exits non-zero with the message and writes
 * nothing.
 *
 * ```sh
 * deno task train --data pipeline/demo_data/fraud_detection.csv --label label \
 *   --model fraud_detector --alias champion
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { ModelInputSchema } from "../../schemas/manifest.ts";
import { PlatformError } from "../../schemas/errors.ts";
import { LocalRegistry } from "../local.ts";
import { mlflowOptionsFrom, resolveRegistryConfig } from "../config.ts";
import { logAndRegisterModel } from "../mlflow_train_log.ts";
import { MlflowRegistry } from "../mlflow.ts";
import type { ModelRegistry } from "../port.ts";
import {
  type Algorithm,
  TrainError,
  trainModel,
  type TrainReport,
} from "../../pipeline/train/mod.ts";
import { type ModelFeatures, resolveRepository } from "../../pipeline/definitions/mod.ts";
import { Progress } from "../../pipeline/cli/progress.ts";

const USAGE = `Usage: deno task train --data <csv|jsonl> --label <column> --model <name>
  [--algo gbdt|logreg] [--features a,b,c] [--transforms <json file>]
  [--trees N] [--depth N] [--lr X] [--min-leaf N] [--subsample X] [--max-bins N]
  [--l2 X] [--seed N] [--threshold X]
  [--repo DIR | --example NAME (with --features: the repository's features, for serving)]
  [--registry-dir DIR (default $REGISTRY_DIR or $DATA_DIR/registry)]
  [--alias NAME] [--register (also log and register in MLflow, $MLFLOW_TRACKING_URI)]`;

/** Where the CLI writes (tests pass their own). */
export interface CliOutput {
  log(line: string): void;
  error(line: string): void;
}

function invalid(message: string): never {
  throw new TrainError("training_options_invalid", message);
}

function number(flag: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    invalid(`Invalid --${flag}: '${value}' is not ${integer ? "an integer" : "a number"}`);
  }
  return n;
}

const TransformsFileSchema = z.union([
  z.array(ModelInputSchema),
  z.object({ inputs: z.array(ModelInputSchema) }).transform((o) => o.inputs),
]);

async function readTransforms(path: string | undefined) {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    throw new TrainError(
      "training_options_invalid",
      `Cannot read transforms '${path}': ${(cause as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new TrainError(
      "training_options_invalid",
      `Cannot read transforms '${path}': not valid JSON`,
      { cause },
    );
  }
  const parsed = TransformsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    invalid(`Cannot read transforms '${path}': ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}

/** The metrics table printed after training. */
export function formatReport(report: TrainReport): string {
  const rows: [string, string, string][] = [
    ["ROC AUC", fmt(report.train.roc_auc), fmt(report.validation.roc_auc)],
    ["PR AUC", fmt(report.train.pr_auc), fmt(report.validation.pr_auc)],
    ["log loss", fmt(report.train.log_loss), fmt(report.validation.log_loss)],
    [
      `precision @${report.validation.threshold}`,
      fmt(report.train.precision),
      fmt(report.validation.precision),
    ],
    [
      `recall @${report.validation.threshold}`,
      fmt(report.train.recall),
      fmt(report.validation.recall),
    ],
    [`F1 @${report.validation.threshold}`, fmt(report.train.f1), fmt(report.validation.f1)],
    ["accuracy", fmt(report.train.accuracy), fmt(report.validation.accuracy)],
    [
      `recall @precision ${report.validation.precision_target}`,
      fmt(report.train.recall_at_precision),
      fmt(report.validation.recall_at_precision),
    ],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const cm = report.validation.confusion_matrix;
  return [
    `${"metric".padEnd(w)}  ${"train".padStart(8)}  ${"validation".padStart(10)}`,
    ...rows.map(([k, a, b]) => `${k.padEnd(w)}  ${a.padStart(8)}  ${b.padStart(10)}`),
    `confusion matrix (validation): tn ${cm.tn}  fp ${cm.fp}  fn ${cm.fn}  tp ${cm.tp}`,
    `rows: ${report.trainRows} train, ${report.validationRows} validation; ` +
    `training ${report.timings.trainMs.toFixed(0)} ms, total ${
      report.timings.totalMs.toFixed(0)
    } ms`,
  ].join("\n");
}

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      options: {
        data: { type: "string" },
        label: { type: "string" },
        model: { type: "string" },
        algo: { type: "string" },
        features: { type: "string" },
        transforms: { type: "string" },
        trees: { type: "string" },
        depth: { type: "string" },
        lr: { type: "string" },
        "min-leaf": { type: "string" },
        subsample: { type: "string" },
        "max-bins": { type: "string" },
        l2: { type: "string" },
        seed: { type: "string" },
        threshold: { type: "string" },
        "registry-dir": { type: "string" },
        repo: { type: "string" },
        example: { type: "string" },
        alias: { type: "string" },
        register: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (cause) {
    return invalid(`${(cause as Error).message}\n${USAGE}`);
  }
}

async function hasChampion(registry: ModelRegistry, name: string): Promise<boolean> {
  try {
    return "champion" in await registry.getAliases(name);
  } catch (error) {
    if (error instanceof PlatformError && error.code === "model_not_found") return false;
    throw error;
  }
}

/** Runs the CLI; returns the exit code. `env` defaults to the process environment. */
export async function runTrainCli(
  args: string[],
  env?: Record<string, string | undefined>,
  out: CliOutput = console,
): Promise<number> {
  try {
    const v = parse(args);
    if (v.help) {
      out.log(USAGE);
      return 0;
    }
    const missing = (["data", "label", "model"] as const).filter((k) => !v[k]);
    if (missing.length > 0) invalid(`Missing ${missing.map((m) => `--${m}`).join(", ")}\n${USAGE}`);
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(v.model!)) invalid(`Invalid --model: '${v.model}'`);
    if (v.alias !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(v.alias)) {
      invalid(`Invalid --alias: '${v.alias}'`);
    }
    const algo = (v.algo ?? "gbdt") as Algorithm;
    if (algo !== "gbdt" && algo !== "logreg") {
      invalid(`Invalid --algo: '${v.algo}' (expected gbdt or logreg)`);
    }
    const config = resolveRegistryConfig(env);
    const mlflow = v.register ? mlflowOptionsFrom(config) : undefined;
    if (v.register && !mlflow) invalid("Cannot use --register: MLFLOW_TRACKING_URI is not set");
    const seed = number("seed", v.seed, true) ?? 42;
    const trees = number("trees", v.trees, true) ?? 100;
    const features = v.features?.split(",").map((s) => s.trim()).filter((s) => s !== "");
    // With a feature repository, the features are its own: their dtypes, domains and
    // transforms, and the views the edge reads them from, go into the manifest.
    let model: ModelFeatures | undefined;
    if (v.repo !== undefined || v.example !== undefined) {
      if (!features) invalid("Missing --features: name the repository's features the model reads");
      if (v.transforms) {
        invalid("Cannot use --transforms with --repo/--example: the repository defines them");
      }
      const repo = await resolveRepository({ repo: v.repo, example: v.example });
      model = repo.modelFeatures(features);
    }
    const progress = new Progress({
      label: "train",
      unit: algo === "gbdt" ? "trees" : "iterations",
      total: algo === "gbdt" ? trees : undefined,
    });
    let lastLoss = Number.NaN;
    const { pkg, report } = await trainModel({
      data: v.data!,
      label: v.label!,
      name: v.model!,
      algo,
      features: model ? undefined : features,
      inputs: model?.inputs ?? await readTransforms(v.transforms),
      requestFeatures: model?.requestFeatures,
      views: model?.views,
      acceptedFields: model?.acceptedFields,
      seed,
      threshold: number("threshold", v.threshold),
      gbdt: {
        nTrees: trees,
        maxDepth: number("depth", v.depth, true),
        learningRate: number("lr", v.lr),
        minLeaf: number("min-leaf", v["min-leaf"], true),
        subsample: number("subsample", v.subsample),
        maxBins: number("max-bins", v["max-bins"], true),
        seed,
      },
      logreg: { l2: number("l2", v.l2) },
      onProgress: (p) => {
        lastLoss = p.trainLoss;
        progress.update(p.tree);
      },
    });
    progress.stop();
    if (progress.count > 0) {
      out.log(`train: ${progress.summary()}, final train log loss ${lastLoss.toFixed(4)}`);
    }
    out.log(
      `${report.algo} on ${report.source}: ${report.rows} rows, ${report.features.length} features (${
        report.features.join(", ")
      })`,
    );
    out.log(formatReport(report));
    const registry = new LocalRegistry({ root: v["registry-dir"] ?? config.registryDir });
    const stored = await registry.register(pkg);
    out.log(
      `Registered ${stored.name} version ${stored.version} in ${registry.root} (sha256 ${
        stored.sha256.slice(0, 12)
      })`,
    );
    if (v.alias) {
      await registry.setAlias(stored.name, v.alias, stored.version);
      out.log(`Alias ${v.alias} → ${stored.name} version ${stored.version}`);
    }
    if (!("champion" in await registry.getAliases(stored.name))) {
      // A model is served by its champion by default: the first version of a
      // new model becomes it, so it answers /predict without naming a version.
      await registry.setAlias(stored.name, "champion", stored.version);
      out.log(
        `Alias champion → ${stored.name} version ${stored.version} (the model had no champion; ` +
          `later versions need deno task model:promote)`,
      );
    }
    if (mlflow) {
      // As locally: the first version of a model new to MLflow becomes its champion
      // (later ones get `challenger`, which registry:sync rolls out as a canary).
      const alias = v.alias ??
        (await hasChampion(new MlflowRegistry(mlflow), stored.name) ? undefined : "champion");
      const result = await logAndRegisterModel({
        pkg,
        report,
        config: { ...mlflow, ...(alias ? { alias } : {}) },
      });
      out.log(
        `MLflow: run ${result.runId}, ${result.modelUri}${alias ? ` (alias ${alias})` : ""}`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof PlatformError) {
      out.error(`error: ${error.message}`);
      return error.code === "training_options_invalid" || error.code === "config_invalid" ? 2 : 1;
    }
    out.error(`error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await runTrainCli(Deno.args));
