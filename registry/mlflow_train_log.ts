/**
 * Logs a training run to MLflow and registers its model: params, metrics,
 * the training report, the model directory (`MLmodel` with the onnx flavor
 * and a signature, `model.onnx`, `manifest.json`), a new model version, and
 * alias `challenger`. `deno task train ... --register` calls it.
 *
 * @module
 */
import type { ModelManifest } from "../schemas/manifest.ts";
import { MlflowRegistry, type MlflowRegistryOptions } from "./mlflow.ts";
import type { ModelPackage } from "./port.ts";
import { checkIncomingPackage } from "./_package.ts";

/** Where and how to log. */
export interface MlflowTrainLogConfig extends MlflowRegistryOptions {
  /** Alias set on the new version (default `challenger`; empty string → none). */
  alias?: string;
  /** Run name (default `train-<model>`). */
  runName?: string;
}

/** What {@linkcode logAndRegisterModel} logs. */
export interface LogAndRegisterInput {
  pkg: ModelPackage;
  /** The trainer's report (JSON-serialisable); its `params` and `metrics` are logged too. */
  report?: unknown;
  config: MlflowTrainLogConfig;
}

/** What was created in MLflow. */
export interface LogAndRegisterResult {
  runId: string;
  version: string;
  /** `models:/<name>/<version>`. */
  modelUri: string;
  manifest: ModelManifest;
}

const KEY_PATTERN = /[^\w\-./ ]/g;

/** Logs the run, uploads the model directory, registers a version and sets the alias. */
export async function logAndRegisterModel(
  input: LogAndRegisterInput,
): Promise<LogAndRegisterResult> {
  const manifest = await checkIncomingPackage(input.pkg);
  const registry = new MlflowRegistry(input.config);
  const run = await registry.createRun(input.config.runName ?? `train-${manifest.name}`, {
    "platform.model": manifest.name,
    "platform.framework": manifest.framework,
    "platform.training_data.fingerprint": manifest.training_data.fingerprint,
  });
  const runId = run.info.run_id;
  try {
    await logParamsAndMetrics(registry, runId, manifest, input.report);
    const root = run.info.artifact_uri.replace(/\/+$/, "");
    await registry.client.putArtifact(
      `${root}/training_report.json`,
      JSON.stringify(input.report ?? {}, null, 2) + "\n",
    );
    const stored = await registry.registerFromRun({ manifest, onnx: input.pkg.onnx }, run);
    const alias = input.config.alias ?? "challenger";
    if (alias !== "") await registry.setAlias(manifest.name, alias, stored.version);
    await registry.finishRun(runId, "FINISHED");
    return {
      runId,
      version: stored.version,
      modelUri: `models:/${manifest.name}/${stored.version}`,
      manifest: stored,
    };
  } catch (error) {
    await registry.finishRun(runId, "FAILED").catch(() => {});
    throw error;
  }
}

/** Logs params (manifest + report) and numeric metrics (flattened) in batches. */
async function logParamsAndMetrics(
  registry: MlflowRegistry,
  runId: string,
  manifest: ModelManifest,
  report: unknown,
): Promise<void> {
  const reportObject = isRecord(report) ? report : {};
  const params = new Map<string, string>();
  const addParams = (record: unknown) => {
    if (!isRecord(record)) return;
    for (const [k, v] of Object.entries(record)) {
      if (v === undefined) continue;
      const text = typeof v === "string" ? v : JSON.stringify(v);
      params.set(k.replace(KEY_PATTERN, "_").slice(0, 250), text.slice(0, 6000));
    }
  };
  addParams(manifest.params);
  addParams(reportObject.params);
  params.set("inputs", String(manifest.inputs.length));
  params.set("threshold", String(manifest.threshold));
  params.set("training_rows", String(manifest.training_data.rows));

  const metrics = new Map<string, number>();
  flattenNumbers(manifest.metrics, "", metrics);
  flattenNumbers(reportObject.metrics, "", metrics);

  const timestamp = Date.now();
  const paramList = [...params].map(([key, value]) => ({ key, value }));
  const metricList = [...metrics].map(([key, value]) => ({ key, value, timestamp, step: 0 }));
  // MLflow accepts at most 100 params and 1000 metrics per log-batch call.
  for (let i = 0; i < Math.max(paramList.length, 1); i += 100) {
    await registry.client.post("runs/log-batch", {
      run_id: runId,
      params: paramList.slice(i, i + 100),
      metrics: i === 0 ? metricList.slice(0, 1000) : [],
    });
  }
  for (let i = 1000; i < metricList.length; i += 1000) {
    await registry.client.post("runs/log-batch", {
      run_id: runId,
      metrics: metricList.slice(i, i + 1000),
    });
  }
}

function flattenNumbers(value: unknown, prefix: string, out: Map<string, number>, depth = 0) {
  if (depth > 4) return;
  if (typeof value === "number" && Number.isFinite(value) && prefix !== "") {
    out.set(prefix.replace(KEY_PATTERN, "_").slice(0, 250), value);
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      flattenNumbers(v, prefix === "" ? k : `${prefix}.${k}`, out, depth + 1);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
