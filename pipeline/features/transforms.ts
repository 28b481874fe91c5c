/**
 * The declarative transforms of request-time features, as code. Only the
 * row assembler (`row.ts`) calls them, for serving, training and
 * evaluation alike, so those cannot skew.
 *
 * @module
 */
import type { TransformSpec } from "../../schemas/manifest.ts";
import { parseIsoUtc } from "../../schemas/time.ts";

/** A raw value as it can appear in an event or a request. */
export type RawValue = number | string | boolean | null | undefined;

/** Raised when a raw value cannot be transformed. */
export class TransformError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = "TransformError";
  }
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();
const encoder = new TextEncoder();

/** CRC-32 (IEEE, as zlib and Python's `zlib.crc32`) of the UTF-8 bytes of `text`. */
export function crc32(text: string): number {
  const bytes = encoder.encode(text);
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Hour (0–23) of an epoch-ms instant, UTC. */
export function hourOfDay(ms: number): number {
  return new Date(ms).getUTCHours();
}

/** Day of week of an epoch-ms instant, UTC, Monday = 0. */
export function dayOfWeek(ms: number): number {
  return (new Date(ms).getUTCDay() + 6) % 7;
}

function toNumber(field: string, v: RawValue): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  throw new TransformError(field, `Expected a number, got ${JSON.stringify(v)}`);
}

function toTime(field: string, v: RawValue): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string") {
    const t = parseIsoUtc(v);
    if (t !== null) return t;
  }
  throw new TransformError(field, `Expected an ISO 8601 timestamp, got ${JSON.stringify(v)}`);
}

function toBool(field: string, v: RawValue): number {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v === 0 || v === 1) return v;
  throw new TransformError(field, `Expected a boolean (or 0/1), got ${JSON.stringify(v)}`);
}

/** The transform kinds that read one raw field (the others combine features). */
export const SCALAR_KINDS: ReadonlySet<string> = new Set([
  "identity",
  "bool",
  "log1p",
  "crc32_mod",
  "hour_of_day",
  "day_of_week",
  "is_weekend",
  "is_night",
]);

/** The transform kinds derived from a time. */
export const TIME_KINDS: ReadonlySet<string> = new Set([
  "hour_of_day",
  "day_of_week",
  "is_weekend",
  "is_night",
]);

/** A transform over one raw field. */
export type ScalarTransform = Extract<TransformSpec, { source: string }>;

/**
 * Applies a transform of one raw field to its value (a timestamp may be an
 * ISO string or epoch ms). Throws {@linkcode TransformError} naming the field.
 *
 * @example
 * ```ts
 * applyTransform({ kind: "crc32_mod", source: "merchant_category", modulo: 100 }, "electronics");
 * ```
 */
export function applyTransform(spec: ScalarTransform, value: RawValue): number {
  const f = spec.source;
  switch (spec.kind) {
    case "identity":
      return toNumber(f, value);
    case "bool":
      return toBool(f, value);
    case "log1p":
      return Math.log1p(toNumber(f, value));
    case "crc32_mod": {
      if (value === null || value === undefined) {
        if (spec.missing === undefined) throw new TransformError(f, "Missing value");
        return crc32(spec.missing) % spec.modulo;
      }
      if (typeof value !== "string") {
        throw new TransformError(f, `Expected a string, got ${JSON.stringify(value)}`);
      }
      return crc32(value) % spec.modulo;
    }
    case "hour_of_day":
      return hourOfDay(toTime(f, value));
    case "day_of_week":
      return dayOfWeek(toTime(f, value));
    case "is_weekend":
      return dayOfWeek(toTime(f, value)) >= 5 ? 1 : 0;
    case "is_night": {
      const h = hourOfDay(toTime(f, value));
      return h < 6 || h >= 22 ? 1 : 0;
    }
  }
}

/** A transform over other features. */
export type CombineTransform = Exclude<TransformSpec, { source: string }>;

/**
 * Applies a transform over other features to their values, in the order of
 * `transformOperands`: difference `a − b`; ratio `numerator / denominator`,
 * 0 when the denominator is 0; z-score `(value − mean) / std`, 0 when `std` is 0.
 */
export function applyCombine(spec: CombineTransform, operands: readonly number[]): number {
  switch (spec.kind) {
    case "difference":
      return operands[0] - operands[1];
    case "ratio":
      return operands[1] === 0 ? 0 : operands[0] / operands[1];
    case "zscore":
      return operands[2] === 0 ? 0 : (operands[0] - operands[1]) / operands[2];
  }
}

/**
 * The values a transform can produce, when they are bounded (hour 0–23,
 * weekday 0–6, flags 0–1, hashes 0–modulo−1): the declared domain of an
 * input computed by it.
 */
export function transformDomain(spec: TransformSpec): { min: number; max: number } | undefined {
  switch (spec.kind) {
    case "hour_of_day":
      return { min: 0, max: 23 };
    case "day_of_week":
      return { min: 0, max: 6 };
    case "is_weekend":
    case "is_night":
    case "bool":
      return { min: 0, max: 1 };
    case "crc32_mod":
      return { min: 0, max: spec.modulo - 1 };
    default:
      return undefined;
  }
}
