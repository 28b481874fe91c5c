/**
 * Configuration of the ingest workers, resolved once at start-up from env.
 * The only module of this folder that reads `Deno.env`.
 *
 * @module
 */
import { z } from "zod";
import { envInt, envList, parseConfig } from "../schemas/config.ts";
import { KAFKA_CODECS, type KafkaCodecName } from "./_compression.ts";

/** Sources a worker can run. */
export const SOURCE_KINDS = ["kafka", "kinesis", "pubsub", "http", "memory"] as const;
/** One of {@linkcode SOURCE_KINDS}. */
export type SourceKind = typeof SOURCE_KINDS[number];

const schema = z.object({
  INGEST_SOURCE: z.enum(SOURCE_KINDS).default("http"),
  INGEST_HOST: z.string().default("127.0.0.1"),
  INGEST_PORT: envInt(8091, 0, 65535),
  INGEST_MAX_BATCH: envInt(1000, 1, 100_000),
  INGEST_MAX_DELIVERIES: envInt(5, 1, 1000),
  INGEST_CONCURRENCY: envInt(4, 1, 64),
  INGEST_BACKOFF_INITIAL_MS: envInt(200, 1),
  INGEST_BACKOFF_MAX_MS: envInt(10_000, 1),
  INGEST_SHUTDOWN_TIMEOUT_MS: envInt(9_000, 100),
  INGEST_API_KEYS: envList(),
  DATABASE_URL: z.string().optional(),
  REDIS_URL: z.string().optional(),
  KAFKA_BROKERS: envList(["127.0.0.1:9092"]),
  KAFKA_TOPIC: z.string().min(1).default("transactions"),
  KAFKA_GROUP_ID: z.string().min(1).default("ingest-workers"),
  KAFKA_CLIENT_ID: z.string().min(1).default("ingest-worker"),
  KAFKA_MAX_BYTES_PER_PARTITION: envInt(1_048_576, 1024),
  KAFKA_SESSION_TIMEOUT_MS: envInt(30_000, 3000),
  KAFKA_MAX_DECOMPRESSED_BYTES: envInt(64 * 1024 * 1024, 1024),
  KAFKA_LAG_INTERVAL_MS: envInt(5000, 100),
  KAFKA_COMPRESSION: z.enum(Object.keys(KAFKA_CODECS) as [KafkaCodecName, ...KafkaCodecName[]])
    .default("none"),
  KINESIS_ENDPOINT: z.string().url().optional(),
  KINESIS_STREAM: z.string().min(1).default("transactions"),
  /**
   * Consumer application: workers with one name share the shards; another
   * name reads the stream again with leases of its own. Default "" (leases
   * keyed by the stream name alone).
   */
  KINESIS_APPLICATION: z.string().max(128).regex(/^[^/]*$/, "must not contain '/'").default(""),
  KINESIS_LEASE_MS: envInt(10_000, 500),
  KINESIS_POLL_MS: envInt(200, 0),
  KINESIS_WORKER_ID: z.string().optional(),
  AWS_REGION: z.string().default("us-east-1"),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  PUBSUB_EMULATOR_HOST: z.string().optional(),
  PUBSUB_PROJECT_ID: z.string().default("platform-local"),
  PUBSUB_TOPIC: z.string().min(1).default("transactions"),
  PUBSUB_SUBSCRIPTION: z.string().min(1).default("ingest-workers"),
  PUBSUB_MAX_MESSAGES: envInt(2000, 1),
  PUBSUB_STREAMS: envInt(8, 1, 64),
});

