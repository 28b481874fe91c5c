/**
 * LZ4 frames as Kafka's Java client writes and reads them, over lz4js'
 * block codec: independent 64 KiB blocks, LZ4's end-of-block rules kept,
 * and the decoded size of a frame counted before it is decoded.
 *
 * @module
 */
import lz4 from "lz4js";
import xxh32 from "lz4js/xxh32.js";
import { concat } from "./_bytes.ts";

const LZ4_BLOCK = 64 * 1024;

/**
 * An LZ4 frame of independent 64 KiB blocks, as `KafkaLZ4BlockOutputStream`
 * writes. lz4js' own `compress` chains blocks (dependent), which the Java
 * client refuses; its block compressor is used here with a fresh match
 * table per block instead.
 */
export function lz4Frame(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = Uint8Array.of(0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0);
  header[6] = (xxh32.hash(0, header, 4, 2) >> 8) & 0xff;
  parts.push(header);
  const table = new Uint32Array(1 << 16);
  const scratch = new Uint8Array(lz4.compressBound(LZ4_BLOCK));
  for (let at = 0; at < data.length; at += LZ4_BLOCK) {
    const size = Math.min(LZ4_BLOCK, data.length - at);
    table.fill(0);
    const n: number = lz4.compressBlock(data, scratch, at, size, table);
    const word = new Uint8Array(4);
    const view = new DataView(word.buffer);
    if (n === 0 || n >= size || !lz4BlockEndsWell(scratch.subarray(0, n), size)) {
      view.setUint32(0, (0x80000000 | size) >>> 0, true);
      parts.push(word, data.slice(at, at + size));
    } else {
      view.setUint32(0, n, true);
      parts.push(word, scratch.slice(0, n));
    }
  }
  parts.push(new Uint8Array(4));
  return concat(parts);
}

/**
 * Whether a compressed block keeps LZ4's end-of-block rules: the last match
 * starts at least 12 bytes and ends at least 5 bytes before the end. lz4js
 * may start a match up to 10 bytes before the end, which strict decoders
 * (lz4-java in the broker) refuse; such a block (rare: only its tail
 * matters) is stored uncompressed instead.
 */
function lz4BlockEndsWell(block: Uint8Array, size: number): boolean {
  let ip = 0;
  let op = 0;
  while (ip < block.length) {
    const token = block[ip++];
    let literals = token >> 4;
    if (literals === 15) {
      for (let b = 255; b === 255;) literals += b = block[ip++];
    }
    ip += literals;
    op += literals;
    if (ip >= block.length) return op === size; // the last sequence: literals only
    ip += 2; // offset
    let match = (token & 15) + 4;
    if ((token & 15) === 15) {
      for (let b = 255; b === 255;) match += b = block[ip++];
    }
    if (op > size - 12 || op + match > size - 5) return false;
    op += match;
  }
  return op === size;
}

/** Decompressed size of an LZ4 frame (decodes it once, block by block, into a bounded scratch buffer). */
export function lz4FrameSize(data: Uint8Array): number {
  const scratch = new Uint8Array(4 * 1024 * 1024);
  let total = 0;
  // lz4js decodes whole frames only; counting blocks needs the frame layout (magic, FLG, BD, HC).
  const flg = data[4];
  let at = 7 + ((flg & 0x08) ? 8 : 0);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  while (at + 4 <= data.length) {
    const word = view.getUint32(at, true);
    at += 4;
    if (word === 0) break;
    const len = word & 0x7fffffff;
    if (word & 0x80000000) total += len;
    else total += lz4.decompressBlock(data, scratch, at, len, 0);
    at += len + ((flg & 0x10) ? 4 : 0);
  }
  return total;
}
