/**
 * Decoding of raw messages: UTF-8, JSON, characters Postgres cannot store,
 * then the shared event validation.
 *
 * @module
 */
import type { EventValidator, ValidEvent } from "../schemas/event.ts";

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

/** A valid event, and its JSON text when that text can be stored as it came. */
export interface DecodedEvent extends ValidEvent {
  /**
   * The payload's JSON text, one line (raw newlines, which JSON allows only
   * between tokens, become spaces), when the event is exactly what it parses
   * to: then the store keeps the text instead of serialising the event again.
   */
  json?: string;
}

/** Decodes one payload and validates it with its source's validator. */
export function decodeEvent(
  payload: Uint8Array | string,
  nowMs: number,
  validator: EventValidator,
): DecodedEvent | Rejected {
  let text: string;
  try {
    text = typeof payload === "string" ? payload : decoder.decode(payload);
  } catch {
    return { reason: "Payload is not valid UTF-8", label: "not_utf8" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { reason: `Payload is not JSON: ${detail}`, label: "not_json" };
  }
  // Postgres text and jsonb hold neither NUL nor lone surrogates: such an
  // event could never be stored and would fail its whole batch forever.
  // JSON text can hold either only through a \u escape (a raw NUL is a
  // syntax error) or, for a lone surrogate, in the text itself, so a
  // well-formed text without \u escapes needs no walk over the value.
  const plain = text.indexOf("\\u") === -1 && text.isWellFormed();
  if (!plain && !storable(value)) {
    return {
      reason: "Payload contains a NUL character or a lone surrogate, which Postgres cannot store",
      label: "unstorable_text",
    };
  }
  const checked = validator.validate(value, nowMs);
  if ("reason" in checked) {
    const first = checked.issues[0]?.path ?? "event";
    const detail = checked.issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    return { reason: `Invalid event: ${detail}`, label: `invalid_${first.split(".")[0]}` };
  }
  // The event is the parsed text itself (unless zod copied it): keep the text for the store.
  if (checked.event === value) {
    return { ...checked, json: text.includes("\n") ? text.replaceAll("\n", " ") : text };
  }
  return checked;
}

function storableText(s: string): boolean {
  return !s.includes("\u0000") && s.isWellFormed();
}

/** Whether every string (keys included) of a JSON value can be stored by Postgres. */
function storable(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return storableText(value);
  if (value === null || typeof value !== "object") return true;
  if (depth > 64) return false;
  if (Array.isArray(value)) return value.every((v) => storable(v, depth + 1));
  for (const [k, v] of Object.entries(value)) {
    if (!storableText(k) || !storable(v, depth + 1)) return false;
  }
  return true;
}
