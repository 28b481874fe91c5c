/**
 * Open Inference Protocol v2 (KServe, Triton, MLServer) on the edge's
 * models: inputs as one FP32 `[N, F]` tensor named as the model's input, or
 * one FP32 `[N]` input per feature; outputs, model metadata and the model
 * configuration (Triton's extension) from the manifest.
 *
 * @module
 */
import type { FieldIssue } from "../../schemas/errors.ts";
import { EdgeError } from "../errors.ts";
import type { LoadedModel } from "../models/mod.ts";
import type { InferRequest } from "./schemas.ts";
import type { InputTensor, OutputTensor } from "./v2_wire.ts";

/** The extensions of the protocol the edge serves (listed by `GET /v2`). */
export const V2_EXTENSIONS = ["binary_tensor_data", "model_configuration"] as const;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const shapeText = (shape: number[]) => `[${shape.join(", ")}]`;
/** A client-given name or datatype, cut short for messages. */
const short = (text: string) => text.length > 100 ? `${text.slice(0, 100)}…` : text;

/** The values of an FP32 tensor as float32, or an issue. */
function values(t: InputTensor, issues: FieldIssue[], path: string): Float32Array | null {
  if (t.bytes) {
    if (t.bytes.length % 4 !== 0) {
      issues.push({
        path,
        message: `Input '${
          short(t.name)
        }' has ${t.bytes.length} bytes of FP32 data, not a multiple of 4`,
      });
      return null;
    }
    if (!LITTLE_ENDIAN) throw new Error("Binary tensors need a little-endian host");
    // A view when aligned; the JSON header's length decides the alignment.
    return t.bytes.byteOffset % 4 === 0
      ? new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.length / 4)
      : new Float32Array(t.bytes.slice().buffer);
  }
  const out: number[] = [];
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v === "number") {
      out.push(v);
      return true;
    }
    return Array.isArray(v) && depth < 8 && v.every((x) => walk(x, depth + 1));
  };
  if (!walk(t.data ?? [], 0)) {
    issues.push({ path, message: `Input '${short(t.name)}' data must hold only numbers` });
    return null;
  }
  return Float32Array.from(out);
}

function unknownInput(model: LoadedModel, name: string): string {
  const m = model.manifest;
  const features = m.inputs.map((i) => i.name).join(", ");
  return `Unknown input '${
    short(name)
  }' of model '${model.name}': expected '${m.input_name}' FP32 [-1, ${m.inputs.length}], or one FP32 [-1] input per feature (${features})`;
}

/**
 * Builds the row-major `[N, F]` input of `model` from the request's tensors.
 * Every problem is a 422 whose message names the input and what was expected.
 */
export function tensorRows(
  model: LoadedModel,
  inputs: InputTensor[],
  maxRows: number,
): { data: Float32Array; n: number } {
  const m = model.manifest;
  const issues: FieldIssue[] = [];
  inputs.forEach((t, i) => {
    if (t.datatype !== "FP32") {
      issues.push({
        path: `inputs.${i}.datatype`,
        message: `Input '${short(t.name)}' has datatype ${
          short(t.datatype)
        }; model '${model.name}' expects FP32`,
      });
    }
  });
  let data: Float32Array = new Float32Array(0);
  let n = 0;
  const single = inputs.find((t) => t.name === m.input_name);
  // Datatype first: the values of another datatype cannot be read as float32.
  if (issues.length === 0) {
    ({ data, n } = single
      ? singleTensor(model, inputs, single, issues)
      : perFeature(model, inputs, maxRows, issues));
  }
  if (issues.length === 0 && n === 0) {
    issues.push({ path: "inputs.0.shape", message: "The inputs hold no rows" });
  }
  if (issues.length === 0 && n > maxRows) {
    issues.push({
      path: "inputs.0.shape",
      message: `At most ${maxRows} rows per request, got ${n}`,
    });
  }
  if (issues.length === 0 && data.some((x) => !Number.isFinite(x))) {
    issues.push({ path: "inputs", message: "Values must be finite float32 numbers" });
  }
  if (issues.length > 0) {
    throw new EdgeError("validation_failed", issues.map((i) => i.message).join("; "), {
      details: issues,
    });
  }
  return { data, n };
}

