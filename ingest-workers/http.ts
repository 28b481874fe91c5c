/**
 * `POST /ingest/{path}`: a JSON array or NDJSON of raw events of the source
 * whose HTTP path it is (`/ingest/events` for the default source), plain or
 * `Content-Encoding: gzip` / `zstd` (what log shippers send), at most
 * 10 000 events or 5 MiB once decoded, committed through the pipeline before
 * the 202 answer (so a 202 means durable). Errors use the shared JSON error
 * shape.
 *
 * @module
 */
import { Hono } from "hono";
import type { ErrorResponse } from "../schemas/prediction.ts";
import { readBody as readDecoded } from "./_http_body.ts";
import {
  BadContentLengthError,
  bearerToken,
  BodyReader,
  BodyTimeoutError,
  BodyTooLargeError,
  matchesAnyKey,
} from "../pipeline/http_guard.ts";
import { IngestRequestError, isRetryable } from "./errors.ts";
import type { IngestMetrics } from "./ingest_metrics.ts";
import type { IngestPipeline, PipelineInput } from "./port.ts";
import { INGEST_ROUTES } from "./api.ts";
import { honoPath } from "../schemas/api.ts";

/** Most events in one request. */
export const MAX_EVENTS_PER_REQUEST = 10_000;
/** Largest request body, decoded (the limit a compressed body must stay under once expanded). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Dependencies of {@linkcode createIngestRoutes}. */
export interface IngestRoutesOptions {
  pipeline: IngestPipeline;
  /** Accepted keys (`x-api-key` or `Authorization: Bearer`); empty = open. */
  apiKeys?: string[];
  metrics?: IngestMetrics;
  /**
   * The source an HTTP path carries (`sensor_readings` → `sensor_readings`);
   * `undefined` for a path no source has. Default: only `events`, to the
   * pipeline's default source.
   */
  sourceOf?: (path: string) => string | undefined;
  /** Longest time to receive a body, ms (default 10 000; then 408). */
  bodyTimeoutMs?: number;
}

/** The 202 body. */
export interface IngestAccepted {
  accepted: number;
  duplicate: number;
  rejected: number;
  rejections: { index: number; reason: string }[];
}

/** Builds the Hono routes of the HTTP source; mount them on any app. */
export function createIngestRoutes(options: IngestRoutesOptions): Hono {
  const app = new Hono();
  const keys = options.apiKeys ?? [];
  const bodies = new BodyReader({ maxBytes: MAX_BODY_BYTES, timeoutMs: options.bodyTimeoutMs });
  const sourceOf = options.sourceOf ?? ((path: string) => (path === "events" ? "" : undefined));
  app.post(honoPath(INGEST_ROUTES.ingest.config.path), async (c) => {
    if (keys.length > 0) checkApiKey(c.req.raw.headers, keys);
    const path = c.req.param("path") ?? "";
    const source = sourceOf(path);
    if (source === undefined) {
      throw new IngestRequestError(
        "not_found",
        404,
        `Cannot ingest into '/ingest/${path}': no source has that HTTP path`,
      );
    }
    const body = await readBody(bodies, c.req.raw);
    const messages = splitEvents(body, c.req.header("content-type") ?? "");
    if (source !== "") { for (const m of messages) m.source = source; }
    let result;
    try {
      result = await options.pipeline.processBatch(messages);
    } catch (error) {
      if (!isRetryable(error)) throw error;
      throw new IngestRequestError(
        "service_unavailable",
        503,
        "Cannot ingest events: storage is unavailable",
        {
          cause: error,
        },
      );
    }
    const out: IngestAccepted = {
      accepted: result.accepted,
      duplicate: result.duplicate,
      rejected: result.dead_lettered,
      rejections: result.rejections,
    };
    options.metrics?.messages.inc({ source: "http", outcome: "accepted" }, out.accepted);
    options.metrics?.messages.inc({ source: "http", outcome: "duplicate" }, out.duplicate);
    options.metrics?.messages.inc({ source: "http", outcome: "dead_lettered" }, out.rejected);
    options.metrics?.httpRequests.inc({ status: "202" });
    return c.json(out, 202);
  });
  app.onError((error, c) => {
    const status = error instanceof IngestRequestError ? error.status : 500;
    const code = error instanceof IngestRequestError ? error.code : "internal_error";
    const message = error instanceof IngestRequestError
      ? error.message
      : "Cannot ingest events: internal error";
    options.metrics?.httpRequests.inc({ status: String(status) });
    const body: ErrorResponse = { error: { code, message, status } };
    const headers: Record<string, string> = status === 503 ? { "retry-after": "1" } : {};
    return c.json(body, status as 400, headers);
  });
  return app;
}

