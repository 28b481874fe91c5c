/**
 * KPL-aggregated records for tests, built by AWS' own aggregation library
 * (`aws-kinesis-agg`, the KPL format: magic, protobuf `AggregatedRecord`,
 * MD5 trailer), and put on a stream the way the KPL does.
 */
import { Buffer } from "node:buffer";
import { type KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import * as kinesisAgg from "aws-kinesis-agg";
import type { ProducerRecord } from "../../ingest-workers/port.ts";

// Exported by the library but missing from its type declarations.
const { RecordAggregator } = kinesisAgg as unknown as {
  RecordAggregator: new () => {
    addUserRecord(r: { partitionKey: string; data: Buffer }): void;
    build(): { partitionKey: string; data: Buffer };
  };
};

/** One Kinesis record holding aggregated user records. */
export interface AggregatedRecord {
  partitionKey: string;
  data: Uint8Array;
}

/**
 * Aggregates `records` the way the KPL does: consecutive user records of
 * one partition key, at most `perRecord` of them, in one Kinesis record.
 */
export function aggregate(records: ProducerRecord[], perRecord: number): AggregatedRecord[] {
  const out: AggregatedRecord[] = [];
  const byKey = new Map<string, ProducerRecord[]>();
  for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  for (const [key, list] of byKey) {
    for (let i = 0; i < list.length; i += perRecord) {
      const agg = new RecordAggregator();
      for (const r of list.slice(i, i + perRecord)) {
        agg.addUserRecord({ partitionKey: r.key, data: Buffer.from(r.value) });
      }
      const built = agg.build();
      out.push({ partitionKey: key, data: new Uint8Array(built.data) });
    }
  }
  return out;
}

/** Puts aggregated records (in order, 100 per call); throws if any is refused. */
export async function putAggregated(
  client: KinesisClient,
  stream: string,
  records: AggregatedRecord[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 100) {
    const chunk = records.slice(i, i + 100);
    const out = await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: chunk.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
      }),
    );
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records refused`);
  }
}
