/**
 * A worker whose Redis goes away: it stops acking, reports degraded, backs
 * off, and resumes by itself when Redis is back; nothing is lost and the
 * online features end up exact. Uses a private redis-server (the shared one
 * must stay up for other tests) and the shared Kafka and Postgres.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openFeatureRuntime, resolveFeaturesConfig } from "../../pipeline/mod.ts";
import { createKafka } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { KafkaProducer } from "../../ingest-workers/kafka_producer.ts";
import {
  featureMismatches,
  freePort,
  makeStream,
  spawnWorker,
  storedEvents,
  type TestStream,
  waitFor,
} from "../support/ingest.ts";
import { serviceEnv } from "../_services.ts";

function startRedis(port: number): Deno.ChildProcess {
  return new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function redisUp(port: number): Promise<boolean> {
  try {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    c.close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "kafka worker: Redis down → degraded, nothing acked; Redis back → resumes, features exact",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const env = await serviceEnv("kafka", "postgres");
    const runId = `o${crypto.randomUUID().slice(0, 8)}`;
    const redisPort = freePort();
    let redis = startRedis(redisPort);
    await waitFor(() => redisUp(redisPort), "private redis-server", 20_000);
    const workerEnv = {
      DATABASE_URL: env.DATABASE_URL,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_TOPIC: `ingest-${runId}`,
      KAFKA_GROUP_ID: `ingest-${runId}`,
      INGEST_BACKOFF_MAX_MS: "1000",
    };
    const kafka = createKafka(resolveIngestConfig(workerEnv));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: workerEnv.KAFKA_TOPIC, numPartitions: 2 }] });
    const producer = new KafkaProducer(kafka, workerEnv.KAFKA_TOPIC);
    const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    const worker = spawnWorker("kafka", workerEnv);
    const asOf = Date.now();
    const users = 10;
    const part1 = makeStream(runId, { events: 300, users, asOfMs: asOf });
    // Part 2 touches every user again, so their online state is rebuilt after the cache loss.
    const part2 = makeStream(runId, { events: 300, users, asOfMs: asOf, offset: 300 });
    try {
      await producer.send(part1.records);
      await waitFor(async () => (await storedEvents(sql, runId)) === 300, "part 1 stored", 60_000);
      await waitFor(async () => (await worker.health()) === "ok", "worker healthy");
      redis.kill("SIGKILL");
      await redis.status;
      await producer.send(part2.records);
      await waitFor(async () => (await worker.health()) === "degraded", "worker degraded", 60_000);
      assert.equal(await worker.readyStatus(), 503);
      // Committed offsets still stop at part 1: nothing of part 2 was acked while Redis was down.
      const offsets = await admin.fetchOffsets({
        groupId: workerEnv.KAFKA_GROUP_ID,
        topics: [workerEnv.KAFKA_TOPIC],
      });
      const committed = offsets[0].partitions.reduce(
        (s, p) => s + Math.max(0, Number(p.offset)),
        0,
      );
      assert.equal(committed, part1.records.length);
      redis = startRedis(redisPort);
      await waitFor(() => redisUp(redisPort), "private redis-server again", 20_000);
      await waitFor(async () => (await worker.health()) === "ok", "worker recovered", 60_000);
      await waitFor(async () => (await storedEvents(sql, runId)) === 600, "part 2 stored", 60_000);
      const all: TestStream = {
        records: [],
        users: part1.users,
        valid: new Map([...part1.valid, ...part2.valid]),
        invalid: [],
      };
      const runtime = await openFeatureRuntime(
        resolveFeaturesConfig({ DATABASE_URL: env.DATABASE_URL, REDIS_URL: workerEnv.REDIS_URL }),
        { skipWarm: true },
      );
      try {
        await waitFor(
          async () => (await featureMismatches(runtime.pipeline, all, asOf)).length === 0,
          "online features to converge",
          30_000,
        ).catch(async (e) => {
          assert.deepEqual(await featureMismatches(runtime.pipeline, all, asOf), [], String(e));
        });
      } finally {
        await runtime.close();
      }
    } finally {
      assert.equal(await worker.stop(), 0, worker.logs());
      redis.kill("SIGKILL");
      await redis.status;
      await producer.close();
      await admin.deleteTopics({ topics: [workerEnv.KAFKA_TOPIC] }).catch(() => {});
      await admin.disconnect();
      await sql.end();
    }
  },
});
