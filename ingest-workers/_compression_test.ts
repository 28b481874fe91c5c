import assert from "node:assert/strict";
import { BLOCK_CODECS, DecompressionError, zstdContentSize } from "./_compression.ts";
import { checkRecords, placeholders } from "./kafka_codecs.ts";

const text = new TextEncoder().encode(
  JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ event_id: `e${i}`, amount: i }))),
);

for (const [name, codec] of Object.entries(BLOCK_CODECS)) {
  Deno.test(`BLOCK_CODECS.${name} round-trips a batch`, async () => {
    const packed = await codec.compress(text);
    assert.ok(packed.length < text.length / 2, `${name} compresses`);
    assert.deepEqual(new Uint8Array(codec.decompress(packed, text.length)), text);
  });

  Deno.test(`BLOCK_CODECS.${name} refuses output past the cap (decompression bomb)`, async () => {
    const bomb = await codec.compress(new Uint8Array(4 * 1024 * 1024));
    assert.throws(() => codec.decompress(bomb, 1024 * 1024), (e: Error) => {
      assert.ok(e instanceof DecompressionError);
      assert.match(e.message, /more than 1048576 bytes/);
      return true;
    });
  });

  Deno.test(`BLOCK_CODECS.${name} throws DecompressionError on corrupt data`, async () => {
    const packed = await codec.compress(text);
    const broken = packed.slice(0, Math.floor(packed.length / 2));
    broken.fill(0x5a, 20);
    assert.throws(() => {
      const out = codec.decompress(broken, 1 << 26);
      // A codec without checksums may hand back garbage: the record walk refuses it then.
      checkRecords(out, 10);
    }, DecompressionError);
  });
}

Deno.test("BLOCK_CODECS.snappy reads raw blocks as well as the xerial framing", async () => {
  const framed = await BLOCK_CODECS.snappy.compress(text);
  assert.deepEqual([...framed.subarray(0, 8)], [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0]);
  const snappy = (await import("snappyjs")).default;
  assert.deepEqual(BLOCK_CODECS.snappy.decompress(snappy.compress(text), text.length), text);
});

Deno.test("placeholders() encodes one well-formed record per offset of the batch", () => {
  const raw = new Uint8Array([1, 2, 3]);
  const records = placeholders(5, 7, raw, "zstd: broken");
  checkRecords(records, 5);
  assert.throws(() => checkRecords(records, 6), DecompressionError);
});

Deno.test("BLOCK_CODECS.lz4 stores a block raw rather than end it with a late match", async () => {
  // lz4js would match the repeated 11-byte tail, starting a match 11 bytes before the end of
  // the block; LZ4's rules (and lz4-java in the broker) want the last 12 bytes free of matches.
  const head = Uint8Array.from({ length: 20 }, (_, i) => (i * 7919 + 13) % 251);
  const data = new Uint8Array([...head, ...head.subarray(0, 11)]);
  const frame = await BLOCK_CODECS.lz4.compress(data);
  const word = new DataView(frame.buffer, frame.byteOffset).getUint32(7, true);
  assert.equal(word >>> 31, 1, "the block is stored uncompressed");
  assert.deepEqual(new Uint8Array(BLOCK_CODECS.lz4.decompress(frame, 1024)), data);
  // Independent blocks (FLG 0x60) of 64 KiB (BD 0x40), as the Java client reads them.
  assert.deepEqual([...frame.subarray(4, 6)], [0x60, 0x40]);
});

Deno.test("zstdContentSize() reads the size a frame declares", async () => {
  const frame = await BLOCK_CODECS.zstd.compress(text);
  assert.equal(zstdContentSize(frame), text.length);
  assert.equal(zstdContentSize(new Uint8Array([1, 2, 3, 4, 5, 6])), undefined);
});
