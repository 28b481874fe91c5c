/**
 * Kinesis records → `SourceMessage`s. Records written by the Kinesis
 * Producer Library are aggregated by default (magic `f3899ac2`, a protobuf
 * `AggregatedRecord`, an MD5 trailer): each is split into its user records
 * with AWS' own de-aggregator (`aws-kinesis-agg`, checksums verified), and
 * every user record keeps its sequence and sub-sequence number, so a
 * checkpoint can stop in the middle of an aggregate and resume exactly.
 *
 * Checkpoints are the sequence number alone once a record is wholly done,
 * or `<sequence>:<sub-sequence>` when a prefix of an aggregate is: reading
 * then resumes AT that sequence number, skipping the sub-records done.
 *
 * @module
 */
import type { _Record } from "@aws-sdk/client-kinesis";
import { Buffer } from "node:buffer";
import { deaggregateSync } from "aws-kinesis-agg";
import type { SourceMessage } from "./port.ts";

const KPL_MAGIC = [0xf3, 0x89, 0x9a, 0xc2];

/** Whether `data` is a KPL aggregated record. */
export function isAggregated(data: Uint8Array | undefined): boolean {
  return !!data && data.length > 20 && KPL_MAGIC.every((b, i) => data[i] === b);
}

/** A parsed checkpoint: after `sequence`, or after sub-record `sub` of it. */
export interface KinesisCheckpoint {
  sequence: string;
  sub?: number;
}

/** Parses a stored checkpoint (`seq` or `seq:sub`). */
export function parseCheckpoint(text: string | null): KinesisCheckpoint | null {
  if (!text) return null;
  const i = text.indexOf(":");
  return i < 0
    ? { sequence: text }
    : { sequence: text.slice(0, i), sub: Number(text.slice(i + 1)) };
}

/** The checkpoint text once `m` (a message this module made) is done. */
export function checkpointOf(m: SourceMessage): string {
  const sub = m.meta.sub_sequence;
  return sub === undefined || m.meta.last_sub === "true"
    ? m.meta.sequence
    : `${m.meta.sequence}:${sub}`;
}

/**
 * The messages of `records` read from `shardId`; with `resume`, the
 * sub-records of its sequence number up to its `sub` are left out (read
 * AT that sequence number again).
 */
export function toShardMessages(
  records: _Record[],
  meta: { stream: string; shard: string },
  resume?: KinesisCheckpoint,
): SourceMessage[] {
  const base = { source: "kinesis", ...meta };
  const out: SourceMessage[] = [];
  for (const r of records) {
    const sequence = r.SequenceNumber ?? "";
    const common = {
      producedAtMs: r.ApproximateArrivalTimestamp?.getTime(),
    };
    if (!isAggregated(r.Data)) {
      out.push({
        payload: r.Data ?? new Uint8Array(),
        id: `${meta.shard}/${sequence}`,
        meta: { ...base, sequence, partition_key: r.PartitionKey ?? "" },
        ...common,
      });
      continue;
    }
    const { users, error } = deaggregate(r);
    if (error) {
      out.push({
        payload: r.Data!,
        id: `${meta.shard}/${sequence}`,
        meta: { ...base, sequence, partition_key: r.PartitionKey ?? "" },
        undecodable: `Cannot de-aggregate KPL record ${sequence}: ${error}`,
        ...common,
      });
      continue;
    }
    const skip = resume?.sequence === sequence ? resume.sub ?? -1 : -1;
    users.forEach((u, i) => {
      if (i <= skip) return;
      out.push({
        payload: Buffer.from(u.data, "base64"),
        id: `${meta.shard}/${sequence}/${i}`,
        meta: {
          ...base,
          sequence,
          sub_sequence: String(i),
          last_sub: String(i === users.length - 1),
          partition_key: u.partitionKey,
          ...(u.explicitPartitionKey ? { explicit_hash_key: u.explicitPartitionKey } : {}),
        },
        ...common,
      });
    });
  }
  return out;
}

interface UserRecord {
  partitionKey: string;
  explicitPartitionKey?: string;
  data: string;
}

function deaggregate(r: _Record): { users: UserRecord[]; error?: string } {
  let users: UserRecord[] = [];
  let failure: string | undefined;
  const data = r.Data!;
  deaggregateSync(
    {
      data: Buffer.from(data.buffer, data.byteOffset, data.length).toString("base64"),
      sequenceNumber: r.SequenceNumber,
      partitionKey: r.PartitionKey,
    } as never,
    true,
    (err: Error | null, records?: UserRecord[]) => {
      if (err) failure ??= err.message;
      else users = records ?? [];
    },
  );
  return failure ? { users: [], error: failure } : { users };
}
