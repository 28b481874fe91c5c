/**
 * Feature assembly: the exact float32 vector a model is fed, built from the
 * request's features merged over the entity's online features, with the
 * manifest's transforms, time-derived features and explicit defaults.
 * Never fills a missing feature silently.
 *
 * @module
 */
import { applyTransform, coerceEncoded, TransformError } from "../pipeline/features/mod.ts";
import type { FieldIssue } from "../schemas/errors.ts";
import type { FeatureView } from "../pipeline/features/mod.ts";
import { EdgeError } from "./errors.ts";
import type { ModelInput, ModelManifest, TransformSpec } from "../schemas/manifest.ts";

/** A raw feature value of a request. */
export type FeatureValue = number | string | boolean | null;

const TIME_KINDS = new Set(["hour_of_day", "day_of_week", "is_weekend", "is_night"]);

/** What assembly needs for one instance. */
export interface AssemblyInput {
  /** Raw request features. */
  features: Record<string, FeatureValue>;
  /** Online feature values, or null when none were read. */
  online: Record<string, number> | null;
  /** Instant used by time-derived features when the request lacks their source (epoch ms). */
  timeMs: number;
}

/** The assembled vector and how it was made. */
export interface Assembled {
  /** The model input row (manifest order). */
  row: Float32Array;
  /** The row by input name, as reported in `features_used` (empty when written `into` a batch). */
  used: Record<string, number>;
  /** Inputs that took the manifest's explicit default. */
  defaultsUsed: string[];
  /** Inputs found nowhere (empty when complete). */
  missing: string[];
  /** Values that were present but invalid. */
  issues: FieldIssue[];
}

// The instances of a batch share the request time: derive each time feature once.
let memoTime = Number.NaN;
const memo = new Map<string, number>();
function timeFeature(kind: string, timeMs: number): number {
  if (timeMs !== memoTime) {
    memo.clear();
    memoTime = timeMs;
  }
  let v = memo.get(kind);
  if (v === undefined) {
    v = applyTransform({ kind, source: "timestamp" } as TransformSpec, timeMs);
    memo.set(kind, v);
  }
  return v;
}

// Categories repeat: remember their codes (bounded) instead of hashing every time.
const categoryCodes = new Map<string, number>();
function hashedCategory(spec: Extract<TransformSpec, { kind: "crc32_mod" }>, raw: string): number {
  const k = `${spec.modulo}\u0000${raw}`;
  let v = categoryCodes.get(k);
  if (v === undefined) {
    v = applyTransform(spec, raw);
    if (categoryCodes.size >= 10_000) categoryCodes.clear();
    categoryCodes.set(k, v);
  }
  return v;
}

function isTime(input: ModelInput): boolean {
  return input.transform !== undefined && TIME_KINDS.has(input.transform.kind);
}

/**
 * Whether the request alone supplies every input (directly, through a
 * transform of a raw field, or a time-derived one); then no online read is
 * needed because request features win anyway.
 */
export function requestCovers(manifest: ModelManifest, features: Record<string, FeatureValue>) {
  for (const input of manifest.inputs) {
    const v = features[input.name];
    if (v !== undefined && v !== null) continue;
    const t = input.transform;
    if (!t) return false;
    if (isTime(input)) continue;
    if (t.kind === "crc32_mod" && t.missing !== undefined) continue;
    const raw = features[t.source];
    if (raw === undefined || raw === null) return false;
  }
  return true;
}

/**
 * Builds the model input row of one instance. `prefix` is prepended to
 * issue paths (`features` or `instances.3`); `into`, when given, receives
 * the row (a view of a batch buffer) instead of a new array.
 */
