/**
 * Kinesis resharding under a running worker: after a shard split the
 * parent is read to its end and marked finished before its children are
 * leased, and every event (before and after the split) counts exactly once.
 */
import assert from "node:assert/strict";
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  ListShardsCommand,
  SplitShardCommand,
} from "@aws-sdk/client-kinesis";
import postgres from "postgres";
import { openFeatureRuntime, resolveFeaturesConfig } from "../../pipeline/mod.ts";
import { createKinesisClient } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { KinesisProducer } from "../../ingest-workers/kinesis_producer.ts";
import {
  featureMismatches,
  makeStream,
  spawnWorker,
  storedEvents,
  type TestStream,
  waitFor,
} from "../support/ingest.ts";
import { serviceEnv } from "../_services.ts";

Deno.test({
  name: "kinesis worker: a split parent shard is finished before its children, nothing lost",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const env = await serviceEnv("kinesis", "postgres", "redis");
    const runId = `r${crypto.randomUUID().slice(0, 8)}`;
    const stream = `ingest-${runId}`;
    const workerEnv = {
      DATABASE_URL: env.DATABASE_URL,
      REDIS_URL: env.REDIS_URL,
      KINESIS_ENDPOINT: env.KINESIS_ENDPOINT,
      AWS_REGION: env.AWS_REGION,
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
      KINESIS_STREAM: stream,
      KINESIS_LEASE_MS: "1500",
      KINESIS_POLL_MS: "50",
    };
    const client = createKinesisClient(resolveIngestConfig(workerEnv));
    await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    const producer = new KinesisProducer(client, stream);
    const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    const worker = spawnWorker("kinesis", workerEnv);
    const asOf = Date.now();
    const part1 = makeStream(runId, { events: 400, users: 12, asOfMs: asOf });
    const part2 = makeStream(runId, { events: 400, users: 12, asOfMs: asOf, offset: 400 });
    try {
      await producer.send(part1.records);
      await waitFor(async () => (await storedEvents(sql, runId)) === 400, "part 1 stored", 60_000);
      const [parent] = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards!;
      const middle = ((BigInt(parent.HashKeyRange!.StartingHashKey!) +
        BigInt(parent.HashKeyRange!.EndingHashKey!)) / 2n).toString();
      await client.send(
        new SplitShardCommand({
          StreamName: stream,
          ShardToSplit: parent.ShardId!,
          NewStartingHashKey: middle,
        }),
      );
      await waitFor(
        async () =>
          (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards!.length === 3,
        "the split to show",
        30_000,
      );
      await producer.send(part2.records);
      await waitFor(async () => (await storedEvents(sql, runId)) === 800, "part 2 stored", 90_000);
      const rows = await sql<{ shard_id: string; finished: boolean; owner: string | null }[]>`
        SELECT shard_id, finished, owner FROM ingest_kinesis_shards WHERE stream = ${stream} ORDER BY shard_id`;
      assert.equal(rows.length, 3);
      const parentRow = rows.find((r) => r.shard_id === parent.ShardId)!;
      assert.equal(parentRow.finished, true);
      assert.deepEqual(rows.filter((r) => r.shard_id !== parent.ShardId).map((r) => r.finished), [
        false,
        false,
      ]);
      const all: TestStream = {
        records: [],
        users: part1.users,
        valid: new Map([...part1.valid, ...part2.valid]),
        invalid: [],
      };
      const runtime = await openFeatureRuntime(
        resolveFeaturesConfig({ DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL }),
        { skipWarm: true },
      );
      try {
        assert.deepEqual(await featureMismatches(runtime.pipeline, all, asOf), []);
      } finally {
        await runtime.close();
      }
    } finally {
      assert.equal(await worker.stop(), 0, worker.logs());
      await client.send(new DeleteStreamCommand({ StreamName: stream })).catch(() => {});
      await sql`DELETE FROM ingest_kinesis_shards WHERE stream = ${stream}`;
      await sql.end();
      client.destroy();
    }
  },
});
