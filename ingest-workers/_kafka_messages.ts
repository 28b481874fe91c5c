/**
 * kafkajs messages → `SourceMessage`s: id `topic/partition/offset`, the
 * record key and headers kept in `meta` (a dead letter can be traced back to
 * its producer), and the placeholder records of an undecodable batch folded
 * into one undecodable message spanning its offsets.
 *
 * @module
 */
import type { Batch, IHeaders, KafkaMessage } from "kafkajs";
import type { SourceMessage } from "./port.ts";
import { UNDECODABLE_HEADER } from "./kafka_codecs.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Text of `bytes` when it is UTF-8, otherwise `undefined`. */
function text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Key as `key` (UTF-8) or `key_base64`; headers as JSON (`{"name": "text"}`, or `{"base64": …}` for binary values). */
export function keyAndHeaders(m: KafkaMessage): Record<string, string> {
  const meta: Record<string, string> = {};
  if (m.key) {
    const k = text(m.key);
    if (k !== undefined) meta.key = k;
    else meta.key_base64 = base64(m.key);
  }
  const headers = m.headers as IHeaders | undefined;
  if (headers) {
    let any = false;
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name === UNDECODABLE_HEADER) continue;
      any = true;
      const one = (v: unknown) => {
        if (v === undefined || v === null) return null;
        const bytes = typeof v === "string" ? new TextEncoder().encode(v) : v as Uint8Array;
        const t = text(bytes);
        return t !== undefined ? t : { base64: base64(bytes) };
      };
      out[name] = Array.isArray(value) ? value.map(one) : one(value);
    }
    if (any) meta.headers = JSON.stringify(out);
  }
  return meta;
}

/** The messages of one fetched partition batch. */
export function toMessages(batch: Batch): SourceMessage[] {
  const base = { source: "kafka", topic: batch.topic, partition: String(batch.partition) };
  const prefix = `${batch.topic}/${batch.partition}/`;
  const out: SourceMessage[] = [];
  for (const m of batch.messages) {
    const marker = m.headers?.[UNDECODABLE_HEADER];
    if (marker === undefined) {
      out.push({
        payload: m.value ?? new Uint8Array(),
        id: prefix + m.offset,
        meta: m.key || m.headers ? { ...base, offset: m.offset, ...keyAndHeaders(m) } : {
          ...base,
          offset: m.offset,
        },
        producedAtMs: Number(m.timestamp) || undefined,
      });
      continue;
    }
    const reason = text(marker as Uint8Array) ?? "";
    const last = out[out.length - 1];
    if (reason === "" && last?.undecodable !== undefined) {
      // Another offset of the same batch.
      last.meta.offset_last = m.offset;
      continue;
    }
    out.push({
      payload: m.value ?? new Uint8Array(),
      id: prefix + m.offset,
      meta: { ...base, offset: m.offset, offset_last: m.offset },
      producedAtMs: Number(m.timestamp) || undefined,
      undecodable: reason || "Cannot decode record batch",
    });
  }
  return out;
}
