/**
 * A worker fed by the official Java producer, configured like upstream
 * services run it (idempotent, acks=all, keys, a header on every record),
 * with every standard `compression.type` writing into one topic: every
 * event is stored, the features match, and a dead letter keeps the record
 * key and headers.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openFeatureRuntime, resolveFeaturesConfig } from "../../pipeline/mod.ts";
import { createKafka } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import {
  featureMismatches,
  makeStream,
  spawnWorker,
  storedEvents,
  waitFor,
} from "../support/ingest.ts";
import { serviceEnv } from "../_services.ts";
import { JAVA_CODECS, produceWithJava } from "./_kafka_java.ts";

Deno.test({
  name: "kafka worker: Java producer with every codec, idempotent, keys and headers → exact",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const env = await serviceEnv("kafka", "postgres", "redis");
    const runId = `jc${crypto.randomUUID().slice(0, 8)}`;
    const topic = `ingest-${runId}`;
    const workerEnv = {
      DATABASE_URL: env.DATABASE_URL,
      REDIS_URL: env.REDIS_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: topic,
      // Compressed fetches hold thousands of records per partition: cut into leases of 200.
      INGEST_MAX_BATCH: "200",
    };
    const admin = createKafka(resolveIngestConfig(workerEnv)).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    const runtime = await openFeatureRuntime(
      resolveFeaturesConfig({ DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL }),
      { skipWarm: true },
    );
    const asOf = Date.now();
    const stream = makeStream(runId, { events: 2000, users: 20, dupEvery: 7, asOfMs: asOf });
    const bad = JSON.stringify({ event_id: `${runId}-bad`, user_id: "x", amount: -5 });
    const worker = spawnWorker("kafka", workerEnv);
    try {
      await produceWithJava(env.KAFKA_BROKERS, topic, JAVA_CODECS, [
        ...stream.records,
        { key: "bad-key", value: bad },
      ]);
      await waitFor(
        async () => (await storedEvents(sql, runId)) === stream.valid.size,
        "every event in Postgres",
        120_000,
      );
      assert.deepEqual(await featureMismatches(runtime.pipeline, stream, asOf), []);
      let rows: { reason: string; meta: Record<string, string> }[] = [];
      await waitFor(async () => {
        rows = await sql`SELECT reason, meta FROM dead_letters WHERE meta->>'topic' = ${topic}`;
        return rows.length > 0;
      }, "the invalid event dead-lettered");
      assert.equal(rows.length, 1);
      const meta = rows[0].meta;
      assert.equal(meta.topic, topic);
      assert.equal(meta.key, "bad-key");
      assert.match(JSON.parse(meta.headers)["trace-id"], /^t-\d+$/);
      assert.match(meta.offset, /^\d+$/);
      assert.equal(await worker.counted("gave_up"), 0, worker.logs());
    } finally {
      assert.equal(await worker.stop(), 0, worker.logs());
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
      await runtime.close();
      await sql.end();
    }
  },
});
