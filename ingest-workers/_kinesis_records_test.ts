import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as kinesisAgg from "aws-kinesis-agg";
import { checkpointOf, parseCheckpoint, toShardMessages } from "./_kinesis_records.ts";

const { RecordAggregator } = kinesisAgg as unknown as {
  RecordAggregator: new () => {
    addUserRecord(r: { partitionKey: string; data: Buffer }): void;
    build(): { partitionKey: string; data: Buffer };
  };
};

function aggregated(values: string[], key = "u1"): Uint8Array {
  const agg = new RecordAggregator();
  for (const v of values) agg.addUserRecord({ partitionKey: key, data: Buffer.from(v) });
  return new Uint8Array(agg.build().data);
}

const meta = { stream: "s", shard: "shardId-0" };
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("toShardMessages() splits a KPL aggregate into user records with sub-sequence numbers", () => {
  const records = [
    { Data: aggregated(["a", "b", "c"]), SequenceNumber: "100", PartitionKey: "u1" },
    { Data: new TextEncoder().encode("plain"), SequenceNumber: "101", PartitionKey: "u2" },
  ];
  const out = toShardMessages(records, meta);
  assert.deepEqual(out.map((m) => [m.id, text(m.payload)]), [
    ["shardId-0/100/0", "a"],
    ["shardId-0/100/1", "b"],
    ["shardId-0/100/2", "c"],
    ["shardId-0/101", "plain"],
  ]);
  assert.equal(out[1].meta.sub_sequence, "1");
  assert.equal(out[1].meta.partition_key, "u1");
  assert.deepEqual(out.map(checkpointOf), ["100:0", "100:1", "100", "101"]);
});

Deno.test("toShardMessages() skips the sub-records a checkpoint covers when resuming", () => {
  const records = [{ Data: aggregated(["a", "b", "c"]), SequenceNumber: "100" }];
  const resume = parseCheckpoint("100:1")!;
  assert.deepEqual(resume, { sequence: "100", sub: 1 });
  assert.deepEqual(toShardMessages(records, meta, resume).map((m) => text(m.payload)), ["c"]);
  assert.deepEqual(parseCheckpoint("100"), { sequence: "100" });
});

Deno.test("toShardMessages() flags an aggregate whose MD5 trailer does not match", () => {
  const data = aggregated(["a", "b"]);
  data[data.length - 1] ^= 0xff;
  const [m] = toShardMessages([{ Data: data, SequenceNumber: "7" }], meta);
  assert.match(m.undecodable!, /^Cannot de-aggregate KPL record 7: Invalid record checksum/);
  assert.deepEqual(m.payload, data);
});
