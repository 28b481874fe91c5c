/**
 * One group member per worker process, whatever `INGEST_CONCURRENCY`: an
 * admin client counts the members of the worker's group while its consumer
 * crashes and is replaced (the subscribed topic deleted under it, then
 * created again), and right after SIGTERM (the member leaves at once, not
 * after the session timeout).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createKafka } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { KafkaProducer } from "../../ingest-workers/kafka_producer.ts";
import { makeStream, spawnWorker, storedEvents, waitFor } from "../support/ingest.ts";
import { serviceEnv } from "../_services.ts";

Deno.test({
  name: "kafka worker: one group member through a crash and restart; none right after SIGTERM",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const env = await serviceEnv("kafka", "postgres", "redis");
    const runId = `kg${crypto.randomUUID().slice(0, 8)}`;
    const topic = `ingest-${runId}`;
    const workerEnv = {
      DATABASE_URL: env.DATABASE_URL,
      REDIS_URL: env.REDIS_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: topic,
      INGEST_CONCURRENCY: "8",
      // Long enough that a member left behind would still be counted at the end.
      KAFKA_SESSION_TIMEOUT_MS: "45000",
    };
    const kafka = createKafka(resolveIngestConfig(workerEnv));
    const admin = kafka.admin();
    await admin.connect();
    const create = () =>
      admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
    await create();
    const producer = new KafkaProducer(kafka, topic);
    const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    const members = async () => {
      const { groups } = await admin.describeGroups([topic]);
      return groups[0]?.members.length ?? 0;
    };
    const worker = spawnWorker("kafka", workerEnv);
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, await members().catch(() => 0));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await waitFor(async () => (await worker.readyStatus()) === 200, "worker ready");
      const asOf = Date.now();
      await producer.send(makeStream(runId, { events: 100, users: 10, asOfMs: asOf }).records);
      await waitFor(async () => (await storedEvents(sql, runId)) === 100, "first events");
      assert.equal(await members(), 1);
      await admin.deleteTopics({ topics: [topic] });
      await waitFor(async () => (await worker.health()) === "degraded", "worker degraded", 60_000);
      await create();
      const second = makeStream(runId, { events: 100, users: 10, asOfMs: asOf, offset: 100 });
      await producer.send(second.records);
      await waitFor(
        async () => (await storedEvents(sql, runId)) === 200,
        `events after the restart:\n${worker.logs()}`,
        90_000,
      );
      await waitFor(async () => (await worker.health()) === "ok", "worker healthy again");
      assert.match(worker.logs(), /"level":"error","msg":"Kafka consumer crashed/);
      assert.equal(await members(), 1);
      assert.equal(await worker.stop(), 0, worker.logs());
      assert.equal(await members(), 0, "the member left the group on SIGTERM");
      sampling = false;
      await sampler;
      assert.equal(most, 1, "never more than one member");
    } finally {
      sampling = false;
      await worker.kill();
      await producer.close().catch(() => {});
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
      await sql.end();
    }
  },
});