/** Resolved ingest configuration. Every field has a documented default. */
export interface IngestConfig {
  /** Which source to run (`INGEST_SOURCE`, default `http`). */
  source: SourceKind;
  /** Address of `/health`, `/ready`, `/metrics` (and `/ingest/events`). Default 127.0.0.1:8091. */
  host: string;
  port: number;
  /** Most messages per pipeline batch. Default 1000. */
  maxBatch: number;
  /** Failed deliveries before a message is dead-lettered. Default 5. */
  maxDeliveries: number;
  /**
   * Leases committed at once for Kafka and Kinesis (partitions / shards hold
   * disjoint users). Default 4. Pub/Sub and HTTP always use 1.
   */
  concurrency: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Hard limit for a graceful stop (the process exits within 10 s). Default 9 s. */
  shutdownTimeoutMs: number;
  /** API keys accepted by `POST /ingest/events`; empty means no key is required. */
  apiKeys: string[];
  databaseUrl?: string;
  redisUrl?: string;
  kafka: {
    brokers: string[];
    topic: string;
    groupId: string;
    clientId: string;
    maxBytesPerPartition: number;
    /** How long the group waits for a silent member before giving its partitions away. Default 30 s. */
    sessionTimeoutMs: number;
    /** Largest decompressed size of one record batch; bigger ones are dead-lettered. Default 64 MiB. */
    maxDecompressedBytes: number;
    /** How often the lag of the assigned partitions is measured. Default 5 s. */
    lagIntervalMs: number;
    /** Codec of the batches replay and load tests produce (`KAFKA_COMPRESSION`). Default none. */
    compression: KafkaCodecName;
  };
  kinesis: {
    endpoint?: string;
    stream: string;
    /** Consumer application ("" for leases keyed by the stream alone). */
    application: string;
    region: string;
    leaseMs: number;
    pollMs: number;
    workerId?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  };
  pubsub: {
    emulatorHost?: string;
    projectId: string;
    topic: string;
    subscription: string;
    /** Flow control: most messages outstanding. Default 2000. */
    maxMessages: number;
    /** Parallel streaming pulls. Default 8. */
    streams: number;
  };
}

/** Resolves {@linkcode IngestConfig} from `env` (default: the process env). */
export function resolveIngestConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): IngestConfig {
  const c = parseConfig("ingest", schema, env);
  const creds = c.AWS_ACCESS_KEY_ID && c.AWS_SECRET_ACCESS_KEY
    ? { accessKeyId: c.AWS_ACCESS_KEY_ID, secretAccessKey: c.AWS_SECRET_ACCESS_KEY }
    : c.KINESIS_ENDPOINT
    // A local endpoint (kinesalite, kinesis-mock) accepts any signature.
    ? { accessKeyId: "local", secretAccessKey: "local" }
    : undefined;
  return {
    source: c.INGEST_SOURCE,
    host: c.INGEST_HOST,
    port: c.INGEST_PORT,
    maxBatch: c.INGEST_MAX_BATCH,
    maxDeliveries: c.INGEST_MAX_DELIVERIES,
    concurrency: c.INGEST_CONCURRENCY,
    backoffInitialMs: c.INGEST_BACKOFF_INITIAL_MS,
    backoffMaxMs: c.INGEST_BACKOFF_MAX_MS,
    shutdownTimeoutMs: c.INGEST_SHUTDOWN_TIMEOUT_MS,
    apiKeys: c.INGEST_API_KEYS,
    databaseUrl: c.DATABASE_URL,
    redisUrl: c.REDIS_URL,
    kafka: {
      brokers: c.KAFKA_BROKERS,
      topic: c.KAFKA_TOPIC,
      groupId: c.KAFKA_GROUP_ID,
      clientId: c.KAFKA_CLIENT_ID,
      maxBytesPerPartition: c.KAFKA_MAX_BYTES_PER_PARTITION,
      sessionTimeoutMs: c.KAFKA_SESSION_TIMEOUT_MS,
      maxDecompressedBytes: c.KAFKA_MAX_DECOMPRESSED_BYTES,
      lagIntervalMs: c.KAFKA_LAG_INTERVAL_MS,
      compression: c.KAFKA_COMPRESSION,
    },
    kinesis: {
      endpoint: c.KINESIS_ENDPOINT,
      stream: c.KINESIS_STREAM,
      application: c.KINESIS_APPLICATION,
      region: c.AWS_REGION,
      leaseMs: c.KINESIS_LEASE_MS,
      pollMs: c.KINESIS_POLL_MS,
      workerId: c.KINESIS_WORKER_ID,
      credentials: creds,
    },
    pubsub: {
      emulatorHost: c.PUBSUB_EMULATOR_HOST,
      projectId: c.PUBSUB_PROJECT_ID,
      topic: c.PUBSUB_TOPIC,
      subscription: c.PUBSUB_SUBSCRIPTION,
      maxMessages: c.PUBSUB_MAX_MESSAGES,
      streams: c.PUBSUB_STREAMS,
    },
  };
}
