/**
 * Builds the backend clients and sources from an {@linkcode IngestConfig}.
 * Nothing connects until a source starts or a producer sends.
 *
 * @module
 */
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { PubSub } from "@google-cloud/pubsub";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Kafka, logLevel } from "kafkajs";
import postgres from "postgres";
import type { IngestConfig } from "./config.ts";
import { SourceError } from "./errors.ts";
import { HttpProducer } from "./http_producer.ts";
import { KafkaSource } from "./kafka.ts";
import { KafkaProducer } from "./kafka_producer.ts";
import { KinesisSource } from "./kinesis.ts";
import { PostgresShardLeases } from "./kinesis_leases.ts";
import { KinesisProducer } from "./kinesis_producer.ts";
import type { IngestMetrics } from "./ingest_metrics.ts";
import type { EventProducer, MessageSource, SourceLogger } from "./port.ts";
import { PubSubSource } from "./pubsub.ts";
import { PubSubProducer } from "./pubsub_producer.ts";

/** A kafkajs client; its logs go to `log` at warn level and above, errors as errors. */
export function createKafka(config: IngestConfig, log?: SourceLogger): Kafka {
  return new Kafka({
    clientId: config.kafka.clientId,
    brokers: config.kafka.brokers,
    connectionTimeout: 3000,
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, log: entry }) => {
      const { message, timestamp: _t, logger: _l, ...fields } = entry;
      log?.(level <= logLevel.ERROR ? "error" : "warn", `kafkajs ${namespace}: ${message}`, fields);
    },
  });
}

/** A Kinesis client speaking HTTP/1.1 (the default HTTP/2 handler fails in Deno on http://). */
export function createKinesisClient(config: IngestConfig): KinesisClient {
  return new KinesisClient({
    endpoint: config.kinesis.endpoint,
    region: config.kinesis.region,
    credentials: config.kinesis.credentials,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 10_000 }),
    maxAttempts: 3,
  });
}

/** A Pub/Sub client; with an emulator host it talks plain gRPC to it. */
export function createPubSub(config: IngestConfig): PubSub {
  const host = config.pubsub.emulatorHost;
  if (!host) return new PubSub({ projectId: config.pubsub.projectId });
  return new PubSub({ projectId: config.pubsub.projectId, apiEndpoint: host, emulatorMode: true });
}

/** What a streaming source needs besides the config. */
export interface SourceDeps {
  metrics?: IngestMetrics;
  log?: SourceLogger;
  /** Postgres for Kinesis leases; created from `DATABASE_URL` when absent. */
  sql?: postgres.Sql;
}

/** Builds the source named by `config.source` (not `http`, which is a handler). */
export function createSource(config: IngestConfig, deps: SourceDeps = {}): MessageSource {
  switch (config.source) {
    case "kafka":
      return new KafkaSource({
        kafka: createKafka(config, deps.log),
        topic: config.kafka.topic,
        groupId: config.kafka.groupId,
        maxBatch: config.maxBatch,
        maxBytesPerPartition: config.kafka.maxBytesPerPartition,
        maxDecompressedBytes: config.kafka.maxDecompressedBytes,
        sessionTimeoutMs: config.kafka.sessionTimeoutMs,
        lagIntervalMs: config.kafka.lagIntervalMs,
        metrics: deps.metrics,
        logger: deps.log,
      });
    case "kinesis": {
      const sql = deps.sql ?? createSql(config);
      return new KinesisSource({
        client: createKinesisClient(config),
        leases: new PostgresShardLeases(sql),
        stream: config.kinesis.stream,
        application: config.kinesis.application,
        owner: config.kinesis.workerId ??
          `${Deno.hostname()}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`,
        leaseMs: config.kinesis.leaseMs,
        pollMs: config.kinesis.pollMs,
        maxBatch: config.maxBatch,
        metrics: deps.metrics,
        logger: (msg, fields) => deps.log?.(/^Cannot/.test(msg) ? "error" : "info", msg, fields),
      });
    }
    case "pubsub":
      return new PubSubSource({
        pubsub: createPubSub(config),
        subscription: config.pubsub.subscription,
        maxMessages: config.pubsub.maxMessages,
        streams: config.pubsub.streams,
        maxBatch: config.maxBatch,
      });
    default:
      throw new SourceError(`Cannot create a pull source for '${config.source}'`);
  }
}

/** Builds the producer for `to` (replay, load tests). */
export function createProducer(
  to: "kafka" | "kinesis" | "pubsub" | "http",
  config: IngestConfig,
  httpUrl = `http://${config.host}:${config.port}`,
  httpPath = "events",
): EventProducer {
  switch (to) {
    case "kafka":
      return new KafkaProducer(createKafka(config), config.kafka.topic, {
        compression: config.kafka.compression,
      });
    case "kinesis":
      return new KinesisProducer(createKinesisClient(config), config.kinesis.stream);
    case "pubsub":
      return new PubSubProducer(createPubSub(config), config.pubsub.topic);
    case "http":
      return new HttpProducer(httpUrl, config.apiKeys[0], httpPath);
  }
}

function createSql(config: IngestConfig): postgres.Sql {
  if (!config.databaseUrl) {
    throw new SourceError("Cannot lease Kinesis shards: DATABASE_URL is not set");
  }
  return postgres(config.databaseUrl, { max: 2, onnotice: () => {}, connect_timeout: 5 });
}
