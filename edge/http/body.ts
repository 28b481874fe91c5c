/**
 * Reading a request body safely: content type (415), size limit (413)
 * before the body is buffered and while a chunked one streams, a deadline
 * (408), JSON syntax (400), schema (422 with paths); raw bytes with an
 * optional `gzip`/`deflate` encoding for the Open Inference Protocol.
 *
 * @module
 */
import type { Context } from "hono";
import type { z } from "zod";
import { type BodyReader, readCapped } from "../../pipeline/http_guard.ts";
import { toFieldIssues } from "../../schemas/config.ts";
import { EdgeError } from "../errors.ts";

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;

/** Whether a `Content-Type` value is JSON (`application/json`, `application/x+json`, parameters allowed). */
export function isJsonType(type: string | null | undefined): type is string {
  return !!type && JSON_TYPE.test(type);
}

/** Reads (within the reader's limit and deadline) and validates the JSON body of `c` with `schema`. */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  bodies: BodyReader,
  fast?: (value: unknown) => z.output<S> | undefined,
): Promise<z.output<S>> {
  const type = c.req.header("content-type");
  if (!isJsonType(type)) {
    throw new EdgeError(
      "unsupported_media_type",
      `Unsupported content type: ${type ?? "(none)"}; expected application/json`,
    );
  }
  return parseJsonText(await bodies.text(c.req.raw), schema, fast);
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

const DECODINGS = new Set(["gzip", "deflate"]);

/**
 * Reads the body of `c` as bytes within the reader's limit and deadline. A
 * `gzip` or `deflate` `Content-Encoding` is decoded, and the limit holds for
 * the decoded bytes too; any other encoding is a 415.
 */
export async function readBytes(c: Context, bodies: BodyReader): Promise<Uint8Array> {
  const encoding = (c.req.header("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return await bodies.bytes(c.req.raw);
  if (!DECODINGS.has(encoding)) {
    throw new EdgeError(
      "unsupported_media_type",
      `Unsupported Content-Encoding: ${encoding.slice(0, 40)}; expected gzip, deflate or identity`,
    );
  }
  const raw = await bodies.bytes(c.req.raw);
  const decoded = new Blob([raw as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream(encoding as CompressionFormat));
  const limit = bodies.maxBytes;
  try {
    return await readCapped(
      decoded,
      limit,
      () => new EdgeError("payload_too_large", `Request body exceeds ${limit} bytes`),
    );
  } catch (cause) {
    if (cause instanceof EdgeError) throw cause;
    throw new EdgeError(
      "bad_request",
      `Cannot decode the ${encoding} request body: ${(cause as Error).message}`,
      { cause },
    );
  }
}
