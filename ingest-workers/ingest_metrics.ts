/**
 * Prometheus metrics of the ingest workers (`ingest_*`), registered on the
 * `Registry` passed in; nothing touches the global default registry.
 *
 * @module
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The metrics one worker process exposes. */
export interface IngestMetrics {
  /** Messages by outcome: accepted, duplicate, dead_lettered, gave_up. */
  messages: Counter<"source" | "outcome">;
  /** Batches by result: committed, retryable_error, failed. */
  batches: Counter<"source" | "result">;
  /** Time spent in `processBatch` per batch. */
  batchSeconds: Histogram<"source">;
  /** Produced (broker time) → committed, per message. */
  freshnessSeconds: Histogram<"source">;
  /** 1 while the worker backs off (Postgres/Redis/broker down), its source fails, or a message is retried. */
  degraded: Gauge<"source">;
  /** Kafka consumer lag by topic and partition (messages). */
  kafkaLag: Gauge<"topic" | "partition">;
  /** Kinesis shards leased by this worker. */
  kinesisLeases: Gauge<"stream">;
  /** Kinesis `MillisBehindLatest` per shard. */
  kinesisBehindMs: Gauge<"stream" | "shard">;
  /** HTTP ingest requests by status. */
  httpRequests: Counter<"status">;
}

/** Creates the ingest metrics on `registry`. */
export function createIngestMetrics(registry: Registry): IngestMetrics {
  const registers = [registry];
  return {
    messages: new Counter({
      name: "ingest_messages_total",
      help: "Messages handled by outcome",
      labelNames: ["source", "outcome"],
      registers,
    }),
    batches: new Counter({
      name: "ingest_batches_total",
      help: "Batches handled by result",
      labelNames: ["source", "result"],
      registers,
    }),
    batchSeconds: new Histogram({
      name: "ingest_batch_seconds",
      help: "Time spent committing one batch through the pipeline",
      labelNames: ["source"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    freshnessSeconds: new Histogram({
      name: "ingest_freshness_seconds",
      help: "Time from broker receipt to pipeline commit",
      labelNames: ["source"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    degraded: new Gauge({
      name: "ingest_degraded",
      help:
        "1 while the worker backs off after a failure, its source fails or a message is being retried",
      labelNames: ["source"],
      registers,
    }),
    kafkaLag: new Gauge({
      name: "ingest_kafka_partition_lag",
      help:
        "Messages between the group's committed offset and the high watermark, per assigned partition",
      labelNames: ["topic", "partition"],
      registers,
    }),
    kinesisLeases: new Gauge({
      name: "ingest_kinesis_leases_held",
      help: "Kinesis shard leases held by this worker",
      labelNames: ["stream"],
      registers,
    }),
    kinesisBehindMs: new Gauge({
      name: "ingest_kinesis_millis_behind_latest",
      help: "MillisBehindLatest reported by GetRecords per shard",
      labelNames: ["stream", "shard"],
      registers,
    }),
    httpRequests: new Counter({
      name: "ingest_http_requests_total",
      help: "HTTP ingest requests by status",
      labelNames: ["status"],
      registers,
    }),
  };
}
