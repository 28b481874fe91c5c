/**
 * The `MessageSource` port: every stream backend (Kafka, Kinesis, Pub/Sub,
 * memory) hands the worker leases of raw messages; the worker acks a lease
 * only after the pipeline has committed it, or nacks it so it is delivered
 * again.
 *
 * @module
 */

/** One raw message as a source delivers it. */
export interface SourceMessage {
  /** Raw bytes, exactly as produced (may be malformed or not UTF-8). */
  payload: Uint8Array;
  /** Stable id within the source: `topic/partition/offset`, shard sequence number, Pub/Sub id. */
  id: string;
  /** Where it came from (topic, partition, shard, ...), forwarded to dead letters. */
  meta: Record<string, string>;
  /** When the broker received it (epoch ms), when known; feeds the freshness metric. */
  producedAtMs?: number;
  /**
   * Set when the source could not decode what it fetched (a Kafka batch that
   * does not decompress): the reason. `payload` then holds the raw bytes and
   * `meta` the offset range. The worker retries it, then dead-letters it.
   */
  undecodable?: string;
}

/**
 * A batch handed to the worker. Exactly one of `ack` or `nack` is called,
 * once; until then the source will not deliver these messages' successors
 * on ordered backends (partition, shard) past its checkpoint.
 */
export interface Lease {
  /** The messages, in source order per partition or shard. */
  readonly messages: readonly SourceMessage[];
  /** Marks every message as done: commits offsets / checkpoints / acks. */
  ack(): Promise<void>;
  /** Gives the messages back so they are delivered again. */
  nack(reason: string): Promise<void>;
  /**
   * Commits every message except those in `failed` and, on ordered backends,
   * what follows them on their partition or shard; those come back not
   * before `retryInMs`, while other partitions go on. Sources without it get
   * a `nack`.
   */
  retry?(failed: ReadonlySet<string>, reason: string, retryInMs: number): Promise<void>;
}

/** A structured log line sink (JSON lines in the worker process). */
export type SourceLogger = (
  level: "info" | "warn" | "error",
  msg: string,
  fields?: object,
) => void;

/**
 * Hears about failures a source recovers from by itself (a consumer crash
 * and restart): the worker reports degraded until `recovered()`.
 */
export interface SourceListener {
  failing(what: string, error: unknown): void;
  recovered(): void;
}

/** A stream the worker pulls from. */
export interface MessageSource {
  /** Backend name for logs and metrics (`kafka`, `kinesis`, `pubsub`, `memory`). */
  readonly kind: string;
  /** Connects and joins the group / takes leases. Idempotent. */
  start(): Promise<void>;
  /**
   * Waits for the next batch; resolves `null` when `signal` aborts or the
   * source is closed. Throws `IngestRetryableError` when the backend is down.
   */
  pull(signal: AbortSignal): Promise<Lease | null>;
  /** Whether the source is connected and able to deliver. */
  isReady(): boolean;
  /** Stops fetching, flushes commits and disconnects. Leases still open are nacked. */
  close(): Promise<void>;
  /** Registers the worker's listener (optional: sources that never fail on their own skip it). */
  setListener?(listener: SourceListener): void;
}

/** A raw message the pipeline consumes (mirrors `PipelineMessage` of `pipeline/mod.ts`). */
export interface PipelineInput {
  payload: Uint8Array | string;
  meta?: Record<string, string>;
}

/** What the pipeline reports for one batch (mirrors `BatchResult` of `pipeline/mod.ts`). */
export interface PipelineBatchResult {
  accepted: number;
  duplicate: number;
  dead_lettered: number;
  rejections: { index: number; reason: string }[];
}

/**
 * The part of `FeaturePipeline` the workers use. Structural, so the real
 * pipeline, a test double or a remote one all fit.
 */
export interface IngestPipeline {
  /** Decodes, validates, dedupes and commits a batch; dead-letters the invalid ones. */
  processBatch(messages: PipelineInput[]): Promise<PipelineBatchResult>;
  /** Stores a message the source gave up on, with the reason. */
  deadLetter(
    payload: Uint8Array | string,
    reason: string,
    meta?: Record<string, string>,
  ): Promise<void>;
}

/** One record to produce: partition / shard / ordering key and raw bytes. */
export interface ProducerRecord {
  /** Partition key (the event's `user_id`). */
  key: string;
  value: Uint8Array | string;
  /** Record headers (Kafka) / attributes (Pub/Sub), when the backend has them. */
  headers?: Record<string, string>;
}

/** Writes records to a stream (file replay, load tests, demos). */
export interface EventProducer {
  /** Backend name (`kafka`, `kinesis`, `pubsub`, `http`). */
  readonly kind: string;
  /** Sends the records; resolves once the broker acknowledged all of them. */
  send(records: ProducerRecord[]): Promise<void>;
  close(): Promise<void>;
}
