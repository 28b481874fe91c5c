/**
 * Ingest workers: stream sources behind one `MessageSource` port (Kafka,
 * Kinesis, Pub/Sub, memory), the HTTP ingest endpoint, producers for file
 * replay, and the worker loop that commits every batch through the feature
 * pipeline before acking it (at-least-once delivery, exactly-once effect
 * thanks to the pipeline's `event_id` dedupe).
 *
 * Whatever a standard producer writes is read: Kafka batches in every codec
 * (pure JS / WASM, size-capped), KPL-aggregated Kinesis records, gzip / zstd
 * HTTP bodies. A batch or message that keeps failing is retried with
 * backoff, then dead-lettered with where it came from (offsets, key,
 * headers, attributes), and its partition moves on without holding up the
 * others.
 *
 * @example
 * ```ts
 * import { IngestWorker, MemorySource } from "./mod.ts";
 * const source = new MemorySource();
 * const worker = new IngestWorker({ source, pipeline });
 * source.publish([JSON.stringify(event)]);
 * await worker.run(); // until worker.stop()
 * ```
 *
 * @module
 */
export {
  type EventProducer,
  type IngestPipeline,
  type Lease,
  type MessageSource,
  type PipelineBatchResult,
  type PipelineInput,
  type ProducerRecord,
  type SourceListener,
  type SourceLogger,
  type SourceMessage,
} from "./port.ts";
export {
  type IngestErrorCode,
  IngestRequestError,
  type IngestRequestErrorCode,
  IngestRetryableError,
  isRetryable,
  SourceError,
} from "./errors.ts";
export {
  type IngestConfig,
  resolveIngestConfig,
  SOURCE_KINDS,
  type SourceKind,
  type StreamRouting,
} from "./config.ts";
export { createIngestMetrics, type IngestMetrics } from "./ingest_metrics.ts";
export {
  type IngestLogger,
  IngestWorker,
  type IngestWorkerOptions,
  type WorkerState,
} from "./worker.ts";
export { MemorySource, type MemorySourceOptions } from "./memory.ts";
export { KafkaSource, type KafkaSourceOptions } from "./kafka.ts";
export { KafkaProducer, type KafkaProducerOptions } from "./kafka_producer.ts";
export {
  checkRecords,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  placeholders,
  registerKafkaCodecs,
  UNDECODABLE_HEADER,
} from "./kafka_codecs.ts";
export { kinesisLeaseKey, KinesisSource, type KinesisSourceOptions } from "./kinesis.ts";
export {
  type HeldLease,
  PostgresShardLeases,
  SHARD_TABLE,
  type ShardInfo,
  type ShardLeaseStore,
} from "./kinesis_leases.ts";
export { KinesisProducer } from "./kinesis_producer.ts";
export {
  PUBSUB_GAX_OPTIONS,
  PubSubSource,
  type PubSubSourceOptions,
  toSourceMessage,
} from "./pubsub.ts";
export { PubSubProducer } from "./pubsub_producer.ts";
export {
  createIngestRoutes,
  type IngestAccepted,
  type IngestRoutesOptions,
  MAX_BODY_BYTES,
  MAX_EVENTS_PER_REQUEST,
  splitEvents,
} from "./http.ts";
export { HttpProducer } from "./http_producer.ts";
export {
  createKafka,
  createKinesisClient,
  createProducer,
  createPubSub,
  createSource,
  type SourceDeps,
} from "./clients.ts";
export { replayFile, type ReplayOptions, type ReplayProgress } from "./replay.ts";
