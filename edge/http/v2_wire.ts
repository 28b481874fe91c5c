/**
 * The wire format of Open Inference Protocol v2 inference: a JSON body, or
 * the binary tensor data extension, where the first
 * `Inference-Header-Content-Length` bytes are the JSON header and each
 * tensor with `parameters.binary_data_size` has that many raw little-endian
 * bytes after it, in order. Requests are read into {@linkcode InputTensor}s;
 * responses are written the same way for the outputs asked in binary.
 *
 * @module
 */
import { toFieldIssues } from "../../schemas/config.ts";
import { EdgeError } from "../errors.ts";
import { type InferRequest, InferRequestSchema } from "./schemas.ts";

/** One input tensor of a request, its values still as sent. */
export interface InputTensor {
  name: string;
  datatype: string;
  shape: number[];
  /** JSON values (row-major, possibly nested), when sent in `data`. */
  data?: unknown[];
  /** Raw little-endian bytes, when sent with the binary tensor data extension. */
  bytes?: Uint8Array;
}

/** A request read from the wire. */
export interface ParsedInfer {
  request: InferRequest;
  inputs: InputTensor[];
}

/** The header that gives the JSON header's length in bytes. */
export const HEADER_LENGTH = "Inference-Header-Content-Length";

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const SHARED_MEMORY = "shared_memory_region";
/** A client-given name, cut short for messages. */
const short = (text: string) => text.length > 100 ? `${text.slice(0, 100)}…` : text;

function bad(message: string): EdgeError {
  return new EdgeError("bad_request", message);
}

/** The JSON header's length: the whole body without the header, else its non-negative value. */
function headerLength(value: string | undefined, size: number): number {
  if (value === undefined) return size;
  const text = value.trim();
  if (!/^\d{1,15}$/.test(text)) {
    throw bad(
      `Invalid ${HEADER_LENGTH}: '${
        text.slice(0, 40)
      }'; expected the byte length of the JSON header`,
    );
  }
  const n = Number(text);
  if (n > size) {
    throw bad(`${HEADER_LENGTH} is ${n} but the body holds only ${size} bytes`);
  }
  if (n === 0) throw bad(`${HEADER_LENGTH} is 0: the body must start with the JSON header`);
  return n;
}

function parseHeader(text: string, binary: boolean): InferRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const what = binary ? `JSON header (the first ${HEADER_LENGTH} bytes)` : "JSON body";
    throw new EdgeError("invalid_json", `Invalid ${what}: ${(cause as Error).message}`, { cause });
  }
  const parsed = InferRequestSchema.safeParse(value);
  if (!parsed.success) {
    const details = toFieldIssues(parsed.error).map((d) => ({ ...d, path: d.path || "(body)" }));
    throw new EdgeError(
      "validation_failed",
      `Invalid inference request: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`,
      { details },
    );
  }
  return parsed.data;
}

/** `binary_data_size` of an input: a non-negative integer or absent. */
function binarySize(name: string, params: Record<string, unknown> | undefined): number | undefined {
  const size = params?.binary_data_size;
  if (size === undefined) return undefined;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw bad(
      `Input '${short(name)}': parameters.binary_data_size must be a non-negative integer, got ${
        JSON.stringify(size)?.slice(0, 40)
      }`,
    );
  }
  return size;
}

/**
 * Reads an inference request from its body bytes and the value of its
 * `Inference-Header-Content-Length` header. Malformed framing is a 400
 * naming what is wrong; a header that does not match the schema is a 422.
 */
