// The emulator has no metadata server; without this the auth library probes for one.
Deno.env.set("METADATA_SERVER_DETECTION", "none");

/**
 * A Pub/Sub message the pipeline refuses keeps its attributes and ordering
 * key in the dead letter's metadata, so an operator can trace it back to its
 * publisher; an attribute named like a platform field does not overwrite it.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import postgres from "postgres";
import { createPubSub } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { PUBSUB_GAX_OPTIONS } from "../../ingest-workers/pubsub.ts";
import { spawnWorker, waitFor } from "../support/ingest.ts";
import { serviceEnv } from "../_services.ts";

Deno.test({
  name: "pubsub worker: a dead letter keeps the message attributes and ordering key",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const env = await serviceEnv("pubsub", "postgres", "redis");
    const runId = `pm${crypto.randomUUID().slice(0, 8)}`;
    const workerEnv = {
      DATABASE_URL: env.DATABASE_URL,
      REDIS_URL: env.REDIS_URL,
      PUBSUB_EMULATOR_HOST: env.PUBSUB_EMULATOR_HOST,
      PUBSUB_PROJECT_ID: env.PUBSUB_PROJECT_ID,
      PUBSUB_TOPIC: `ingest-${runId}`,
      PUBSUB_SUBSCRIPTION: `ingest-${runId}`,
    };
    const pubsub = createPubSub(resolveIngestConfig(workerEnv));
    const [topic] = await pubsub.createTopic(workerEnv.PUBSUB_TOPIC, PUBSUB_GAX_OPTIONS);
    const [subscription] = await topic.createSubscription(workerEnv.PUBSUB_SUBSCRIPTION, {
      enableMessageOrdering: true,
      gaxOpts: PUBSUB_GAX_OPTIONS,
    });
    const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    const worker = spawnWorker("pubsub", workerEnv);
    const publisher = pubsub.topic(workerEnv.PUBSUB_TOPIC, { messageOrdering: true });
    try {
      await waitFor(async () => (await worker.readyStatus()) === 200, "worker ready");
      await publisher.publishMessage({
        data: Buffer.from(`{"event_id":"${runId}-bad","amount":-1}`),
        attributes: { producer: "billing-svc", source: "spoofed", run: runId },
        orderingKey: "user-42",
      });
      let rows: { meta: Record<string, string> }[] = [];
      await waitFor(async () => {
        rows = await sql`SELECT meta FROM dead_letters
          WHERE meta->>'source' = 'pubsub' AND meta->>'attributes' LIKE ${`%${runId}%`}`;
        return rows.length > 0;
      }, "the dead letter");
      const meta = rows[0].meta;
      assert.equal(meta.source, "pubsub");
      assert.equal(meta.ordering_key, "user-42");
      assert.deepEqual(JSON.parse(meta.attributes), {
        producer: "billing-svc",
        source: "spoofed",
        run: runId,
      });
      assert.match(meta.message_id, /\S/);
      assert.equal(await worker.stop(), 0, worker.logs());
    } finally {
      await worker.stop();
      await subscription.delete().catch(() => {});
      await topic.delete().catch(() => {});
      await pubsub.close();
      await sql.end();
    }
  },
});