export function assembleFeatures(
  manifest: ModelManifest,
  input: AssemblyInput,
  prefix = "features",
  into?: Float32Array,
): Assembled {
  const n = manifest.inputs.length;
  // A batch writes straight into its [N, F] buffer (`into` is this instance's row).
  const row = into ?? new Float32Array(n);
  const used: Record<string, number> = {};
  const defaultsUsed: string[] = [];
  const missing: string[] = [];
  const issues: FieldIssue[] = [];
  for (let i = 0; i < n; i++) {
    const spec = manifest.inputs[i];
    let value: number | undefined;
    let field = spec.name;
    try {
      const direct = input.features[spec.name];
      if (direct !== undefined && direct !== null) {
        value = coerceEncoded(spec.name, direct);
      } else if (input.online && input.online[spec.name] !== undefined) {
        value = input.online[spec.name];
      } else if (spec.transform) {
        field = spec.transform.source;
        const raw = input.features[field];
        if (raw !== undefined && raw !== null) {
          value = spec.transform.kind === "crc32_mod" && typeof raw === "string"
            ? hashedCategory(spec.transform, raw)
            : applyTransform(spec.transform, raw);
        } else if (isTime(spec)) value = timeFeature(spec.transform.kind, input.timeMs);
        else if (spec.transform.kind === "crc32_mod" && spec.transform.missing !== undefined) {
          value = applyTransform(spec.transform, null);
        }
      }
    } catch (error) {
      const message = error instanceof TransformError || error instanceof Error
        ? error.message
        : String(error);
      issues.push({ path: `${prefix}.${field}`, message });
      continue;
    }
    if (value === undefined && spec.default !== undefined) {
      value = spec.default;
      defaultsUsed.push(spec.name);
    }
    if (value === undefined) {
      missing.push(spec.name);
      continue;
    }
    row[i] = value;
    if (!Number.isFinite(row[i])) {
      issues.push({ path: `${prefix}.${spec.name}`, message: "Out of the float32 range" });
      continue;
    }
    if (!into) used[spec.name] = row[i] === value ? value : row[i];
  }
  return { row, used, defaultsUsed, missing, issues };
}

/**
 * Throws the one error of an assembly: 503 when online features were needed
 * but unavailable, else 422 naming every missing or invalid field.
 */
export function checkAssembled(
  assembled: Assembled[],
  instances: { entityId?: string }[],
  prefix: (i: number) => string,
  onlineFailed: boolean,
): void {
  const details: FieldIssue[] = [];
  const bad: number[] = [];
  const missingAll = new Set<string>();
  assembled.forEach((a, i) => {
    if (a.missing.length === 0 && a.issues.length === 0) return;
    bad.push(i);
    details.push(...a.issues);
    for (const m of a.missing) {
      missingAll.add(m);
      details.push({
        path: `${prefix(i)}.${m}`,
        message: instances[i].entityId === undefined
          ? "Missing: not in the request and no entity id to look up online features"
          : "Missing: neither in the request nor in the online features",
      });
    }
  });
  if (details.length === 0) return;
  if (onlineFailed && missingAll.size > 0) {
    throw new EdgeError(
      "online_store_unavailable",
      `Online features unavailable and the request lacks: ${[...missingAll].join(", ")}`,
      { details, headers: { "Retry-After": "1" } },
    );
  }
  const batch = instances.length > 1 || prefix(0) !== "features";
  const message = batch
    ? `Invalid instances: ${bad.join(", ")}`
    : missingAll.size > 0
    ? `Missing features: ${[...missingAll].join(", ")}`
    : `Invalid features: ${details.map((d) => d.path).join(", ")}`;
  throw new EdgeError(
    missingAll.size > 0 && !batch ? "missing_features" : "validation_failed",
    message,
    {
      details,
    },
  );
}

/** The entity id of an instance: the view's entity key inside its features. */
export function entityOf(
  features: Record<string, FeatureValue>,
  view: FeatureView | undefined,
): string | undefined {
  return view ? stringOrUndefined(features[view.entityKey]) : undefined;
}

/** A usable id: a non-empty string or a finite number as text. */
export function stringOrUndefined(v: FeatureValue | undefined): string | undefined {
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}
