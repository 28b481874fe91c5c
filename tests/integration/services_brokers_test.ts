/**
 * Each broker and server started by services:up answers a real client:
 * Kafka (kafkajs), Kinesis (@aws-sdk/client-kinesis), Pub/Sub
 * (@google-cloud/pubsub) and MLflow (REST).
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { PubSub } from "@google-cloud/pubsub";
import { serviceEnv } from "../_services.ts";

const id = crypto.randomUUID().slice(0, 8);

Deno.test({
  name: "services kafka accepts a topic, a message and a consumer group",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const env = await serviceEnv("kafka");
    const kafka = new Kafka({
      clientId: "services-test",
      brokers: env.KAFKA_BROKERS.split(","),
      logLevel: logLevel.NOTHING,
    });
    const topic = `services-test-${id}`;
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `services-test-${id}` });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.equal(meta.topics[0].partitions.length, 2);
      await producer.connect();
      await producer.send({ topic, messages: [{ key: "k", value: "hello kafka" }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const got = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("No message consumed in 30 s")), 30_000);
        consumer.run({
          eachMessage: ({ message }) => {
            clearTimeout(timer);
            resolve(message.value?.toString() ?? "");
            return Promise.resolve();
          },
        });
      });
      assert.equal(got, "hello kafka");
    } finally {
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect().catch(() => {});
    }
  },
});

Deno.test("services kinesis creates a stream and returns a put record", async () => {
  const env = await serviceEnv("kinesis");
  const client = new KinesisClient({
    endpoint: env.KINESIS_ENDPOINT,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    requestHandler: new NodeHttpHandler(),
  });
  const StreamName = `services-test-${id}`;
  try {
    await client.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
    const put = await client.send(
      new PutRecordCommand({
        StreamName,
        PartitionKey: "k",
        Data: new TextEncoder().encode("hello kinesis"),
      }),
    );
    const shards = await client.send(new ListShardsCommand({ StreamName }));
    assert.equal(shards.Shards?.length, 1);
    const it = await client.send(
      new GetShardIteratorCommand({
        StreamName,
        ShardId: put.ShardId!,
        ShardIteratorType: "TRIM_HORIZON",
      }),
    );
    const records = await client.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
    assert.equal(records.Records?.length, 1);
    assert.equal(new TextDecoder().decode(records.Records![0].Data), "hello kinesis");
  } finally {
    await client.send(new DeleteStreamCommand({ StreamName })).catch(() => {});
    client.destroy();
  }
});

Deno.test({
  name: "services pubsub emulator delivers a published message to a subscription",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const env = await serviceEnv("pubsub");
    const pubsub = new PubSub({
      projectId: env.PUBSUB_PROJECT_ID,
      apiEndpoint: env.PUBSUB_EMULATOR_HOST,
    });
    const [topic] = await pubsub.createTopic(`services-test-${id}`);
    const [sub] = await topic.createSubscription(`services-test-${id}`);
    try {
      await topic.publishMessage({ data: new TextEncoder().encode("hello pubsub") });
      const got = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("No message received in 30 s")), 30_000);
        sub.on("message", (m) => {
          clearTimeout(timer);
          m.ack();
          resolve(m.data.toString());
        });
        sub.on("error", reject);
      });
      assert.equal(got, "hello pubsub");
    } finally {
      await sub.close();
      await sub.delete().catch(() => {});
      await topic.delete().catch(() => {});
      await pubsub.close();
    }
  },
});

Deno.test("services mlflow creates and finds an experiment through the REST API", async () => {
  const env = await serviceEnv("mlflow");
  const api = `${env.MLFLOW_TRACKING_URI}/api/2.0/mlflow`;
  const name = `services-test-${id}`;
  const created = await fetch(`${api}/experiments/create`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  assert.equal(created.status, 200, await created.clone().text());
  const { experiment_id } = await created.json();
  const found = await fetch(`${api}/experiments/get-by-name?experiment_name=${name}`);
  assert.equal((await found.json()).experiment.experiment_id, experiment_id);
  const health = await fetch(`${env.MLFLOW_TRACKING_URI}/health`);
  assert.equal((await health.text()).trim(), "OK");
});
