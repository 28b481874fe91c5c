/**
 * Test fixtures of the edge: small, real ONNX models (a logistic regression
 * graph written without Python) packaged with a valid manifest.
 *
 * @example
 * ```ts
 * import { logisticPackage } from "./edge.ts";
 * const pkg = await logisticPackage({ name: "m", inputs: [{ name: "x" }], weights: [1] });
 * ```
 *
 * @module
 */
import type { ModelInput, ModelManifest } from "../../schemas/manifest.ts";
import { ModelManifestSchema } from "../../schemas/manifest.ts";
import { PREDICT_EXAMPLE } from "../../edge/http/openapi.ts";
import * as w from "./_onnx_writer.ts";
import { loadExample } from "../../pipeline/definitions/load.ts";
import { CHAMPION_FEATURES } from "../../pipeline/examples/fraud/training.ts";

/** Options of {@linkcode logisticOnnx}. */
export interface LogisticOptions {
  /** One weight per input. */
  weights: number[];
  /** Intercept (default 0). */
  bias?: number;
  /** Name of the input tensor (default `input`). */
  inputName?: string;
}

/**
 * The bytes of an ONNX graph computing `p1 = sigmoid(x · w + b)` with
 * outputs `label` (INT64 `[N]`, `p1 > 0.5`) and `probabilities` (FP32
 * `[N, 2]`), as skl2onnx exports a classifier with `zipmap=False`.
 */
export function logisticOnnx(options: LogisticOptions): Uint8Array {
  const f = options.weights.length;
  return w.model({
    nodes: [
      w.node("MatMul", [options.inputName ?? "input", "W"], ["z0"]),
      w.node("Add", ["z0", "B"], ["z"]),
      w.node("Sigmoid", ["z"], ["p1"]),
      w.node("Sub", ["one", "p1"], ["p0"]),
      w.node("Concat", ["p0", "p1"], ["probabilities"], [w.intAttr("axis", 1)]),
      w.node("Greater", ["p1", "half"], ["gt"]),
      w.node("Cast", ["gt"], ["label2d"], [w.intAttr("to", w.ONNX_INT64)]),
      w.node("Squeeze", ["label2d", "axes"], ["label"]),
    ],
    initializers: [
      w.floatTensor("W", [f, 1], options.weights),
      w.floatTensor("B", [1], [options.bias ?? 0]),
      w.floatTensor("one", [1], [1]),
      w.floatTensor("half", [1], [0.5]),
      w.int64Tensor("axes", [1], [1]),
    ],
    inputs: [w.valueInfo(options.inputName ?? "input", w.ONNX_FLOAT, [null, f])],
    outputs: [
      w.valueInfo("label", w.ONNX_INT64, [null]),
      w.valueInfo("probabilities", w.ONNX_FLOAT, [null, 2]),
    ],
  });
}

import { sha256Hex } from "../../pipeline/sha256.ts";

/** Hex sha256 (the platform's one helper, re-exported for tests). */
export { sha256Hex };

/** Options of {@linkcode logisticPackage}. */
export interface LogisticPackageOptions extends LogisticOptions {
  name: string;
  version?: string;
  inputs: Partial<ModelInput>[] & { name: string }[];
  featureView?: ModelManifest["feature_view"];
  /** Manifest format (default 2: inputs typed strictly by their dtype). */
  formatVersion?: 1 | 2;
  threshold?: number;
  baseline?: ModelManifest["baseline"];
}

/** A complete model package (bytes + parsed manifest) of a logistic graph. */
export async function logisticPackage(
  options: LogisticPackageOptions,
): Promise<{ manifest: ModelManifest; onnx: Uint8Array }> {
  const onnx = logisticOnnx(options);
  const manifest = ModelManifestSchema.parse({
    format_version: options.formatVersion ?? 2,
    name: options.name,
    version: options.version ?? "1",
    created_at: "2026-11-28T00:00:00Z",
    sha256: await sha256Hex(onnx),
    framework: "edge-test-logreg",
    input_name: options.inputName ?? "input",
    inputs: options.inputs,
    outputs: { label: "label", probabilities: "probabilities" },
    threshold: options.threshold ?? 0.5,
    training_data: { fingerprint: "test", rows: 0 },
    feature_view: options.featureView,
    baseline: options.baseline,
  });
  return { manifest, onnx };
}

/** The eight inputs of the demo fraud model, in the reference's order (the platform's champion inputs). */
export const DEMO_INPUTS: ModelInput[] =
  loadExample("fraud").modelFeatures(CHAMPION_FEATURES).inputs;

/** The demo feature view reference of test manifests. */
export const DEMO_VIEW_REF = { name: "user_transactions", version: 1, entity_key: "user_id" };

/** Weights of the demo test model (one per {@linkcode DEMO_INPUTS}). */
export const DEMO_WEIGHTS = [0.05, 0, 0, -0.05, 0.001, 0.002, 0.01, 0];

