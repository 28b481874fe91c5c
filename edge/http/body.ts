/**
 * Reading a JSON request body safely: content type (415), size limit (413)
 * before the body is buffered, JSON syntax (400), schema (422 with paths).
 *
 * @module
 */
import type { Context } from "hono";
import type { z } from "zod";
import { toFieldIssues } from "../../schemas/config.ts";
import { EdgeError } from "../errors.ts";

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;

/** Whether a `Content-Type` value is JSON (`application/json`, `application/x+json`, parameters allowed). */
export function isJsonType(type: string | null | undefined): type is string {
  return !!type && JSON_TYPE.test(type);
}

async function readLimited(body: ReadableStream<Uint8Array> | null, limit: number) {
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return new TextDecoder().decode(all);
}

function tooLarge(limit: number): EdgeError {
  return new EdgeError("payload_too_large", `Request body exceeds ${limit} bytes`);
}

/** Reads and validates the JSON body of `c` with `schema`. */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  limit: number,
  fast?: (value: unknown) => z.output<S> | undefined,
): Promise<z.output<S>> {
  const type = c.req.header("content-type");
  if (!isJsonType(type)) {
    throw new EdgeError(
      "unsupported_media_type",
      `Unsupported content type: ${type ?? "(none)"}; expected application/json`,
    );
  }
  const length = c.req.header("content-length");
  let text: string;
  if (length !== undefined) {
    if (!/^\d+$/.test(length)) {
      throw new EdgeError("bad_request", `Invalid Content-Length: ${length}`);
    }
    if (Number(length) > limit) throw tooLarge(limit);
    text = await c.req.text();
  } else {
    text = await readLimited(c.req.raw.body, limit);
  }
  return parseJsonText(text, schema, fast);
}

/** Parses a JSON body already read (400 on bad syntax) and validates it (422 with paths). */
export function parseJsonText<S extends z.ZodType>(
  text: string,
  schema: S,
  fast?: (value: unknown) => z.output<S> | undefined,
): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new EdgeError("invalid_json", `Invalid JSON body: ${(cause as Error).message}`, {
      cause,
    });
  }
  const quick = fast?.(value);
  if (quick !== undefined) return quick;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = toFieldIssues(parsed.error).map((d) => ({ ...d, path: d.path || "(body)" }));
    throw new EdgeError(
      "validation_failed",
      `Invalid request: ${details.map((d) => d.path).join(", ")}`,
      { details },
    );
  }
  return parsed.data;
}
