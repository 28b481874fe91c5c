/**
 * Converts Redis replies to Upstash REST result values.
 *
 * With `Upstash-Encoding: base64`, every string is base64 except a top-level
 * `OK`; numbers and null pass through; arrays are converted recursively
 * (maps such as HGETALL stay flat `[k, v, ...]` arrays, as RESP2 gives them).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type Reply, ReplyError } from "./_codec.ts";

function isOk(buf: Uint8Array): boolean {
  return buf.length === 2 && buf[0] === 79 && buf[1] === 75;
}

/** Converts one reply; `top` is false inside arrays, where `OK` is encoded too. */
export function toUpstashResult(reply: Reply, base64: boolean, top = true): unknown {
  if (reply === null || typeof reply === "number") return reply;
  if (typeof reply === "string") {
    if (!base64 || (top && reply === "OK")) return reply;
    return Buffer.from(reply, "latin1").toString("base64");
  }
  if (reply instanceof Uint8Array) {
    const buf = reply as Buffer;
    if (!base64) return buf.toString("utf8");
    return top && isOk(buf) ? "OK" : buf.toString("base64");
  }
  if (reply instanceof ReplyError) return reply.message;
  const out = new Array(reply.length);
  for (let i = 0; i < reply.length; i++) out[i] = toUpstashResult(reply[i], base64, false);
  return out;
}

/** One `{result}` or `{error}` entry, as `/pipeline` and `/multi-exec` return. */
export function toUpstashEntry(
  reply: Reply,
  base64: boolean,
): { result: unknown } | { error: string } {
  return reply instanceof ReplyError
    ? { error: reply.message }
    : { result: toUpstashResult(reply, base64) };
}
