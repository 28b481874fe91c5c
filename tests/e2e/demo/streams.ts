/**
 * The run's own Kafka topic, Kinesis stream and Pub/Sub topic and
 * subscription: created before anything is produced (a Pub/Sub message
 * published before its subscription exists is lost), filled through the
 * ingest workers' own producers, and deleted at the end (with the Kinesis
 * workers' leases in Postgres).
 *
 * @module
 */
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
} from "@aws-sdk/client-kinesis";
import {
  createKafka,
  createKinesisClient,
  createProducer,
  createPubSub,
} from "../../../ingest-workers/clients.ts";
import postgres from "postgres";
import { type IngestConfig, resolveIngestConfig } from "../../../ingest-workers/config.ts";
import { PUBSUB_GAX_OPTIONS } from "../../../ingest-workers/pubsub.ts";
import type { SourceDefinition } from "../../../schemas/definitions.ts";
import { type DemoRecord, type DemoSource, SOURCES } from "./use_case.ts";

/** The run's stream names (also the env the workers get). */
export interface StreamNames {
  KAFKA_TOPIC: string;
  KAFKA_GROUP_ID: string;
  KINESIS_STREAM: string;
  PUBSUB_TOPIC: string;
  PUBSUB_SUBSCRIPTION: string;
}

/**
 * Names unique to `runId`, made from the source's routing (`demo-<topic>-<runId>`):
 * repeated runs never read each other's messages or consumer offsets.
 */
export function streamNames(runId: string, source: SourceDefinition): StreamNames {
  const r = source.routing;
  const name = (routed: string | undefined) => `demo-${routed ?? source.name}-${runId}`;
  return {
    KAFKA_TOPIC: name(r.kafkaTopic),
    KAFKA_GROUP_ID: `demo-ingest-${runId}`,
    KINESIS_STREAM: name(r.kinesisStream),
    PUBSUB_TOPIC: name(r.pubsubTopic),
    PUBSUB_SUBSCRIPTION: name(r.pubsubSubscription),
  };
}

/** Created streams; `delete()` removes them all (errors ignored). */
export interface DemoStreams {
  config: IngestConfig;
  /** Partitions / shards per stream, for the summary. */
  layout: Record<DemoSource, string>;
  delete(): Promise<void>;
}

/** Creates the topic (3 partitions), the stream (2 shards) and the topic + subscription. */
export async function createStreams(
  env: Record<string, string>,
  names: StreamNames,
): Promise<DemoStreams> {
  const config = resolveIngestConfig({ ...env, ...names });
  const admin = createKafka(config).admin();
  const kinesis = createKinesisClient(config);
  const pubsub = createPubSub(config);
  const deleters: (() => Promise<unknown>)[] = [];
  const kafkaReady = (async () => {
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: names.KAFKA_TOPIC, numPartitions: 3 }],
      waitForLeaders: true,
    });
    deleters.push(async () => {
      await admin.deleteTopics({ topics: [names.KAFKA_TOPIC], timeout: 5000 });
    });
  })();
  const kinesisReady = (async () => {
    await kinesis.send(
      new CreateStreamCommand({ StreamName: names.KINESIS_STREAM, ShardCount: 2 }),
    );
    deleters.push(async () => {
      await kinesis.send(new DeleteStreamCommand({ StreamName: names.KINESIS_STREAM }));
      // The workers' shard leases and checkpoints of the stream, kept in Postgres.
      const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
      await sql`DELETE FROM ingest_kinesis_shards WHERE stream = ${names.KINESIS_STREAM}`
        .finally(() => sql.end());
    });
    for (let i = 0;; i++) {
      const out = await kinesis.send(
        new DescribeStreamSummaryCommand({ StreamName: names.KINESIS_STREAM }),
      );
      if (out.StreamDescriptionSummary?.StreamStatus === "ACTIVE") break;
      if (i > 100) throw new Error(`Kinesis stream '${names.KINESIS_STREAM}' is not ACTIVE`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const pubsubReady = (async () => {
    const [topic] = await pubsub.createTopic(names.PUBSUB_TOPIC, PUBSUB_GAX_OPTIONS);
    const [sub] = await topic.createSubscription(names.PUBSUB_SUBSCRIPTION, {
      ackDeadlineSeconds: 30,
      gaxOpts: PUBSUB_GAX_OPTIONS,
    });
    deleters.push(async () => {
      await sub.delete();
      await topic.delete();
    });
  })();
  const remove = async () => {
    await Promise.allSettled(deleters.map((d) => d()));
    await admin.disconnect().catch(() => {});
    kinesis.destroy();
    await pubsub.close().catch(() => {});
  };
  const results = await Promise.allSettled([kafkaReady, kinesisReady, pubsubReady]);
  const failed = results.flatMap((r, i) =>
    r.status === "rejected" ? [`${SOURCES[i]}: ${(r.reason as Error)?.message ?? r.reason}`] : []
  );
  if (failed.length > 0) {
    await remove();
    throw new Error(`Cannot create the demo streams: ${failed.join("; ")}`);
  }
  return {
    config,
    layout: { kafka: "3 partitions", kinesis: "2 shards", pubsub: "1 subscription" },
    delete: remove,
  };
}

/** Produces every record on its stream through the ingest workers' producers, streams in parallel. */
export async function produceAll(
  config: IngestConfig,
  records: Record<DemoSource, DemoRecord[]>,
): Promise<Record<DemoSource, number>> {
  const sent = { kafka: 0, kinesis: 0, pubsub: 0 };
  await Promise.all(SOURCES.map(async (source) => {
    const producer = createProducer(source, config);
    try {
      const list = records[source];
      for (let i = 0; i < list.length; i += 250) {
        const chunk = list.slice(i, i + 250);
        await producer.send(chunk.map((r) => ({ key: r.key, value: r.value })));
        sent[source] += chunk.length;
      }
    } finally {
      await producer.close();
    }
  }));
  return sent;
}
