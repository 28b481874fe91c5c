/**
 * KPL-aggregated records on real Kinesis (kinesalite), built by AWS' own
 * aggregation library:
 * - a worker process de-aggregates them: every event stored and its
 *   features exact, invalid user records dead-lettered with their sequence
 *   and sub-sequence number, a corrupt aggregate (bad MD5) retried and then
 *   dead-lettered with its reason;
 * - a user record that fails in the middle of an aggregate checkpoints the
 *   user records before it (`<sequence>:<sub-sequence>`), and the retry
 *   reads AT that sequence number, skipping what was done, so nothing is
 *   processed twice.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { CreateStreamCommand, DeleteStreamCommand } from "@aws-sdk/client-kinesis";
import { openFeatureRuntime, resolveFeaturesConfig } from "../../pipeline/mod.ts";
import { createKinesisClient } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { KinesisSource } from "../../ingest-workers/kinesis.ts";
import { PostgresShardLeases, type ShardLeaseStore } from "../../ingest-workers/kinesis_leases.ts";
import type { IngestPipeline, PipelineInput } from "../../ingest-workers/port.ts";
import {
  deadLettersOf,
  featureMismatches,
  makeStream,
  payloadSet,
  spawnWorker,
  storedEvents,
  waitFor,
} from "../support/ingest.ts";
import { IngestWorker } from "../../ingest-workers/worker.ts";
import { serviceEnv } from "../_services.ts";
import { aggregate, putAggregated } from "./_kpl.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function kinesisStream(prefix: string, shards: number) {
  const env = await serviceEnv("kinesis", "postgres", "redis");
  const runId = `${prefix}${crypto.randomUUID().slice(0, 8)}`;
  const workerEnv = {
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    KINESIS_ENDPOINT: env.KINESIS_ENDPOINT,
    AWS_REGION: env.AWS_REGION,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    KINESIS_STREAM: `ingest-${runId}`,
    KINESIS_LEASE_MS: "3000",
    KINESIS_POLL_MS: "50",
  };
  const client = createKinesisClient(resolveIngestConfig(workerEnv));
  await client.send(
    new CreateStreamCommand({ StreamName: workerEnv.KINESIS_STREAM, ShardCount: shards }),
  );
  const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
  return {
    env,
    runId,
    workerEnv,
    client,
    sql,
    async cleanup() {
      const stream = workerEnv.KINESIS_STREAM;
      await client.send(new DeleteStreamCommand({ StreamName: stream })).catch(() => {});
      await sql`DELETE FROM ingest_kinesis_shards WHERE stream = ${stream}`.catch(() => {});
      await sql.end();
      client.destroy();
    },
  };
}

Deno.test({
  name: "kinesis worker: KPL-aggregated records are de-aggregated, exact, bad ones dead-lettered",
  ...opts,
  fn: async () => {
    const k = await kinesisStream("kpl", 2);
    const asOf = Date.now();
    const stream = makeStream(k.runId, {
      events: 1200,
      users: 12,
      dupEvery: 7,
      invalid: 6,
      asOfMs: asOf,
    });
    const records = aggregate(stream.records, 25);
    const corrupt =
      aggregate([{ key: "corrupt", value: `{"event_id":"${k.runId}-corrupt"}` }], 1)[0];
    corrupt.data[corrupt.data.length - 1] ^= 0xff; // breaks the MD5 trailer
    await putAggregated(k.client, k.workerEnv.KINESIS_STREAM, [...records, corrupt]);
    const runtime = await openFeatureRuntime(
      resolveFeaturesConfig({ DATABASE_URL: k.env.DATABASE_URL, REDIS_URL: k.env.REDIS_URL }),
      { skipWarm: true },
    );
    const worker = spawnWorker("kinesis", {
      ...k.workerEnv,
      INGEST_MAX_DELIVERIES: "2",
      INGEST_BACKOFF_INITIAL_MS: "100",
    });
    try {
      await waitFor(
        async () => (await storedEvents(k.sql, k.runId)) === stream.valid.size,
        "every valid event in Postgres",
        120_000,
      );
      await waitFor(
        async () => (await deadLettersOf(k.sql, k.runId)).length === stream.invalid.length + 1,
        "invalid user records and the corrupt aggregate dead-lettered",
      );
      assert.deepEqual(await featureMismatches(runtime.pipeline, stream, asOf), []);
      const rows = await k.sql<{ reason: string; meta: Record<string, string> }[]>`
        SELECT reason, meta FROM dead_letters WHERE meta->>'stream' = ${k.workerEnv.KINESIS_STREAM}`;
      const invalid = rows.filter((r) => r.meta.sub_sequence !== undefined);
      assert.equal(invalid.length, stream.invalid.length);
      for (const r of invalid) {
        assert.match(r.meta.sequence, /^\d+$/);
        assert.match(r.meta.sub_sequence, /^\d+$/);
        assert.match(r.meta.shard, /^shardId-/);
      }
      const bad = rows.filter((r) => r.meta.sub_sequence === undefined);
      assert.equal(bad.length, 1);
      assert.match(bad[0].reason, /^Gave up after 2 failed deliveries: Cannot de-aggregate KPL/);
      assert.match(bad[0].reason, /Invalid record checksum/);
      const dead = payloadSet(await deadLettersOf(k.sql, k.runId));
      assert.ok(payloadSet(stream.invalid).every((p) => dead.includes(p)));
    } finally {
      assert.equal(await worker.stop(), 0, worker.logs());
      await runtime.close();
      await k.cleanup();
    }
  },
});

Deno.test({
  name: "KinesisSource checkpoints inside an aggregate and resumes after the done sub-records",
  ...opts,
  fn: async () => {
    const k = await kinesisStream("kps", 1);
    const user = `${k.runId}-u`;
    const events = Array.from({ length: 30 }, (_, i) => ({
      key: user,
      value: JSON.stringify({ event_id: `${k.runId}-${i}`, user_id: user }),
    }));
    // One aggregate of 30 user records; the 13th fails twice, then goes through.
    await putAggregated(k.client, k.workerEnv.KINESIS_STREAM, aggregate(events, 30));
    const poison = `${k.runId}-12`;
    let failuresLeft = 2;
    const processed = new Map<string, number>();
    const pipeline: IngestPipeline = {
      processBatch(messages: PipelineInput[]) {
        const ids = messages.map((m) =>
          JSON.parse(new TextDecoder().decode(m.payload as Uint8Array)).event_id
        );
        if (ids.includes(poison) && failuresLeft > 0) {
          if (messages.length === 1) failuresLeft--;
          return Promise.reject(new Error(`Cannot process ${poison}`));
        }
        for (const id of ids) processed.set(id, (processed.get(id) ?? 0) + 1);
        return Promise.resolve({
          accepted: ids.length,
          duplicate: 0,
          dead_lettered: 0,
          rejections: [],
        });
      },
      deadLetter: () => Promise.reject(new Error("nothing should be dead-lettered")),
    };
    const real = new PostgresShardLeases(k.sql);
    const checkpoints: string[] = [];
    const leases: ShardLeaseStore = {
      migrate: () => real.migrate(),
      sync: (key, shards) => real.sync(key, shards),
      balance: (key, owner, ms) => real.balance(key, owner, ms),
      checkpoint(key, shard, owner, sequence) {
        checkpoints.push(sequence);
        return real.checkpoint(key, shard, owner, sequence);
      },
      finish: (key, shard, owner, cp) => real.finish(key, shard, owner, cp),
      release: (key, owner) => real.release(key, owner),
      read: (key, shard) => real.read(key, shard),
    };
    const source = new KinesisSource({
      client: k.client,
      leases,
      stream: k.workerEnv.KINESIS_STREAM,
      owner: "kpl-test",
      leaseMs: 3000,
      pollMs: 50,
    });
    const worker = new IngestWorker({ source, pipeline, maxDeliveries: 5, backoffInitialMs: 50 });
    const run = worker.run();
    try {
      await waitFor(() => processed.size === 30, "every user record processed", 60_000);
    } finally {
      await worker.stop();
      await run;
      await k.cleanup();
    }
    assert.equal(failuresLeft, 0);
    // The 12 records before the poison were checkpointed as sub-records 0–11 of the aggregate…
    const mid = checkpoints.find((c) => c.includes(":"));
    assert.ok(mid?.endsWith(":11"), `a mid-aggregate checkpoint (${checkpoints.join(", ")})`);
    // …and never processed again, while the records after it were (they shared its first lease).
    for (let i = 0; i < 12; i++) assert.equal(processed.get(`${k.runId}-${i}`), 1, `record ${i}`);
    assert.equal(processed.get(poison), 1);
    assert.equal(checkpoints.at(-1)!.includes(":"), false, "the whole record done at the end");
  },
});