/** Rows from the one `[N, F]` tensor named as the model's input. */
function singleTensor(
  model: LoadedModel,
  inputs: InputTensor[],
  t: InputTensor,
  issues: FieldIssue[],
): { data: Float32Array; n: number } {
  const width = model.manifest.inputs.length;
  const i = inputs.indexOf(t);
  for (const [j, other] of inputs.entries()) {
    if (other !== t) {
      issues.push({ path: `inputs.${j}.name`, message: unknownInput(model, other.name) });
    }
  }
  const okShape = (t.shape.length === 2 && t.shape[1] === width) ||
    (t.shape.length === 1 && width === 1);
  if (!okShape) {
    issues.push({
      path: `inputs.${i}.shape`,
      message: `Input '${short(t.name)}' has shape ${
        shapeText(t.shape)
      }; model '${model.name}' expects [-1, ${width}]`,
    });
    return { data: new Float32Array(0), n: 0 };
  }
  const n = t.shape[0];
  const v = values(t, issues, `inputs.${i}.data`);
  if (v && v.length !== n * width) {
    issues.push({
      path: `inputs.${i}.data`,
      message: `Input '${short(t.name)}' has shape ${shapeText(t.shape)} (${
        n * width
      } values) but holds ${v.length}`,
    });
  }
  return { data: v ?? new Float32Array(0), n };
}

/** Rows from one `[N]` (or `[N, 1]`) input per feature, in the model's input order. */
function perFeature(
  model: LoadedModel,
  inputs: InputTensor[],
  maxRows: number,
  issues: FieldIssue[],
): { data: Float32Array; n: number } {
  const m = model.manifest;
  const width = m.inputs.length;
  const byName = new Map(inputs.map((t, i) => [t.name, { t, i }]));
  const names = new Set(m.inputs.map((x) => x.name));
  inputs.forEach((t, i) => {
    if (!names.has(t.name)) {
      issues.push({ path: `inputs.${i}.name`, message: unknownInput(model, t.name) });
    }
  });
  if (issues.length > 0) return { data: new Float32Array(0), n: 0 };
  const n = inputs[0].shape[0] ?? 0;
  const cols: Float32Array[] = [];
  for (const input of m.inputs) {
    const e = byName.get(input.name);
    if (!e) {
      issues.push({
        path: `inputs.${input.name}`,
        message: `Missing input '${input.name}' of model '${model.name}'`,
      });
      continue;
    }
    const okShape = e.t.shape[0] === n &&
      (e.t.shape.length === 1 || (e.t.shape.length === 2 && e.t.shape[1] === 1));
    const v = okShape ? values(e.t, issues, `inputs.${e.i}.data`) : null;
    if (!okShape || (v && v.length !== n)) {
      issues.push({
        path: `inputs.${e.i}.shape`,
        message: `Input '${short(e.t.name)}' has shape ${shapeText(e.t.shape)}${
          v ? ` with ${v.length} values` : ""
        }; expected [${n}] or [${n}, 1] with ${n} values, as the first input`,
      });
    }
    if (v) cols.push(v);
  }
  if (issues.length > 0 || n > maxRows) return { data: new Float32Array(0), n };
  const data = new Float32Array(n * width);
  for (let r = 0; r < n; r++) for (let c = 0; c < width; c++) data[r * width + c] = cols[c][r];
  return { data, n };
}

/** Tensor metadata of a model (`GET /v2/models/{name}`). */
export function modelMetadata(model: LoadedModel, versions: string[]) {
  const m = model.manifest;
  return {
    name: model.name,
    versions,
    platform: "onnxruntime_onnx",
    inputs: [{ name: m.input_name, datatype: "FP32", shape: [-1, m.inputs.length] }],
    outputs: [
      { name: m.outputs.label, datatype: "INT64", shape: [-1] },
      { name: m.outputs.probabilities, datatype: "FP32", shape: [-1, 2] },
    ],
  };
}

