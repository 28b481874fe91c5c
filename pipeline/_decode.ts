/**
 * Decoding of raw messages: UTF-8, JSON, characters Postgres cannot store,
 * then the shared event validation.
 *
 * @module
 */
import { validateEvent, type ValidEvent } from "../schemas/event.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** A message that cannot be accepted: why, and a short label for metrics. */
export interface Rejected {
  reason: string;
  label: string;
}

/** Bytes of a payload. */
export function payloadBytes(payload: Uint8Array | string): Uint8Array {
  return typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
}

/** Base64 of a payload's bytes. */
export function toBase64(payload: Uint8Array | string): string {
  const bytes = payloadBytes(payload);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Decodes and validates one payload. */
export function decodeEvent(
  payload: Uint8Array | string,
  nowMs: number,
  maxFutureMs: number,
): ValidEvent | Rejected {
  let text: string;
  try {
    text = typeof payload === "string" ? payload : decoder.decode(payload);
  } catch {
    return { reason: "Payload is not valid UTF-8", label: "not_utf8" };
  }
  // Postgres text and jsonb cannot hold NUL; such an event could never be stored.
  if (text.includes("\u0000") || text.includes("\\u0000")) {
    return { reason: "Payload contains a NUL character", label: "nul_character" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { reason: `Payload is not JSON: ${detail}`, label: "not_json" };
  }
  const checked = validateEvent(value, { nowMs, maxFutureMs });
  if ("reason" in checked) {
    const first = checked.issues[0]?.path ?? "event";
    const detail = checked.issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    return { reason: `Invalid event: ${detail}`, label: `invalid_${first.split(".")[0]}` };
  }
  return checked;
}