export function parseInferBody(body: Uint8Array, lengthHeader: string | undefined): ParsedInfer {
  const binary = lengthHeader !== undefined;
  const jsonLength = headerLength(lengthHeader, body.length);
  const request = parseHeader(decoder.decode(body.subarray(0, jsonLength)), binary);
  let offset = jsonLength;
  const inputs = request.inputs.map((t): InputTensor => {
    if (t.parameters?.[SHARED_MEMORY] !== undefined) {
      throw bad(
        `Input '${short(t.name)}' names a shared memory region: shared memory is not supported`,
      );
    }
    const size = binarySize(t.name, t.parameters);
    const tensor: InputTensor = { name: t.name, datatype: t.datatype, shape: t.shape };
    if (size === undefined) {
      if (t.data === undefined) {
        throw bad(
          `Input '${
            short(t.name)
          }' has no data: send 'data', or 'parameters.binary_data_size' and the bytes after the JSON header`,
        );
      }
      tensor.data = t.data;
      return tensor;
    }
    if (t.data !== undefined) {
      throw bad(`Input '${short(t.name)}' has both 'data' and 'parameters.binary_data_size'`);
    }
    if (!binary) {
      throw bad(
        `Input '${
          short(t.name)
        }' has parameters.binary_data_size but the request has no ${HEADER_LENGTH} header`,
      );
    }
    if (offset + size > body.length) {
      throw bad(
        `Input '${
          short(t.name)
        }' declares ${size} bytes of binary data at offset ${offset}, past the end of the ${body.length}-byte body`,
      );
    }
    tensor.bytes = body.subarray(offset, offset + size);
    offset += size;
    return tensor;
  });
  if (offset !== body.length) {
    throw bad(
      `${
        body.length - jsonLength
      } bytes follow the JSON header but the inputs' binary_data_size add up to ${
        offset - jsonLength
      }`,
    );
  }
  for (const o of request.outputs ?? []) {
    if (o.parameters?.[SHARED_MEMORY] !== undefined) {
      throw bad(
        `Output '${short(o.name)}' names a shared memory region: shared memory is not supported`,
      );
    }
    if (o.parameters?.classification !== undefined) {
      throw bad(
        `Output '${short(o.name)}' asks for classification: that extension is not supported`,
      );
    }
    const b = o.parameters?.binary_data;
    if (b !== undefined && typeof b !== "boolean") {
      throw bad(`Output '${short(o.name)}': parameters.binary_data must be true or false`);
    }
  }
  const all = request.parameters?.binary_data_output;
  if (all !== undefined && typeof all !== "boolean") {
    throw bad("parameters.binary_data_output must be true or false");
  }
  const explain = request.parameters?.explain;
  if (explain !== undefined && typeof explain !== "boolean") {
    throw bad("parameters.explain must be true or false");
  }
  return { request, inputs };
}

/** An output tensor ready to be written. */
export interface OutputTensor {
  name: string;
  datatype: "FP32" | "FP64" | "INT64";
  shape: number[];
  /** The values (float32 for FP32, float64 for FP64; integers for INT64). */
  values: Float32Array | Float64Array | number[];
  /** Whether it goes after the JSON as raw bytes. */
  binary: boolean;
}

function rawBytes(t: OutputTensor): Uint8Array {
  if (t.datatype === "FP32") {
    const f = t.values instanceof Float32Array ? t.values : Float32Array.from(t.values);
    return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  }
  if (t.datatype === "FP64") {
    const f = t.values instanceof Float64Array ? t.values : Float64Array.from(t.values);
    return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  }
  // INT64 little-endian as (low, high) 32-bit words: labels are small integers.
  const words = new Int32Array(2 * t.values.length);
  for (let i = 0; i < t.values.length; i++) {
    const v = Math.trunc(t.values[i]);
    words[2 * i] = v;
    words[2 * i + 1] = v < 0 ? -1 : 0;
  }
  return new Uint8Array(words.buffer);
}

/** An encoded response: the body, and the JSON header's length when outputs follow in binary. */
export type EncodedInfer =
  | { body: string; headerLength?: undefined }
  | { body: Uint8Array<ArrayBuffer>; headerLength: number };

/**
 * Writes a response: `head` (everything but `outputs`) plus the outputs, in
 * JSON or, for those marked binary, as `binary_data_size` bytes after the
 * JSON header.
 */
export function encodeInferResponse(
  head: Record<string, unknown>,
  outputs: OutputTensor[],
): EncodedInfer {
  const raws: Uint8Array[] = [];
  const json = outputs.map((t) => {
    const base = { name: t.name, datatype: t.datatype, shape: t.shape };
    if (!t.binary) return { ...base, data: Array.from(t.values) };
    const raw = rawBytes(t);
    raws.push(raw);
    return { ...base, parameters: { binary_data_size: raw.length } };
  });
  const text = JSON.stringify({ ...head, outputs: json });
  if (raws.length === 0) return { body: text };
  const header = encoder.encode(text);
  const out = new Uint8Array(header.length + raws.reduce((s, r) => s + r.length, 0));
  out.set(header, 0);
  let o = header.length;
  for (const r of raws) {
    out.set(r, o);
    o += r.length;
  }
  return { body: out, headerLength: header.length };
}
