/**
 * Validation of a model package before anything is published: sha256,
 * loads in onnxruntime-web (WASM, one thread), the graph's input and
 * outputs match the manifest, the inputs agree with the feature view, the
 * golden rows reproduce within a tolerance, and a latency smoke run stays
 * within budget. A package that fails is never published.
 *
 * @module
 */
import * as ort from "onnxruntime-web";
import { configureOnnxRuntime } from "../pipeline/onnx/session.ts";
import type { ModelManifest } from "../schemas/manifest.ts";
import {
  legacyRepository,
  manifestRowModel,
  manifestViews,
} from "../pipeline/definitions/manifest.ts";
import { stableStringify } from "../pipeline/features/mod.ts";
import { RowAssembler } from "../pipeline/features/row.ts";
import type { ModelPackage } from "./port.ts";
import { sha256Hex } from "../pipeline/sha256.ts";

/** Why a package was refused (the `reason` label of `registry_validation_failures_total`). */
export type ValidationReason =
  | "sha256_mismatch"
  | "manifest_invalid"
  | "onnx_load_failed"
  | "input_mismatch"
  | "output_mismatch"
  | "feature_view_mismatch"
  | "golden_missing"
  | "golden_mismatch"
  | "inference_failed"
  | "latency_budget_exceeded";

/** Options of {@linkcode validatePackage}. */
export interface ValidationOptions {
  /** Largest absolute difference allowed on golden probabilities (default 1e-5). */
  tolerance?: number;
  /** p99 of one-row runs must stay under this (ms, default 50). */
  latencyBudgetMs?: number;
  /** One-row runs of the latency smoke test (default 200). */
  smokeRuns?: number;
  /** Refuse packages without golden rows (default true). */
  requireGolden?: boolean;
}

/** The outcome of a validation. */
export interface ValidationResult {
  ok: boolean;
  model: string;
  version: string;
  sha256: string;
  reason?: ValidationReason;
  message?: string;
  /** Largest golden difference seen. */
  maxGoldenError?: number;
  /** Latency smoke run, one row per run. */
  latency?: { runs: number; p50_ms: number; p99_ms: number };
}

class Refusal extends Error {
  constructor(readonly reason: ValidationReason, message: string) {
    super(message);
  }
}

/** Validates a package; never throws for a bad package, returns the reason instead. */
export async function validatePackage(
  pkg: ModelPackage,
  options: ValidationOptions = {},
): Promise<ValidationResult> {
  const { manifest } = pkg;
  const base = { model: manifest.name, version: manifest.version, sha256: manifest.sha256 };
  const what = `model '${manifest.name}' version ${manifest.version}`;
  let session: ort.InferenceSession | undefined;
  try {
    if (await sha256Hex(pkg.onnx) !== manifest.sha256) {
      throw new Refusal(
        "sha256_mismatch",
        `Cannot validate ${what}: artifact sha256 does not match`,
      );
    }
    checkFeatureView(manifest, what);
    configureOnnxRuntime();
    try {
      session = await ort.InferenceSession.create(pkg.onnx, { executionProviders: ["wasm"] });
    } catch (cause) {
      throw new Refusal(
        "onnx_load_failed",
        `Cannot load ${what} in onnxruntime-web: ${text(cause)}`,
      );
    }
    checkSignature(session, manifest, what);
    const maxGoldenError = await checkGolden(session, manifest, what, options);
    const latency = await smokeRun(session, manifest, what, options);
    return { ok: true, ...base, maxGoldenError, latency };
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return { ok: false, ...base, reason: error.reason, message: error.message };
  } finally {
    await session?.release().catch(() => {});
  }
}

/** The graph takes `input_name` as float32 `[N, F]` and gives both outputs. */
function checkSignature(session: ort.InferenceSession, manifest: ModelManifest, what: string) {
  const width = manifest.inputs.length;
  if (session.inputNames.length !== 1 || session.inputNames[0] !== manifest.input_name) {
    throw new Refusal(
      "input_mismatch",
      `Cannot validate ${what}: graph inputs [${
        session.inputNames.join(", ")
      }] are not ['${manifest.input_name}']`,
    );
  }
  const meta = session.inputMetadata?.[0];
  if (meta && meta.isTensor) {
    const dims = meta.shape;
    if (meta.type !== "float32") {
      throw new Refusal(
        "input_mismatch",
        `Cannot validate ${what}: input type is ${meta.type}, not float32`,
      );
    }
    if (dims.length !== 2 || (typeof dims[1] === "number" && dims[1] !== width)) {
      throw new Refusal(
        "input_mismatch",
        `Cannot validate ${what}: input shape [${dims.join(", ")}] does not match [N, ${width}]`,
      );
    }
  }
  for (const output of [manifest.outputs.label, manifest.outputs.probabilities]) {
    if (!session.outputNames.includes(output)) {
      throw new Refusal(
        "output_mismatch",
        `Cannot validate ${what}: graph has no output '${output}' (has ${
          session.outputNames.join(", ")
        })`,
      );
    }
  }
}

