/**
 * The compression codecs of Kafka record batches (gzip, snappy, lz4, zstd)
 * over pure-JS / WASM libraries, so they load wherever Deno runs (no native
 * addon). Each decompression is capped: a batch that would grow past the
 * cap is refused before it is held in memory (a decompression bomb).
 *
 * Framing follows the Java client, the reference every producer meets:
 * snappy in the xerial stream framing of `snappy-java` (raw blocks are
 * read too), lz4 as LZ4 frames (`KafkaLZ4BlockOutputStream`), zstd frames
 * with or without a content size (`zstd-jni` streams have none).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  compress as zstdCompress,
  decompress as zstdDecompressWasm,
  init as zstdInit,
} from "@bokuweb/zstd-wasm";
import { Decompress as ZstdDecompress } from "fzstd";
import lz4 from "lz4js";
import { concat } from "./_bytes.ts";
import { lz4Frame, lz4FrameSize } from "./_lz4.ts";
import snappy from "snappyjs";

/** Kafka's codec ids (record batch attributes, bits 0–2). */
export const KAFKA_CODECS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
/** A codec name accepted by `--compression` and `KAFKA_COMPRESSION`. */
export type KafkaCodecName = keyof typeof KAFKA_CODECS;

/** A decompression refused: output over the cap, or data the codec cannot read. */
export class DecompressionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DecompressionError";
  }
}

/** Compresses and decompresses one codec's payloads. */
export interface BlockCodec {
  /** Resolves once the codec can run (loads WASM); `decompress` may be called after it. */
  ready(): Promise<void>;
  compress(data: Uint8Array): Promise<Uint8Array>;
  /** Throws {@linkcode DecompressionError} past `maxBytes` or on corrupt data. */
  decompress(data: Uint8Array, maxBytes: number): Uint8Array;
}

function tooBig(codec: string, maxBytes: number): DecompressionError {
  return new DecompressionError(`${codec} data decompresses to more than ${maxBytes} bytes`);
}

function corrupt(codec: string, error: unknown): DecompressionError {
  if (error instanceof DecompressionError) return error;
  const why = error instanceof Error ? error.message : String(error);
  return new DecompressionError(`Cannot decompress ${codec} data: ${why}`, { cause: error });
}

const now = () => Promise.resolve();

const gzip: BlockCodec = {
  ready: now,
  compress: (data) => Promise.resolve(gzipSync(data)),
  decompress(data, maxBytes) {
    try {
      return gunzipSync(data, { maxOutputLength: maxBytes });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "ERR_BUFFER_TOO_LARGE") throw tooBig("gzip", maxBytes);
      throw corrupt("gzip", error);
    }
  },
};

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const XERIAL_BLOCK = 32 * 1024;

function isXerial(data: Uint8Array): boolean {
  return data.length >= 16 && XERIAL_MAGIC.every((b, i) => data[i] === b);
}

const snappyCodec: BlockCodec = {
  ready: now,
  compress(data) {
    // snappy-java's stream framing: magic, version 1, compatible 1, then length-prefixed blocks.
    const parts: Uint8Array[] = [Uint8Array.from([...XERIAL_MAGIC, 0, 0, 0, 1, 0, 0, 0, 1])];
    for (let at = 0; at < data.length; at += XERIAL_BLOCK) {
      const block: Uint8Array = snappy.compress(data.subarray(at, at + XERIAL_BLOCK));
      const len = new Uint8Array(4);
      new DataView(len.buffer).setInt32(0, block.length);
      parts.push(len, block);
    }
    return Promise.resolve(concat(parts));
  },
  decompress(data, maxBytes) {
    try {
      if (!isXerial(data)) return snappy.uncompress(data, maxBytes);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const blocks: Uint8Array[] = [];
      let size = 0;
      for (let at = 16; at < data.length;) {
        if (at + 4 > data.length) throw new DecompressionError("truncated snappy block header");
        const len = view.getInt32(at);
        if (len < 0 || at + 4 + len > data.length) {
          throw new DecompressionError("truncated snappy block");
        }
        const block: Uint8Array = snappy.uncompress(
          data.subarray(at + 4, at + 4 + len),
          maxBytes - size,
        );
        size += block.length;
        blocks.push(block);
        at += 4 + len;
      }
      return concat(blocks);
    } catch (error) {
      if (/too big/.test((error as Error)?.message ?? "")) throw tooBig("snappy", maxBytes);
      throw corrupt("snappy", error);
    }
  },
};

