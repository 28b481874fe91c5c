/**
 * The declarative transforms of a model manifest, as code. The trainer and
 * the edge both call {@linkcode applyTransform}, so training and serving
 * cannot skew.
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
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new TransformError(field, `Expected a finite number, got ${JSON.stringify(v)}`);
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
  if (typeof v === "string" && ["true", "false", "True", "False"].includes(v)) {
    return v.toLowerCase() === "true" ? 1 : 0;
  }
  throw new TransformError(field, `Expected a boolean, got ${JSON.stringify(v)}`);
}

/**
 * Applies one transform to a raw value (a timestamp may be an ISO string or
 * epoch ms). Throws {@linkcode TransformError} naming the field.
 *
 * @example
 * ```ts
 * applyTransform({ kind: "crc32_mod", source: "merchant_category", modulo: 100 }, "electronics");
 * ```
 */
export function applyTransform(spec: TransformSpec, value: RawValue): number {
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

/**
 * Coerces a pre-encoded input value (number, boolean, numeric string) to a
 * number, as clients of the reference send them (`"is_weekend": false`).
 */
export function coerceEncoded(field: string, value: RawValue): number {
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) {
    return Number(value);
  }
  return typeof value === "string" ? toBool(field, value) : toNumber(field, value);
}
