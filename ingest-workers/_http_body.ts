/**
 * Reads an ingest request body, decoding `Content-Encoding: gzip` or `zstd`
 * as it streams in. The size limit applies to the decoded bytes while they
 * are produced, so a small compressed body that would expand to gigabytes
 * (a zip bomb) is refused after at most the limit, never held in memory.
 *
 * @module
 */
import { Decompress as ZstdDecompress } from "fzstd";
import { CappedBytes, readCapped } from "../pipeline/http_guard.ts";
import { IngestRequestError } from "./errors.ts";

function tooLarge(what: string): IngestRequestError {
  return new IngestRequestError("payload_too_large", 413, `Cannot ingest events: ${what}`);
}

function badEncoding(encoding: string, error: unknown): IngestRequestError {
  const why = error instanceof Error ? error.message : String(error);
  return new IngestRequestError(
    "invalid_encoding",
    400,
    `Cannot decode body: not valid ${encoding} (${why})`,
    { cause: error },
  );
}

/** Reads `req`'s body decoded, refusing more than `maxBytes` of decoded data. */
export async function readBody(req: Request, maxBytes: number): Promise<Uint8Array> {
  const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(`body is ${declared} bytes, limit ${maxBytes}`);
  if (!req.body) return new Uint8Array();
  switch (encoding) {
    case "identity":
    case "":
      return await readCapped(req.body, maxBytes, () => tooLarge(`body exceeds ${maxBytes} bytes`));
    case "gzip":
    case "x-gzip":
      return await gunzip(req.body, maxBytes);
    case "zstd":
      return await unzstd(req.body, maxBytes);
    default:
      throw new IngestRequestError(
        "unsupported_encoding",
        415,
        `Cannot decode body: Content-Encoding '${encoding}' is not supported (use gzip or zstd)`,
      );
  }
}

async function gunzip(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const inflated = body.pipeThrough(
    new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  try {
    // readCapped cancels the inflater (and the upload) at once when the limit is hit.
    return await readCapped(
      inflated,
      maxBytes,
      () => tooLarge(`body exceeds ${maxBytes} bytes once decoded`),
    );
  } catch (error) {
    if (error instanceof IngestRequestError) throw error;
    throw badEncoding("gzip", error);
  }
}

async function unzstd(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const sink = new CappedBytes(
    maxBytes,
    () => tooLarge(`body exceeds ${maxBytes} bytes once decoded`),
  );
  const stream = new ZstdDecompress((chunk: Uint8Array) => sink.push(chunk));
  try {
    for await (const chunk of body) stream.push(chunk);
    stream.push(new Uint8Array(), true);
  } catch (error) {
    if (error instanceof IngestRequestError) throw error;
    throw badEncoding("zstd", error);
  }
  return sink.bytes();
}