const lz4Codec: BlockCodec = {
  ready: now,
  compress: (data) => Promise.resolve(lz4Frame(data)),
  decompress(data, maxBytes) {
    try {
      // The bound counts every block at its largest size: an honest frame stays near its real size.
      const bound: number = lz4.decompressBound(data);
      if (bound > maxBytes) {
        // Count the real size block by block before refusing (small frames of big blocks).
        if (lz4FrameSize(data) > maxBytes) throw tooBig("lz4", maxBytes);
      }
      const out = new Uint8Array(Math.min(bound, maxBytes));
      const n: number = lz4.decompressFrame(data, out);
      return out.subarray(0, n);
    } catch (error) {
      throw corrupt("lz4", error);
    }
  },
};

/**
 * Decompressed size declared by a zstd frame header, or undefined when the
 * frame does not say (streamed frames, as `zstd-jni` writes them).
 */
export function zstdContentSize(data: Uint8Array): number | undefined {
  if (data.length < 6 || data[0] !== 0x28 || data[1] !== 0xb5 || data[2] !== 0x2f) return;
  if (data[3] !== 0xfd) return;
  const fhd = data[4];
  const single = (fhd & 0x20) !== 0;
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fhd >> 6];
  if (fcsBytes === 0) return;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3];
  if (at + fcsBytes > data.length) return;
  const view = new DataView(data.buffer, data.byteOffset + at, fcsBytes);
  switch (fcsBytes) {
    case 1:
      return view.getUint8(0);
    case 2:
      return view.getUint16(0, true) + 256;
    case 4:
      return view.getUint32(0, true);
    default:
      return Number(view.getBigUint64(0, true));
  }
}

/** fzstd's streaming decoder: any frame, output counted chunk by chunk against the cap. */
function zstdStreaming(data: Uint8Array, maxBytes: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const stream = new ZstdDecompress((chunk: Uint8Array) => {
      size += chunk.length;
      if (size > maxBytes) throw tooBig("zstd", maxBytes);
      chunks.push(chunk);
    });
    stream.push(data, true);
  } catch (error) {
    throw corrupt("zstd", error);
  }
  return chunks.length === 1 ? chunks[0] : concat(chunks);
}

const zstdCodec: BlockCodec = {
  ready: () => zstdReady(),
  async compress(data) {
    await zstdReady();
    return zstdCompress(data, 3);
  },
  decompress(data, maxBytes) {
    const declared = zstdContentSize(data);
    if (declared !== undefined && declared > maxBytes) throw tooBig("zstd", maxBytes);
    // A frame that states its size goes through libzstd in WASM (3× faster than fzstd here,
    // measured on 5 000-event batches); anything else (or anything it refuses) streams.
    if (declared !== undefined && wasmReady) {
      try {
        return zstdDecompressWasm(data, { defaultHeapSize: Math.max(1, declared) });
      } catch {
        // fzstd below says why, or decodes what libzstd's one-shot call would not.
      }
    }
    return zstdStreaming(data, maxBytes);
  },
};

let wasmReady = false;
let zstdInit$: Promise<void> | undefined;
function zstdReady(): Promise<void> {
  return zstdInit$ ??= zstdInit().then(() => {
    wasmReady = true;
  });
}

/** The codec of each compressed Kafka codec id. */
export const BLOCK_CODECS: Record<Exclude<KafkaCodecName, "none">, BlockCodec> = {
  gzip,
  snappy: snappyCodec,
  lz4: lz4Codec,
  zstd: zstdCodec,
};

export { concat };

/** A Node `Buffer` view of `bytes` (kafkajs decoders expect Buffers). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
