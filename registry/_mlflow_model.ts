/**
 * The MLflow model directory our packages are logged as: `MLmodel` (onnx
 * flavor + signature), `model.onnx` and `manifest.json`.
 *
 * @module
 */
import type { ModelManifest } from "../schemas/manifest.ts";
import type { MlflowClient } from "./_mlflow_client.ts";
import type { ModelPackage } from "./port.ts";

/** Tag on model versions carrying the sha256 of `model.onnx`. */
export const SHA256_TAG = "platform.sha256";
/** Tag on model versions carrying the platform's manifest format. */
export const FORMAT_TAG = "platform.manifest_format";

/** Renders the `MLmodel` YAML of a package (onnx + python_function flavors). */
export function renderMlmodel(
  manifest: ModelManifest,
  options: { runId: string; artifactPath: string; createdAt?: Date },
): string {
  const inputs = pythonJson([{
    type: "tensor",
    "tensor-spec": { dtype: "float32", shape: [-1, manifest.inputs.length] },
    name: manifest.input_name,
  }]);
  const outputs = pythonJson([
    {
      type: "tensor",
      "tensor-spec": { dtype: "int64", shape: [-1] },
      name: manifest.outputs.label,
    },
    {
      type: "tensor",
      "tensor-spec": { dtype: "float32", shape: [-1, manifest.classes.length] },
      name: manifest.outputs.probabilities,
    },
  ]);
  const created = (options.createdAt ?? new Date()).toISOString().replace("T", " ").replace(
    "Z",
    "",
  );
  // Signature entries are JSON strings inside YAML, exactly as MLflow writes them.
  return [
    `artifact_path: ${options.artifactPath}`,
    "flavors:",
    "  onnx:",
    "    code: null",
    "    data: model.onnx",
    "    onnx_version: 1.17.0",
    "    providers:",
    "    - CPUExecutionProvider",
    "  python_function:",
    "    data: model.onnx",
    "    loader_module: mlflow.onnx",
    "    python_version: 3.11.0",
    "metadata:",
    `  platform_manifest: manifest.json`,
    `  framework: ${yamlString(manifest.framework)}`,
    `model_uuid: ${crypto.randomUUID().replaceAll("-", "")}`,
    `run_id: ${options.runId}`,
    "signature:",
    `  inputs: ${yamlString(inputs)}`,
    `  outputs: ${yamlString(outputs)}`,
    "  params: null",
    `utc_time_created: '${created}'`,
    "",
  ].join("\n");
}

/** JSON with Python's `json.dumps` separators, as MLflow writes signatures. */
function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`);
    return `{${entries.join(", ")}}`;
  }
  return JSON.stringify(value);
}

function yamlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Uploads the model directory of `pkg` under `dirUri` (an `mlflow-artifacts:` URI). */
export async function uploadModelDir(
  client: MlflowClient,
  dirUri: string,
  pkg: ModelPackage,
  runId: string,
  artifactPath: string,
): Promise<void> {
  const base = dirUri.replace(/\/+$/, "");
  await client.putArtifact(`${base}/model.onnx`, pkg.onnx);
  await client.putArtifact(`${base}/manifest.json`, JSON.stringify(pkg.manifest, null, 2) + "\n");
  await client.putArtifact(`${base}/MLmodel`, renderMlmodel(pkg.manifest, { runId, artifactPath }));
}