function checkApiKey(headers: Headers, keys: string[]): void {
  const given = headers.get("x-api-key") ?? bearerToken(headers.get("authorization"));
  if (given === undefined || given === null) {
    throw new IngestRequestError("unauthorized", 401, "Cannot ingest events: API key missing");
  }
  if (!matchesAnyKey(given, keys)) {
    throw new IngestRequestError("unauthorized", 401, "Cannot ingest events: API key not valid");
  }
}

/**
 * The body decoded (gzip, zstd) within the limit, which holds for the
 * decoded bytes, and within the guard's deadline; the guard's errors in
 * this route's terms.
 */
async function readBody(bodies: BodyReader, req: Request): Promise<Uint8Array> {
  try {
    bodies.checkDeclared(req);
    return await bodies.within(readDecoded(req, bodies.maxBytes));
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw tooLarge(`body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    if (error instanceof BodyTimeoutError) {
      throw new IngestRequestError(
        "request_timeout",
        408,
        `Cannot ingest events: ${error.message}`,
      );
    }
    if (error instanceof BadContentLengthError) {
      throw new IngestRequestError("bad_request", 400, `Cannot ingest events: ${error.message}`);
    }
    throw error;
  }
}

function tooLarge(what: string): IngestRequestError {
  return new IngestRequestError("payload_too_large", 413, `Cannot ingest events: ${what}`);
}

/**
 * A JSON array becomes one message per element; anything else is NDJSON,
 * split on raw newlines so a non-UTF-8 line reaches the dead-letter table
 * with its bytes intact.
 */
export function splitEvents(body: Uint8Array, contentType: string): PipelineInput[] {
  const first = body.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  let out: PipelineInput[];
  if (first === 0x5b /* [ */ && !/ndjson|jsonl/i.test(contentType)) {
    let items: unknown;
    try {
      items = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
    } catch (error) {
      throw new IngestRequestError(
        "invalid_json",
        400,
        "Cannot parse body: not a valid JSON array",
        {
          cause: error,
        },
      );
    }
    if (!Array.isArray(items)) {
      throw new IngestRequestError("invalid_json", 400, "Cannot parse body: not a JSON array");
    }
    checkCount(items.length);
    out = items.map((item) => ({ payload: JSON.stringify(item), meta: { source: "http" } }));
  } else {
    out = [];
    let start = 0;
    for (let i = 0; i <= body.length; i++) {
      if (i < body.length && body[i] !== 0x0a) continue;
      const line = trimLine(body.subarray(start, i));
      start = i + 1;
      if (line.length === 0) continue;
      out.push({ payload: line, meta: { source: "http" } });
      checkCount(out.length);
    }
  }
  if (out.length === 0) {
    throw new IngestRequestError("empty_body", 400, "Cannot ingest events: no events in body");
  }
  return out;
}

function checkCount(n: number): void {
  if (n > MAX_EVENTS_PER_REQUEST) {
    throw tooLarge(`more than ${MAX_EVENTS_PER_REQUEST} events in one request`);
  }
}

/** Drops the `\r` of a CRLF line end; a blank line becomes empty. The rest stays byte for byte. */
function trimLine(line: Uint8Array): Uint8Array {
  const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
  const blank = line.subarray(0, end).every((b) => b === 0x20 || b === 0x09);
  return blank ? line.subarray(0, 0) : line.subarray(0, end);
}
