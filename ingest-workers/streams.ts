/**
 * Creates what a worker reads from, as its config names it: the Kafka topic,
 * the Kinesis stream (waiting until it is ACTIVE) and the Pub/Sub topic with
 * its subscription (message ordering on, so ordering keys are honoured).
 * Each is created only when missing, so running it twice changes nothing.
 *
 * @module
 */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from "@aws-sdk/client-kinesis";
import { createKafka, createKinesisClient, createPubSub } from "./clients.ts";
import type { IngestConfig } from "./config.ts";
import { SourceError } from "./errors.ts";
import { PUBSUB_GAX_OPTIONS } from "./pubsub.ts";

/** The stream kinds that need creating. */
export type StreamKind = "kafka" | "kinesis" | "pubsub";

/** Options of {@linkcode ensureStreams}. */
export interface EnsureStreamsOptions {
  /** Partitions of a new Kafka topic (default 3). */
  kafkaPartitions?: number;
  /** Shards of a new Kinesis stream (default 2). */
  kinesisShards?: number;
  /** Longest wait for a new Kinesis stream to become ACTIVE (ms, default 60 s). */
  activeTimeoutMs?: number;
}

/** What {@linkcode ensureStreams} did per kind: `created` or `exists`, with the names. */
export type EnsureOutcome = Record<StreamKind, { state: "created" | "exists"; what: string }>;

/** Creates the missing streams of `kinds`; throws a `SourceError` naming each that failed. */
export async function ensureStreams(
  config: IngestConfig,
  kinds: readonly StreamKind[],
  options: EnsureStreamsOptions = {},
): Promise<Partial<EnsureOutcome>> {
  const out: Partial<EnsureOutcome> = {};
  const jobs: Record<StreamKind, () => Promise<unknown>> = {
    kafka: async () => (out.kafka = await ensureKafka(config, options.kafkaPartitions ?? 3)),
    kinesis: async () => (out.kinesis = await ensureKinesis(config, options)),
    pubsub: async () => (out.pubsub = await ensurePubSub(config)),
  };
  const results = await Promise.allSettled(kinds.map((k) => jobs[k]()));
  const failed = results.flatMap((r, i) =>
    r.status === "rejected" ? [`${kinds[i]}: ${(r.reason as Error)?.message ?? r.reason}`] : []
  );
  if (failed.length > 0) throw new SourceError(`Cannot create ${failed.join("; ")}`);
  return out;
}

async function ensureKafka(config: IngestConfig, partitions: number) {
  const admin = createKafka(config).admin();
  const topic = config.kafka.topic;
  try {
    await admin.connect();
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
    const what = `topic '${topic}' on ${config.kafka.brokers.join(",")}`;
    return { state: created ? "created" as const : "exists" as const, what };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function ensureKinesis(config: IngestConfig, options: EnsureStreamsOptions) {
  const client = createKinesisClient(config);
  const name = config.kinesis.stream;
  try {
    let state: "created" | "exists" = "created";
    try {
      await client.send(
        new CreateStreamCommand({ StreamName: name, ShardCount: options.kinesisShards ?? 2 }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
      state = "exists";
    }
    const deadline = Date.now() + (options.activeTimeoutMs ?? 60_000);
    for (;;) {
      try {
        const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
        if (out.StreamDescriptionSummary?.StreamStatus === "ACTIVE") break;
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
      if (Date.now() > deadline) throw new Error(`stream '${name}' did not become ACTIVE`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      state,
      what: `stream '${name}'${config.kinesis.endpoint ? ` at ${config.kinesis.endpoint}` : ""}`,
    };
  } finally {
    client.destroy();
  }
}

async function ensurePubSub(config: IngestConfig) {
  const pubsub = createPubSub(config);
  const { topic: topicName, subscription } = config.pubsub;
  try {
    const topic = pubsub.topic(topicName);
    let state: "created" | "exists" = "exists";
    if (!(await found(topic.getMetadata(PUBSUB_GAX_OPTIONS)))) {
      await pubsub.createTopic(topicName, PUBSUB_GAX_OPTIONS);
      state = "created";
    }
    const sub = topic.subscription(subscription);
    if (!(await found(sub.getMetadata(PUBSUB_GAX_OPTIONS)))) {
      await topic.createSubscription(subscription, {
        ackDeadlineSeconds: 30,
        enableMessageOrdering: true,
        gaxOpts: PUBSUB_GAX_OPTIONS,
      });
      state = "created";
    }
    return {
      state,
      what:
        `topic '${topicName}' and subscription '${subscription}' (ordered) in project '${config.pubsub.projectId}'`,
    };
  } finally {
    await pubsub.close().catch(() => {});
  }
}

/** True when the metadata call answered, false on gRPC NOT_FOUND; other errors are thrown. */
async function found(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 5) return false;
    throw error;
  }
}
