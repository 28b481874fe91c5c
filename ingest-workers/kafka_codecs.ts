/**
 * Registers the codecs of `_compression.ts` with kafkajs (its documented
 * `CompressionCodecs` table), so a consumer reads batches from any standard
 * producer and `KafkaProducer` can compress.
 *
 * kafkajs decodes a fetch response for every partition at once: a codec
 * that throws fails the whole fetch, so one bad batch would stall every
 * partition of the broker and crash the consumer in a loop. Instead, a
 * batch that cannot be decompressed (corrupt, or over the size cap) is
 * decoded into placeholder records, one per offset of the batch, tagged
 * with a header whose name is secret to this process. `KafkaSource` turns
 * them back into one undecodable message the worker retries and then
 * dead-letters, and the partition moves on.
 *
 * The placeholders need the batch's record count and last offset delta,
 * which the record batch header holds just before the records kafkajs hands
 * to `decompress` (it passes a view of the fetch response, not a copy). The
 * header is checked (magic 2, batch length, codec bits) before use; when it
 * does not match, the codec throws as kafkajs' own would.
 *
 * @module
 */
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { asBuffer, BLOCK_CODECS, concat, DecompressionError } from "./_compression.ts";

/** Default cap of one batch's decompressed size. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/** Name of the header that marks placeholder records (random per process: producers cannot forge it). */
export const UNDECODABLE_HEADER = `rtml-undecodable-${crypto.randomUUID()}`;

let maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES;
let registered = false;

/**
 * Installs gzip, snappy, lz4 and zstd in kafkajs. The table is global to the
 * process, so the cap is too: the last call sets it.
 */
export function registerKafkaCodecs(options: { maxDecompressedBytes?: number } = {}): void {
  maxDecompressedBytes = options.maxDecompressedBytes ?? maxDecompressedBytes;
  if (registered) return;
  registered = true;
  const types = CompressionTypes as unknown as Record<string, number>;
  const table = CompressionCodecs as unknown as Record<number, () => unknown>;
  const ids: Record<keyof typeof BLOCK_CODECS, number> = {
    gzip: types.GZIP,
    snappy: types.Snappy,
    lz4: types.LZ4,
    zstd: types.ZSTD,
  };
  for (const [name, codec] of Object.entries(BLOCK_CODECS)) {
    const id = ids[name as keyof typeof BLOCK_CODECS];
    const kafkaCodec = {
      compress: async (encoder: { buffer: Uint8Array }) =>
        asBuffer(await codec.compress(encoder.buffer)),
      decompress: async (buffer: Uint8Array) => {
        await codec.ready();
        return asBuffer(decodeOrPlaceholders(name, id, buffer, codec.decompress));
      },
    };
    table[id] = () => kafkaCodec;
  }
}

/** Header of the record batch `records` (a view) belongs to; undefined when it cannot be found. */
function batchHeader(records: Uint8Array, codecId: number) {
  const at = records.byteOffset - 61;
  if (at < 0) return undefined;
  const view = new DataView(records.buffer, at, 61);
  const ok = view.getInt32(8) === records.length + 49 && view.getInt8(16) === 2 &&
    (view.getInt16(21) & 0x07) === codecId;
  if (!ok) return undefined;
  return { lastOffsetDelta: view.getInt32(23), count: view.getInt32(57) };
}

function decodeOrPlaceholders(
  name: string,
  codecId: number,
  records: Uint8Array,
  decompress: (data: Uint8Array, maxBytes: number) => Uint8Array,
): Uint8Array {
  const header = batchHeader(records, codecId);
  try {
    const out = decompress(records, maxDecompressedBytes);
    if (header) checkRecords(out, header.count);
    return out;
  } catch (error) {
    if (!header) throw error;
    const reason = error instanceof DecompressionError
      ? error.message
      : `Cannot decode ${name} batch: ${(error as Error)?.message ?? String(error)}`;
    return placeholders(header.count, header.lastOffsetDelta, records, `${name}: ${reason}`);
  }
}

/** The records of an undecodable batch: the first carries the raw batch and the reason. */
export function placeholders(
  count: number,
  lastOffsetDelta: number,
  raw: Uint8Array,
  reason: string,
): Uint8Array {
  const parts: Uint8Array[] = [];
  const key = new TextEncoder().encode(UNDECODABLE_HEADER);
  const why = new TextEncoder().encode(reason);
  for (let i = 0; i < count; i++) {
    const delta = i === count - 1 && lastOffsetDelta > i ? lastOffsetDelta : i;
    const body = concat([
      Uint8Array.of(0), // attributes
      varint(0), // timestamp delta
      varint(delta),
      varint(-1), // no key
      ...(i === 0 ? [varint(raw.length), raw] : [varint(-1)]),
      varint(1), // one header
      varint(key.length),
      key,
      ...(i === 0 ? [varint(why.length), why] : [varint(0)]),
    ]);
    parts.push(varint(body.length), body);
  }
  return concat(parts);
}

function varint(n: number): Uint8Array {
  let v = (n << 1) ^ (n >> 31); // zigzag
  const out: number[] = [];
  v >>>= 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Uint8Array.from(out);
}

/**
 * Walks `count` records of a decompressed batch without decoding them, so
 * data a codec let through garbled is refused here rather than by kafkajs'
 * decoder (which would fail the whole fetch).
 */
export function checkRecords(buf: Uint8Array, count: number): void {
  let at = 0;
  const readVarint = (limit: number): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (at >= limit || shift > 63) throw new DecompressionError("Record framing is corrupt");
      const b = buf[at++];
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    // zigzag decode (values here fit doubles; lengths are small)
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  };
  const skipBytes = (limit: number, nullable: boolean) => {
    const len = readVarint(limit);
    if (len < (nullable ? -1 : 0) || at + Math.max(0, len) > limit) {
      throw new DecompressionError("Record framing is corrupt");
    }
    at += Math.max(0, len);
  };
  for (let i = 0; i < count; i++) {
    const len = readVarint(buf.length);
    const end = at + len;
    if (len < 0 || end > buf.length) throw new DecompressionError("Record framing is corrupt");
    at += 1; // attributes
    readVarint(end); // timestamp delta
    readVarint(end); // offset delta
    skipBytes(end, true); // key
    skipBytes(end, true); // value
    const headers = readVarint(end);
    if (headers < 0) throw new DecompressionError("Record framing is corrupt");
    for (let h = 0; h < headers; h++) {
      skipBytes(end, false);
      skipBytes(end, true);
    }
    if (at !== end) throw new DecompressionError("Record framing is corrupt");
  }
}
