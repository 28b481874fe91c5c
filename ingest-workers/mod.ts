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
export * from "./port.ts";
export * from "./errors.ts";
export * from "./config.ts";
export * from "./metrics.ts";
export * from "./worker.ts";
export * from "./memory.ts";
export * from "./kafka.ts";
export * from "./kafka_producer.ts";
export * from "./kafka_codecs.ts";
export * from "./kinesis.ts";
export * from "./kinesis_leases.ts";
export * from "./kinesis_producer.ts";
export * from "./pubsub.ts";
export * from "./pubsub_producer.ts";
export * from "./http.ts";
export * from "./http_producer.ts";
export * from "./clients.ts";
export * from "./replay.ts";
