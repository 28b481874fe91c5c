/**
 * End to end with a real Kafka broker, Postgres and Redis: the shared
 * source scenarios (exact features and dead letters, kill -9 and restart,
 * two workers splitting the partitions), plus per-partition lag metrics.
 */
import assert from "node:assert/strict";
import { createKafka } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { KafkaProducer } from "../../ingest-workers/kafka_producer.ts";
import { waitFor } from "../support/ingest.ts";
import { defineSourceScenarios } from "./_ingest_scenarios.ts";

defineSourceScenarios({
  source: "kafka",
  service: "kafka",
  prefix: "k",
  async create(env, runId, partitions) {
    const workerEnv = {
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_TOPIC: `ingest-${runId}`,
      KAFKA_GROUP_ID: `ingest-${runId}`,
      KAFKA_SESSION_TIMEOUT_MS: "6000",
    };
    const kafka = createKafka(resolveIngestConfig(workerEnv));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: workerEnv.KAFKA_TOPIC, numPartitions: partitions }],
      waitForLeaders: true,
    });
    const producer = new KafkaProducer(kafka, workerEnv.KAFKA_TOPIC);
    return {
      workerEnv,
      send: (records) => producer.send(records),
      async cleanup() {
        await producer.close().catch(() => {});
        await admin.deleteTopics({ topics: [workerEnv.KAFKA_TOPIC] }).catch(() => {});
        await admin.disconnect();
      },
    };
  },
  async checkWorker(worker, t) {
    const lags = [0, 1, 2].map((p) =>
      `ingest_kafka_partition_lag{topic="${t.workerEnv.KAFKA_TOPIC}",partition="${p}"}`
    );
    // The lag is polled from the brokers apart from the fetch loop (every 5 s, and
    // once on assignment): on a busy machine the first poll may still be running.
    let metrics = "";
    await waitFor(
      async () => {
        metrics = await worker.metrics();
        return lags.every((l) => metrics.includes(l));
      },
      "the lag of every assigned partition",
      20_000,
    ).catch(() => {});
    for (const lag of lags) assert.ok(metrics.includes(lag), `${lag} in /metrics`);
  },
});
