import { resolveIngestConfig } from "../../ingest-workers/config.ts";
import { createKafka } from "../../ingest-workers/clients.ts";
import { KafkaSource } from "../../ingest-workers/kafka.ts";
import { KafkaProducer } from "../../ingest-workers/kafka_producer.ts";
import { serviceEnv } from "../_services.ts";
import { messageSourceContract } from "./message_source_contract.ts";

messageSourceContract("KafkaSource", async () => {
  const env = await serviceEnv("kafka");
  const id = crypto.randomUUID().slice(0, 8);
  const config = resolveIngestConfig({
    ...env,
    KAFKA_TOPIC: `contract-${id}`,
    KAFKA_GROUP_ID: `g-${id}`,
  });
  const kafka = createKafka(config);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: config.kafka.topic, numPartitions: 2 }],
    waitForLeaders: true,
  });
  const producer = new KafkaProducer(kafka, config.kafka.topic);
  let n = 0;
  return {
    durable: true,
    source: () =>
      new KafkaSource({
        kafka,
        topic: config.kafka.topic,
        groupId: config.kafka.groupId,
        sessionTimeoutMs: 10_000,
      }),
    publish: (payloads) => producer.send(payloads.map((value) => ({ key: `k${n++}`, value }))),
    cleanup: async () => {
      await producer.close();
      await admin.deleteTopics({ topics: [config.kafka.topic] }).catch(() => {});
      await admin.disconnect();
    },
  };
});
