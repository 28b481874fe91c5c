/**
 * A poison batch on a real broker: a zstd batch over the worker's
 * decompressed-size cap sits between good batches on partition 0. While it
 * is retried with backoff the worker reports degraded (with the error, and
 * `ingest_degraded`), exports the lag of every assigned partition, the
 * stuck one included (the shipped lag alert fires in promtool on the
 * scraped series), and every good event lands: the clean partitions' and
 * those before and behind the bad batch. Then it becomes a dead letter with
 * topic, partition, offset range and reason, and every offset is committed.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { CompressionTypes } from "kafkajs";
import postgres from "postgres";
import { createKafka } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { registerKafkaCodecs } from "../../ingest-workers/kafka_codecs.ts";
import { makeStream, spawnWorker, storedEvents, waitFor } from "../support/ingest.ts";
import { serviceEnv } from "../_services.ts";
import { promtoolAlertFires, samples } from "./_promtool.ts";

Deno.test({
  name: "kafka worker: a poison batch is retried, dead-lettered and passed; clean partitions go on",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const env = await serviceEnv("kafka", "postgres", "redis");
    const runId = `kp${crypto.randomUUID().slice(0, 8)}`;
    const topic = `ingest-${runId}`;
    const workerEnv = {
      DATABASE_URL: env.DATABASE_URL,
      REDIS_URL: env.REDIS_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: topic,
      KAFKA_MAX_DECOMPRESSED_BYTES: String(1024 * 1024),
      KAFKA_LAG_INTERVAL_MS: "300",
      INGEST_MAX_DELIVERIES: "4",
      INGEST_BACKOFF_INITIAL_MS: "1500",
    };
    registerKafkaCodecs();
    const kafka = createKafka(resolveIngestConfig(workerEnv));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    const asOf = Date.now();
    const before = makeStream(runId, { events: 50, users: 5, asOfMs: asOf });
    const after = makeStream(runId, { events: 50, users: 5, asOfMs: asOf, offset: 50 });
    const clean = makeStream(runId, { events: 200, users: 10, asOfMs: asOf, offset: 100 });
    const send = (partition: number, values: (string | Buffer)[]) =>
      producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.ZSTD,
        messages: values.map((value) => ({ partition, value, key: "k" })),
      });
    await send(0, before.records.map((r) => r.value as string));
    // 4 MiB of zeros: a few hundred bytes on the wire, over the worker's 1 MiB cap once decompressed.
    await send(0, [Buffer.alloc(4 * 1024 * 1024)]);
    await send(0, after.records.map((r) => r.value as string));
    await send(1, clean.records.slice(0, 100).map((r) => r.value as string));
    await send(2, clean.records.slice(100).map((r) => r.value as string));
    const worker = spawnWorker("kafka", workerEnv);
    try {
      // While the bad batch is retried: degraded, with the error, and the rest goes on.
      await waitFor(async () => (await worker.health()) === "degraded", "worker degraded");
      const health = await (await fetch(`http://127.0.0.1:${worker.port}/health`)).json();
      assert.match(health.last_error, /zstd data decompresses to more than 1048576 bytes/);
      await waitFor(
        async () => (await storedEvents(sql, runId)) === 300,
        "every good event, on partition 0 before and after the bad batch and on the others",
      );
      // Produced now, while partition 0 waits for its next retry: a clean partition is not held up.
      const late = makeStream(runId, { events: 50, users: 5, asOfMs: asOf, offset: 300 });
      await send(1, late.records.map((r) => r.value as string));
      await waitFor(async () => (await storedEvents(sql, runId)) === 350, "the late events");
      assert.equal(await worker.health(), "degraded", "still retrying the bad batch");
      assert.equal(await deadLetterCount(sql, topic), 0);
      let metrics = "";
      const lagOf = (text: string) =>
        samples(text, "ingest_kafka_partition_lag").filter((s) => s.labels.topic === topic);
      await waitFor(
        async () => {
          metrics = await worker.metrics();
          return lagOf(metrics).length === 3;
        },
        `lag of the 3 partitions:\n${worker.logs()}`,
        10_000,
      );
      assert.match(metrics, /^ingest_degraded\{source="kafka"\} 1$/m);
      const lag = lagOf(metrics);
      assert.deepEqual(lag.map((s) => s.labels.partition).sort(), ["0", "1", "2"]);
      const stuck = lag.find((s) => s.labels.partition === "0")!;
      assert.ok(stuck.value >= 1, `partition 0 lags (${stuck.value})`);
      // The shipped alert on those series: the stuck partition keeps growing, the others stay.
      const verdict = await promtoolAlertFires(
        lag.map((s) => ({
          sample: s,
          values: s === stuck ? `${s.value}+100x40` : `${s.value}x40`,
        })),
        "IngestConsumerLagGrowing",
        "40m",
        { source: "kafka", topic },
      );
      assert.ok(verdict.ok, verdict.output);

      // Then it is dead-lettered with its coordinates, committed, and what follows lands.
      await waitFor(async () => (await deadLetterCount(sql, topic)) === 1, "dead letter", 90_000);
      assert.equal(await storedEvents(sql, runId), 350);
      const [row] = await sql<{ reason: string; meta: Record<string, string> }[]>`
        SELECT reason, meta FROM dead_letters WHERE meta->>'topic' = ${topic}`;
      assert.match(row.reason, /^Gave up after 4 failed deliveries: zstd: zstd data decompresses/);
      assert.equal(row.meta.partition, "0");
      assert.equal(row.meta.offset, "50");
      assert.equal(row.meta.offset_last, "50");
      const ends = await admin.fetchTopicOffsets(topic);
      await waitFor(async () => {
        const [{ partitions }] = await admin.fetchOffsets({ groupId: topic, topics: [topic] });
        return partitions.every((p) =>
          p.offset === ends.find((e) => e.partition === p.partition)!.high
        );
      }, "every offset committed");
      await waitFor(async () => (await worker.health()) === "ok", "worker healthy again");
      assert.match(await worker.metrics(), /^ingest_degraded\{source="kafka"\} 0$/m);
      const errors = worker.logs().split("\n").filter((l) => l.includes('"level":"error"'));
      assert.ok(errors.some((l) => l.includes("decompresses to more than")), worker.logs());
    } finally {
      assert.equal(await worker.stop(), 0, worker.logs());
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
      await sql.end();
    }
  },
});

async function deadLetterCount(sql: postgres.Sql, topic: string): Promise<number> {
  const [{ n }] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM dead_letters WHERE meta->>'topic' = ${topic}`;
  return n;
}