/** A demo-shaped logistic package (8 reference inputs, demo feature view). */
export function demoPackage(
  overrides: Partial<LogisticPackageOptions> = {},
): Promise<{ manifest: ModelManifest; onnx: Uint8Array }> {
  return logisticPackage({
    name: "fraud_detector",
    inputs: DEMO_INPUTS,
    weights: DEMO_WEIGHTS,
    featureView: DEMO_VIEW_REF,
    ...overrides,
  });
}

/** `RequestInit` of a JSON POST. */
export function jsonPost(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  };
}

/** The reference's fraud request body (`pipeline/demo_data/requests/fraud_transaction.json`). */
export const REFERENCE_FRAUD_REQUEST = PREDICT_EXAMPLE;

/**
 * The runtime flags `deno task edge` runs the self-hosted edge with, each
 * measured by `deno task bench:edge`:
 * - `--max-semi-space-size=4`: V8 semi-spaces of 4 MB instead of 16 MB. A
 *   request's garbage dies young, so the smaller young generation costs no
 *   measurable throughput and keeps about 40 MB less resident.
 * - `--no-code-cache`: compile the modules at start instead of mapping Deno's
 *   code cache; about 4 MB less resident for about 90 ms more start-up.
 * Deno Deploy sets its own.
 */
export const EDGE_RUNTIME_FLAGS = ["--no-code-cache", "--v8-flags=--max-semi-space-size=4"];

/**
 * Arguments of `deno serve` for the Deno Deploy entry, with exactly Deploy's
 * permissions and the runtime flags of `deno task edge`; bound to
 * 127.0.0.1:`port` when a port is given (without one: the task's arguments).
 */
export function edgeServeArgs(port?: number): string[] {
  const listen = port === undefined ? [] : ["--host", "127.0.0.1", "--port", String(port)];
  return [
    "serve",
    ...EDGE_RUNTIME_FLAGS,
    "--allow-net",
    "--allow-env",
    "--allow-read",
    ...listen,
    "edge/deploy.ts",
  ];
}

/** One tensor of {@linkcode binaryInferRequest}: FP32 values sent as raw bytes. */
export interface BinaryTensor {
  name: string;
  shape: number[];
  values: Float32Array;
  datatype?: string;
}

/**
 * A request in the binary tensor data extension of the Open Inference
 * Protocol, as `tritonclient` sends it: the JSON header (with `extra` merged
 * in, `pad` spaces appended to move the alignment of the bytes after it),
 * then each tensor's little-endian bytes.
 */
export function binaryInferRequest(
  tensors: BinaryTensor[],
  extra: Record<string, unknown> = {},
  pad = 0,
): RequestInit & { body: Uint8Array<ArrayBuffer> } {
  const header = new TextEncoder().encode(
    JSON.stringify({
      ...extra,
      inputs: tensors.map((t) => ({
        name: t.name,
        shape: t.shape,
        datatype: t.datatype ?? "FP32",
        parameters: { binary_data_size: t.values.byteLength },
      })),
    }) + " ".repeat(pad),
  );
  const size = tensors.reduce((s, t) => s + t.values.byteLength, header.length);
  const body = new Uint8Array(size);
  body.set(header);
  let o = header.length;
  for (const t of tensors) {
    body.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), o);
    o += t.values.byteLength;
  }
  return {
    method: "POST",
    body,
    headers: {
      "content-type": "application/octet-stream",
      "inference-header-content-length": String(header.length),
    },
  };
}

/** An output tensor read by {@linkcode readInferResponse}. */
export interface ReadOutput {
  name: string;
  datatype: string;
  shape: number[];
  /** Values from JSON `data` or from the binary bytes (INT64 as numbers). */
  values: number[];
  binary: boolean;
}

/** Reads an inference response, JSON or with binary outputs, as a client does. */
export async function readInferResponse(
  res: Response,
): Promise<{ json: Record<string, unknown>; outputs: ReadOutput[] }> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const length = Number(res.headers.get("inference-header-content-length") ?? bytes.length);
  const json = JSON.parse(new TextDecoder().decode(bytes.subarray(0, length)));
  let o = length;
  const outputs = (json.outputs as Record<string, never>[]).map((t): ReadOutput => {
    const size = (t.parameters as { binary_data_size?: number } | undefined)?.binary_data_size;
    if (size === undefined) {
      return { name: t.name, datatype: t.datatype, shape: t.shape, values: t.data, binary: false };
    }
    const raw = bytes.slice(o, o + size);
    o += size;
    const values = t.datatype === "INT64"
      ? Array.from(new BigInt64Array(raw.buffer), Number)
      : Array.from(new Float32Array(raw.buffer));
    return { name: t.name, datatype: t.datatype, shape: t.shape, values, binary: true };
  });
  if (o !== bytes.length) throw new Error(`${bytes.length - o} bytes after the last output`);
  return { json, outputs };
}
