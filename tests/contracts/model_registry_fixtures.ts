/**
 * Model packages and helpers shared by the registry's integration tests:
 * real ONNX graphs (a logistic regression exported by `pipeline/onnx`) with
 * golden rows, and the Python interpreter of the cached MLflow virtualenv.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { ModelManifest } from "../../schemas/manifest.ts";
import type { ModelPackage } from "../../registry/port.ts";
import { logregToOnnx } from "../../pipeline/onnx/mod.ts";
import type { LogregModel } from "../../pipeline/train/logreg.ts";
import { MLFLOW_VERSION } from "../../deploy/services/mlflow.ts";

/** Options of {@linkcode onnxPackage}. */
export interface OnnxPackageOptions {
  /** Number of features in the ONNX graph (default 3). */
  graphFeatures?: number;
  /** Number of inputs declared in the manifest (default = graphFeatures). */
  manifestInputs?: number;
  /** Weight scale; different seeds give different models. */
  seed?: number;
  /** Offset added to the golden probabilities (to simulate a skewed export). */
  goldenSkew?: number;
  featureView?: ModelManifest["feature_view"];
  inputNames?: string[];
  /** Explicit weights and bias (default derived from `seed`). */
  weights?: number[];
  bias?: number;
}

/** A real, valid ONNX package (LinearClassifier) with 8 golden rows. */
export function onnxPackage(name: string, options: OnnxPackageOptions = {}): ModelPackage {
  const features = options.graphFeatures ?? 3;
  const declared = options.manifestInputs ?? features;
  const seed = options.seed ?? 1;
  const weights = options.weights
    ? Float32Array.from(options.weights)
    : Float32Array.from({ length: features }, (_, i) => ((i + 1) * seed) / 10);
  const bias = options.bias ?? -0.25 * seed;
  const model = {
    kind: "logreg",
    features,
    weights,
    bias,
    mean: new Float64Array(features),
    scale: new Float64Array(features).fill(1),
    iterations: 0,
    params: {},
  } as unknown as LogregModel;
  const onnx = logregToOnnx(model);
  const rows = Array.from(
    { length: 8 },
    (_, r) =>
      Array.from({ length: features }, (_, f) => Math.fround(((r * 7 + f * 3) % 11) / 5 - 1)),
  );
  const probabilities = rows.map((row) => {
    let z = Math.fround(bias);
    for (let f = 0; f < features; f++) z += Math.fround(weights[f]) * row[f];
    const p = 1 / (1 + Math.exp(-z)) + (options.goldenSkew ?? 0);
    return [1 - p, p];
  });
  const names = options.inputNames ?? Array.from({ length: declared }, (_, i) => `f${i}`);
  const manifest: ModelManifest = {
    format_version: 1,
    name,
    version: "0",
    created_at: new Date().toISOString(),
    sha256: createHash("sha256").update(onnx).digest("hex"),
    framework: "platform-logreg",
    input_name: "input",
    inputs: names.slice(0, declared).map((n) => ({ name: n, dtype: "float32" as const })),
    outputs: { label: "label", probabilities: "probabilities" },
    classes: [0, 1],
    threshold: 0.5,
    request_features: [],
    out_of_range: "flag",
    metrics: { pr_auc: 0.5, roc_auc: 0.7 },
    training_data: { fingerprint: "0".repeat(64), rows: 100, source: "fixture" },
    feature_view: options.featureView,
    golden: { rows: rows.map((r) => r.slice(0, declared)), probabilities },
    params: { seed },
  };
  return { manifest, onnx };
}

/**
 * The Python of the cached MLflow virtualenv (`deno task services:up mlflow`
 * creates it), with scikit-learn, skl2onnx, onnx and onnxruntime installed
 * on first use (cached with the venv).
 */
export async function mlflowPython(): Promise<string> {
  const home = Deno.env.get("HOME") ?? "/tmp";
  const venv = `${home}/.cache/rtml/mlflow-venv-${MLFLOW_VERSION}`;
  const python = `${venv}/bin/python`;
  const probe = await new Deno.Command(python, {
    args: ["-c", "import mlflow, sklearn, skl2onnx, onnx, onnxruntime"],
    stdout: "null",
    stderr: "null",
  }).output();
  if (probe.code === 0) return python;
  console.log(`[registry tests] installing scikit-learn skl2onnx onnx onnxruntime into ${venv}`);
  const install = await new Deno.Command(`${venv}/bin/pip`, {
    args: [
      "install",
      "-q",
      "--disable-pip-version-check",
      "scikit-learn",
      "skl2onnx",
      "onnx",
      "onnxruntime",
    ],
  }).output();
  if (install.code !== 0) {
    throw new Error(
      `Cannot install the Python fixture packages into ${venv}: ${
        new TextDecoder().decode(install.stderr)
      }`,
    );
  }
  return python;
}

/** Runs `tests/fixtures/mlflow/log_sklearn_model.py`; returns its JSON line. */
export async function logSklearnModel(
  trackingUri: string,
  args: { name: string; alias?: string; manifestLocation?: "model" | "run"; seed?: number },
): Promise<{ name: string; version: string; run_id: string; sha256: string }> {
  const script = new URL("../fixtures/mlflow/log_sklearn_model.py", import.meta.url).pathname;
  const out = await new Deno.Command(await mlflowPython(), {
    args: [
      script,
      "--tracking-uri",
      trackingUri,
      "--name",
      args.name,
      "--alias",
      args.alias ?? "",
      "--manifest-location",
      args.manifestLocation ?? "model",
      "--seed",
      String(args.seed ?? 7),
    ],
    env: { MLFLOW_ENABLE_ASYNC_LOGGING: "false", PYTHONWARNINGS: "ignore" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  if (out.code !== 0) {
    throw new Error(
      `log_sklearn_model.py failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`,
    );
  }
  return JSON.parse(stdout.split("\n").at(-1)!);
}