/** Inputs agree with the feature view: known view, same entity key, same transforms. */
function checkFeatureView(manifest: ModelManifest, what: string) {
  const names = manifest.inputs.map((i) => i.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) {
    throw new Refusal(
      "input_mismatch",
      `Cannot validate ${what}: input listed twice '${duplicate}'`,
    );
  }
  let views;
  try {
    views = manifestViews(manifest);
    new RowAssembler(manifestRowModel(manifest));
  } catch (error) {
    throw new Refusal(
      "feature_view_mismatch",
      `Cannot validate ${what}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const ref = manifest.feature_view;
  if (ref && views[0] && views[0].entityKey !== ref.entity_key) {
    throw new Refusal(
      "feature_view_mismatch",
      `Cannot validate ${what}: entity key '${ref.entity_key}' is not the view's '${
        views[0].entityKey
      }'`,
    );
  }
  const windowNames = new Set(views.flatMap((v) => v.windowFeatures.map((w) => w.name)));
  // A format-1 manifest names its view only: its inputs must agree with the repository that defines it.
  const legacy = legacyRepository(manifest);
  for (const input of manifest.inputs) {
    if (windowNames.has(input.name) && input.transform) {
      throw new Refusal(
        "feature_view_mismatch",
        `Cannot validate ${what}: input '${input.name}' is a window feature of the view but has a transform`,
      );
    }
    const defined = legacy?.requestFeatures.find((f) => f.name === input.name);
    if (
      defined && input.transform &&
      stableStringify(defined.transform) !== stableStringify(input.transform)
    ) {
      throw new Refusal(
        "feature_view_mismatch",
        `Cannot validate ${what}: transform of input '${input.name}' differs from the feature view's`,
      );
    }
  }
}

async function checkGolden(
  session: ort.InferenceSession,
  manifest: ModelManifest,
  what: string,
  options: ValidationOptions,
): Promise<number | undefined> {
  const golden = manifest.golden;
  if (!golden || golden.rows.length === 0) {
    if (options.requireGolden ?? true) {
      throw new Refusal(
        "golden_missing",
        `Cannot validate ${what}: the manifest has no golden rows`,
      );
    }
    return undefined;
  }
  const width = manifest.inputs.length;
  if (
    golden.rows.some((r) => r.length !== width) ||
    golden.probabilities.length !== golden.rows.length
  ) {
    throw new Refusal(
      "golden_mismatch",
      `Cannot validate ${what}: golden rows do not have ${width} values`,
    );
  }
  const probs = await run(
    session,
    manifest,
    Float32Array.from(golden.rows.flat()),
    golden.rows.length,
    what,
  );
  const tolerance = options.tolerance ?? 1e-5;
  let maxError = 0;
  for (let r = 0; r < golden.rows.length; r++) {
    const expected = golden.probabilities[r];
    const classes = expected.length;
    for (let c = 0; c < classes; c++) {
      const error = Math.abs(probs[r * classes + c] - expected[c]);
      if (!(error <= tolerance)) {
        throw new Refusal(
          "golden_mismatch",
          `Cannot validate ${what}: golden row ${r} class ${c} gives ${
            probs[r * classes + c]
          }, expected ${expected[c]} (tolerance ${tolerance})`,
        );
      }
      maxError = Math.max(maxError, error);
    }
  }
  return maxError;
}

async function smokeRun(
  session: ort.InferenceSession,
  manifest: ModelManifest,
  what: string,
  options: ValidationOptions,
): Promise<{ runs: number; p50_ms: number; p99_ms: number }> {
  const runs = options.smokeRuns ?? 200;
  const row = Float32Array.from(
    manifest.golden?.rows[0] ?? new Array(manifest.inputs.length).fill(0),
  );
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run(session, manifest, row, 1, what);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  const latency = { runs, p50_ms: at(0.5), p99_ms: at(0.99) };
  const budget = options.latencyBudgetMs ?? 50;
  if (latency.p99_ms > budget) {
    throw new Refusal(
      "latency_budget_exceeded",
      `Cannot validate ${what}: p99 of one-row runs is ${
        latency.p99_ms.toFixed(3)
      } ms, budget ${budget} ms`,
    );
  }
  return latency;
}

async function run(
  session: ort.InferenceSession,
  manifest: ModelManifest,
  data: Float32Array,
  n: number,
  what: string,
): Promise<ArrayLike<number>> {
  try {
    const input = new ort.Tensor("float32", data, [n, manifest.inputs.length]);
    const out = await session.run({ [manifest.input_name]: input }, [
      manifest.outputs.probabilities,
    ]);
    return out[manifest.outputs.probabilities].data as ArrayLike<number>;
  } catch (cause) {
    throw new Refusal("inference_failed", `Cannot run ${what} in onnxruntime-web: ${text(cause)}`);
  }
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
