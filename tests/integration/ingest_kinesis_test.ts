/**
 * End to end with real Kinesis (kinesalite), Postgres and Redis: a worker
 * subprocess turns a stream with duplicates and invalid events into exact
 * features and dead letters; survives kill -9 (checkpoints and leases in
 * Postgres); two workers split the shards and the survivor takes over.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openFeatureRuntime, resolveFeaturesConfig } from "../../pipeline/mod.ts";
import { CreateStreamCommand, DeleteStreamCommand } from "@aws-sdk/client-kinesis";
import { createKinesisClient } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { KinesisProducer } from "../../ingest-workers/kinesis_producer.ts";
import {
  deadLettersOf,
  featureMismatches,
  makeStream,
  payloadSet,
  spawnWorker,
  storedEvents,
  type TestStream,
  waitFor,
} from "../../ingest-workers/testing.ts";
import { serviceEnv } from "../_services.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function setup(shards: number) {
  const env = await serviceEnv("kinesis", "postgres", "redis");
  const runId = `s${crypto.randomUUID().slice(0, 8)}`;
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
    INGEST_MAX_BATCH: "500",
  };
  const client = createKinesisClient(resolveIngestConfig(workerEnv));
  await client.send(
    new CreateStreamCommand({ StreamName: workerEnv.KINESIS_STREAM, ShardCount: shards }),
  );
  const producer = new KinesisProducer(client, workerEnv.KINESIS_STREAM);
  const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
  const runtime = await openFeatureRuntime(
    resolveFeaturesConfig({ DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL }),
    { skipWarm: true },
  );
  return {
    runId,
    workerEnv,
    producer,
    sql,
    runtime,
    async produce(stream: TestStream, chunk = 500) {
      for (let i = 0; i < stream.records.length; i += chunk) {
        await producer.send(stream.records.slice(i, i + chunk));
      }
    },
    async done(stream: TestStream) {
      await waitFor(
        async () => (await storedEvents(sql, runId)) === stream.valid.size,
        "every valid event in Postgres",
        120_000,
      );
      await waitFor(
        async () =>
          new Set(payloadSet(await deadLettersOf(sql, runId))).size === stream.invalid.length,
        "every invalid event dead-lettered",
        120_000,
      );
    },
    async cleanup() {
      await client.send(new DeleteStreamCommand({ StreamName: workerEnv.KINESIS_STREAM })).catch(
        () => {},
      );
      await sql`DELETE FROM ingest_kinesis_shards WHERE stream = ${workerEnv.KINESIS_STREAM}`.catch(
        () => {},
      );
      client.destroy();
      await runtime.close();
      await sql.end();
    },
  };
}

Deno.test({
  name: "kinesis worker: features and dead letters are exact, duplicates counted once",
  ...opts,
  fn: async () => {
    const t = await setup(3);
    try {
      const asOf = Date.now();
      const stream = makeStream(t.runId, {
        events: 1500,
        users: 15,
        dupEvery: 7,
        invalid: 9,
        asOfMs: asOf,
      });
      await t.produce(stream);
      const worker = spawnWorker("kinesis", t.workerEnv);
      try {
        await t.done(stream);
        await waitFor(async () => (await worker.readyStatus()) === 200, "worker ready");
      } finally {
        assert.equal(await worker.stop(), 0, `worker exits cleanly on SIGTERM:\n${worker.logs()}`);
      }
      assert.deepEqual(await featureMismatches(t.runtime.pipeline, stream, asOf), []);
      // Each invalid message exactly once (no replay happened), and nothing else of this run.
      assert.deepEqual(payloadSet(await deadLettersOf(t.sql, t.runId)), payloadSet(stream.invalid));
    } finally {
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "kinesis worker: kill -9 mid-stream and restart loses nothing and counts nothing twice",
  ...opts,
  fn: async () => {
    const t = await setup(3);
    try {
      const asOf = Date.now();
      const stream = makeStream(t.runId, {
        events: 6000,
        users: 30,
        dupEvery: 5,
        invalid: 12,
        asOfMs: asOf,
      });
      const first = spawnWorker("kinesis", t.workerEnv);
      const producing = t.produce(stream, 200);
      await waitFor(
        async () => (await storedEvents(t.sql, t.runId)) > 300,
        "the first worker to make progress",
      );
      await first.kill();
      const stored = await storedEvents(t.sql, t.runId);
      await producing;
      const second = spawnWorker("kinesis", t.workerEnv);
      try {
        await t.done(stream);
      } finally {
        assert.equal(await second.stop(), 0, second.logs());
      }
      assert.ok(stored < stream.valid.size, `the kill happened mid-stream (${stored} stored)`);
      assert.deepEqual(await featureMismatches(t.runtime.pipeline, stream, asOf), []);
      const dead = payloadSet(await deadLettersOf(t.sql, t.runId));
      assert.deepEqual([...new Set(dead)], payloadSet(stream.invalid));
    } finally {
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "kinesis workers: two split the shards and the survivor takes over",
  ...opts,
  fn: async () => {
    const t = await setup(4);
    try {
      const asOf = Date.now();
      const firstHalf = makeStream(t.runId, {
        events: 2000,
        users: 40,
        dupEvery: 9,
        invalid: 4,
        asOfMs: asOf,
      });
      const a = spawnWorker("kinesis", t.workerEnv);
      const b = spawnWorker("kinesis", t.workerEnv);
      try {
        await waitFor(
          async () => (await a.readyStatus()) === 200 && (await b.readyStatus()) === 200,
          "both ready",
        );
        await t.produce(firstHalf, 100);
        await waitFor(
          async () => (await storedEvents(t.sql, t.runId)) === firstHalf.valid.size,
          "first half",
        );
        // A worker counts a batch in its metrics just after the commit that
        // made it visible in Postgres: wait for the counters to catch up.
        let byA = 0, byB = 0;
        await waitFor(async () => {
          [byA, byB] = [await a.counted("accepted"), await b.counted("accepted")];
          return byA + byB >= firstHalf.valid.size;
        }, "both workers' counters");
        assert.ok(byA > 0 && byB > 0, `both workers committed events (a=${byA}, b=${byB})`);
        assert.equal(byA + byB, firstHalf.valid.size);
        await a.kill();
        const secondHalf = makeStream(t.runId, {
          events: 2000,
          users: 40,
          invalid: 4,
          asOfMs: asOf,
          offset: 2000,
        });
        await t.produce(secondHalf, 100);
        const all: TestStream = {
          records: [],
          users: firstHalf.users,
          valid: new Map([...firstHalf.valid, ...secondHalf.valid]),
          invalid: [...firstHalf.invalid, ...secondHalf.invalid],
        };
        await t.done(all);
        assert.deepEqual(await featureMismatches(t.runtime.pipeline, all, asOf), []);
      } finally {
        await a.kill();
        assert.equal(await b.stop(), 0, b.logs());
      }
    } finally {
      await t.cleanup();
    }
  },
});