/**
 * The model configuration (`GET /v2/models/{name}/config`) in Triton's JSON
 * form: dims without the batch dimension, `max_batch_size` the rows one
 * inference takes.
 */
export function modelConfig(model: LoadedModel, maxBatchSize: number) {
  const m = model.manifest;
  return {
    name: model.name,
    platform: "onnxruntime_onnx",
    backend: "onnxruntime",
    max_batch_size: maxBatchSize,
    input: [{ name: m.input_name, data_type: "TYPE_FP32", dims: [m.inputs.length] }],
    output: [
      { name: m.outputs.label, data_type: "TYPE_INT64", dims: [1], reshape: { shape: [] } },
      { name: m.outputs.probabilities, data_type: "TYPE_FP32", dims: [2] },
    ],
    parameters: {
      model_version: { string_value: model.version },
      features: { string_value: m.inputs.map((i) => i.name).join(",") },
    },
  };
}

/**
 * Name of the optional output of explained inferences: FP64 `[N, F + 1]`,
 * each input's contribution to the margin in input order, then the base
 * value (the layout of XGBoost's `pred_contribs` and shap).
 */
export const CONTRIBUTIONS_OUTPUT = "contributions";

/** Whether an inference asks for contributions: `parameters.explain` or the output by name. */
export function wantsContributions(req: InferRequest): boolean {
  return req.parameters?.explain === true ||
    (req.outputs ?? []).some((o) => o.name === CONTRIBUTIONS_OUTPUT);
}

/**
 * The output tensors of an inference: the requested ones (all when none is
 * named), each binary as its `binary_data` or the request's
 * `binary_data_output` says. `contributions` (`[N, F + 1]`) is there when
 * the inference was explained.
 */
export function inferOutputs(
  model: LoadedModel,
  req: InferRequest,
  labels: number[],
  probabilities: Float32Array,
  contributions?: Float64Array,
): OutputTensor[] {
  const m = model.manifest;
  const n = labels.length;
  const allBinary = req.parameters?.binary_data_output === true;
  const explained: OutputTensor[] = contributions
    ? [{
      name: CONTRIBUTIONS_OUTPUT,
      shape: [n, m.inputs.length + 1],
      datatype: "FP64",
      values: contributions,
      binary: allBinary,
    }]
    : [];
  const all: OutputTensor[] = [
    { name: m.outputs.label, shape: [n], datatype: "INT64", values: labels, binary: allBinary },
    {
      name: m.outputs.probabilities,
      shape: [n, 2],
      datatype: "FP32",
      values: probabilities.subarray(0, 2 * n),
      binary: allBinary,
    },
    ...explained,
  ];
  if (!req.outputs || req.outputs.length === 0) return all;
  const unknown = req.outputs.filter((w) => !all.some((o) => o.name === w.name));
  if (unknown.length > 0) {
    const names = all.map((o) => `'${o.name}'`).join(", ");
    throw new EdgeError(
      "validation_failed",
      unknown.map((u) =>
        `Unknown output '${short(u.name)}' of model '${model.name}': expected ${names}`
      )
        .join("; "),
      { details: unknown.map((u) => ({ path: "outputs", message: `Unknown output: ${u.name}` })) },
    );
  }
  return req.outputs.map((w) => {
    const o = all.find((x) => x.name === w.name)!;
    const b = w.parameters?.binary_data;
    return { ...o, binary: typeof b === "boolean" ? b : allBinary };
  });
}

/** The request's `parameters` given back in the response, minus the protocol's own. */
export function echoedParameters(req: InferRequest): Record<string, unknown> | undefined {
  if (!req.parameters) return undefined;
  const { binary_data_output: _, ...rest } = req.parameters;
  return Object.keys(rest).length > 0 ? rest : undefined;
}
