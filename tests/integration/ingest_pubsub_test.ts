// The emulator has no metadata server; without this the auth library probes for one.
Deno.env.set("METADATA_SERVER_DETECTION", "none");

/**
 * End to end with Google's Pub/Sub emulator, Postgres and Redis: a worker
 * subprocess turns a stream with duplicates and invalid events into exact
 * features and dead letters (acked only after commit); survives kill -9.
 * (Pub/Sub has no partitions: two workers on one subscription receive the
 * same user's events concurrently, which the pipeline's online push does
 * not serialize yet; see the ingest report.)
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openFeatureRuntime, resolveFeaturesConfig } from "../../pipeline/mod.ts";
import { createPubSub } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { PUBSUB_GAX_OPTIONS } from "../../ingest-workers/pubsub.ts";
import { PubSubProducer } from "../../ingest-workers/pubsub_producer.ts";
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

async function setup() {
  const env = await serviceEnv("pubsub", "postgres", "redis");
  const runId = `p${crypto.randomUUID().slice(0, 8)}`;
  const workerEnv = {
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    PUBSUB_EMULATOR_HOST: env.PUBSUB_EMULATOR_HOST,
    PUBSUB_PROJECT_ID: env.PUBSUB_PROJECT_ID,
    PUBSUB_TOPIC: `ingest-${runId}`,
    PUBSUB_SUBSCRIPTION: `ingest-${runId}`,
    INGEST_MAX_BATCH: "500",
  };
  const pubsub = createPubSub(resolveIngestConfig(workerEnv));
  const [topic] = await pubsub.createTopic(workerEnv.PUBSUB_TOPIC, PUBSUB_GAX_OPTIONS);
  const [subscription] = await topic.createSubscription(workerEnv.PUBSUB_SUBSCRIPTION, {
    ackDeadlineSeconds: 10,
    gaxOpts: PUBSUB_GAX_OPTIONS,
  });
  const producer = new PubSubProducer(pubsub, workerEnv.PUBSUB_TOPIC);
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
      await producer.close().catch(() => {});
      await subscription.delete().catch(() => {});
      await topic.delete().catch(() => {});
      await pubsub.close();
      await runtime.close();
      await sql.end();
    },
  };
}

Deno.test({
  name: "pubsub worker: features and dead letters are exact, duplicates counted once",
  ...opts,
  fn: async () => {
    const t = await setup();
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
      const worker = spawnWorker("pubsub", t.workerEnv);
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
  name: "pubsub worker: kill -9 mid-stream and restart loses nothing and counts nothing twice",
  ...opts,
  fn: async () => {
    const t = await setup();
    try {
      const asOf = Date.now();
      const stream = makeStream(t.runId, {
        events: 6000,
        users: 30,
        dupEvery: 5,
        invalid: 12,
        asOfMs: asOf,
      });
      const first = spawnWorker("pubsub", t.workerEnv);
      const producing = t.produce(stream, 200);
      await waitFor(
        async () => (await storedEvents(t.sql, t.runId)) > 300,
        "the first worker to make progress",
      );
      await first.kill();
      const stored = await storedEvents(t.sql, t.runId);
      await producing;
      const second = spawnWorker("pubsub", t.workerEnv);
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
