// The emulator has no metadata server; without this the auth library probes for one.
Deno.env.set("METADATA_SERVER_DETECTION", "none");

import { createPubSub } from "../../ingest-workers/clients.ts";
import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { PUBSUB_GAX_OPTIONS, PubSubSource } from "../../ingest-workers/pubsub.ts";
import { PubSubProducer } from "../../ingest-workers/pubsub_producer.ts";
import { serviceEnv } from "../_services.ts";
import { messageSourceContract } from "./message_source_contract.ts";

messageSourceContract("PubSubSource", async () => {
  const env = await serviceEnv("pubsub");
  const id = crypto.randomUUID().slice(0, 8);
  const config = resolveIngestConfig({
    ...env,
    PUBSUB_TOPIC: `t-${id}`,
    PUBSUB_SUBSCRIPTION: `s-${id}`,
  });
  const pubsub = createPubSub(config);
  const [topic] = await pubsub.createTopic(config.pubsub.topic, PUBSUB_GAX_OPTIONS);
  const [sub] = await topic.createSubscription(config.pubsub.subscription, {
    ackDeadlineSeconds: 10,
    gaxOpts: PUBSUB_GAX_OPTIONS,
  });
  const producer = new PubSubProducer(pubsub, config.pubsub.topic);
  let n = 0;
  return {
    durable: true,
    source: () =>
      new PubSubSource({ pubsub, subscription: config.pubsub.subscription, maxBatch: 10 }),
    publish: (payloads) => producer.send(payloads.map((value) => ({ key: `k${n++}`, value }))),
    cleanup: async () => {
      await producer.close().catch(() => {});
      await sub.delete().catch(() => {});
      await topic.delete().catch(() => {});
      await pubsub.close();
    },
  };
});
