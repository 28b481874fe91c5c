/**
 * Open Inference Protocol v2 (KServe, Triton, MLServer): inputs as one FP32
 * `[N, F]` tensor or one named input per feature, outputs per the manifest.
 *
 * @module
 */
import type { FieldIssue } from "../../schemas/errors.ts";
import { EdgeError } from "../errors.ts";
import type { LoadedModel } from "../models/mod.ts";
import type { InferRequest } from "./schemas.ts";

type Tensor = InferRequest["inputs"][number];

function flatten(t: Tensor, path: string, issues: FieldIssue[]): number[] {
  const out: number[] = [];
  for (const v of t.data) {
    if (Array.isArray(v)) { for (const x of v) out.push(Number(x)); }
    else out.push(Number(v));
  }
  if (t.datatype === "BOOL") issues.push({ path, message: "BOOL inputs are not supported" });
  return out;
}

/** Builds the row-major `[N, F]` input of `model` from the request's tensors. */
export function tensorRows(
  model: LoadedModel,
  req: InferRequest,
  maxRows: number,
): { data: Float32Array; n: number } {
  const m = model.manifest;
  const width = m.inputs.length;
  const issues: FieldIssue[] = [];
  const single = req.inputs.length === 1 &&
    (req.inputs[0].name === m.input_name ||
      (req.inputs[0].shape.length === 2 && req.inputs[0].shape[1] === width && width > 1));
  let data: Float32Array;
  let n: number;
  if (single) {
    const t = req.inputs[0];
    const values = flatten(t, "inputs.0", issues);
    n = t.shape[0];
    const cols = t.shape.length === 2 ? t.shape[1] : width === 1 ? 1 : -1;
    if (cols !== width) {
      issues.push({
        path: "inputs.0.shape",
        message: `Expected [N, ${width}], got [${t.shape.join(", ")}]`,
      });
    } else if (values.length !== n * width) {
      issues.push({
        path: "inputs.0.data",
        message: `Expected ${n * width} values, got ${values.length}`,
      });
    }
    data = Float32Array.from(values);
  } else {
    const byName = new Map(req.inputs.map((t, i) => [t.name, { t, i }]));
    const names = new Set(m.inputs.map((i) => i.name));
    req.inputs.forEach((t, i) => {
      if (!names.has(t.name)) {
        issues.push({ path: `inputs.${i}.name`, message: `Unknown input: ${t.name}` });
      }
    });
    n = req.inputs[0].shape[0];
    const cols: number[][] = [];
    for (const input of m.inputs) {
      const e = byName.get(input.name);
      if (!e) {
        issues.push({ path: `inputs.${input.name}`, message: "Missing input" });
        continue;
      }
      const v = flatten(e.t, `inputs.${e.i}`, issues);
      const okShape = e.t.shape[0] === n && (e.t.shape.length === 1 || e.t.shape[1] === 1);
      if (!okShape || v.length !== n) {
        issues.push({
          path: `inputs.${e.i}.shape`,
          message: `Expected [${n}] or [${n}, 1] with ${n} values`,
        });
      }
      cols.push(v);
    }
    data = new Float32Array(issues.length === 0 && n <= maxRows ? n * width : 0);
    if (issues.length === 0 && n <= maxRows) {
      for (let r = 0; r < n; r++) for (let c = 0; c < width; c++) data[r * width + c] = cols[c][r];
    }
  }
  if (issues.length === 0 && n === 0) issues.push({ path: "inputs.0.shape", message: "No rows" });
  if (n > maxRows) issues.push({ path: "inputs.0.shape", message: `At most ${maxRows} rows` });
  if (issues.length === 0 && data.some((x) => !Number.isFinite(x))) {
    issues.push({ path: "inputs", message: "Values must be finite float32 numbers" });
  }
  if (issues.length > 0) {
    throw new EdgeError(
      "validation_failed",
      `Invalid inference inputs: ${issues.map((i) => i.path).join(", ")}`,
      {
        details: issues,
      },
    );
  }
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

/** The output tensors of an inference, filtered by the requested names. */
export function inferOutputs(
  model: LoadedModel,
  req: InferRequest,
  labels: number[],
  probabilities: Float32Array,
) {
  const m = model.manifest;
  const n = labels.length;
  const all = [
    { name: m.outputs.label, shape: [n], datatype: "INT64", data: labels },
    {
      name: m.outputs.probabilities,
      shape: [n, 2],
      datatype: "FP32",
      data: Array.from(probabilities.subarray(0, 2 * n)),
    },
  ];
  if (!req.outputs || req.outputs.length === 0) return all;
  const wanted = req.outputs.map((o) => o.name);
  const unknown = wanted.filter((w) => !all.some((o) => o.name === w));
  if (unknown.length > 0) {
    throw new EdgeError("validation_failed", `Unknown outputs: ${unknown.join(", ")}`, {
      details: unknown.map((u) => ({ path: "outputs", message: `Unknown output: ${u}` })),
    });
  }
  return all.filter((o) => wanted.includes(o.name));
}
