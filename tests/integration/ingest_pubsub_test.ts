// The emulator has no metadata server; without this the auth library probes for one.
Deno.env.set("METADATA_SERVER_DETECTION", "none");

/**
 * End to end with Google's Pub/Sub emulator, Postgres and Redis: the shared
 * source scenarios (exact features and dead letters acked only after
 * commit, kill -9 and restart, two workers on one subscription). Pub/Sub
 * has no partitions, so the two workers receive the same users' events
 * concurrently: the pipeline's per-entity compare-and-set in Redis keeps
 * the online values exact.
 */
import { createPubSub } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { PUBSUB_GAX_OPTIONS } from "../../ingest-workers/pubsub.ts";
import { PubSubProducer } from "../../ingest-workers/pubsub_producer.ts";
import { defineSourceScenarios } from "./_ingest_scenarios.ts";

defineSourceScenarios({
  source: "pubsub",
  service: "pubsub",
  prefix: "p",
  async create(env, runId) {
    const workerEnv = {
      PUBSUB_EMULATOR_HOST: env.PUBSUB_EMULATOR_HOST,
      PUBSUB_PROJECT_ID: env.PUBSUB_PROJECT_ID,
      PUBSUB_TOPIC: `ingest-${runId}`,
      PUBSUB_SUBSCRIPTION: `ingest-${runId}`,
    };
    const pubsub = createPubSub(resolveIngestConfig(workerEnv));
    const [topic] = await pubsub.createTopic(workerEnv.PUBSUB_TOPIC, PUBSUB_GAX_OPTIONS);
    const [subscription] = await topic.createSubscription(workerEnv.PUBSUB_SUBSCRIPTION, {
      ackDeadlineSeconds: 10,
      gaxOpts: PUBSUB_GAX_OPTIONS,
    });
    const producer = new PubSubProducer(pubsub, workerEnv.PUBSUB_TOPIC);
    return {
      workerEnv,
      send: (records) => producer.send(records),
      async cleanup() {
        await producer.close().catch(() => {});
        await subscription.delete().catch(() => {});
        await topic.delete().catch(() => {});
        await pubsub.close();
      },
    };
  },
});
