/**
 * Kafka source over a kafkajs consumer group. Each fetched partition batch
 * waits inside `eachBatch` until the worker settles it; the offsets it
 * covers are then committed before `eachBatch` returns, so commits are
 * flushed before kafkajs can give the partition away in a rebalance.
 *
 * A batch the worker asks to retry has its good prefix committed, the
 * partition sought back and paused for the retry delay: `eachBatch` returns
 * at once, so the other partitions of the fetch go on. The worker holds
 * exactly one consumer (one group member) whatever its concurrency; a
 * crashed consumer is left by kafkajs and replaced here after a backoff.
 *
 * @module
 */
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import { Backoff } from "./_delivery.ts";
import { BatchQueue, type Settlement } from "./_batch_queue.ts";
import { DEFAULT_MAX_DECOMPRESSED_BYTES, registerKafkaCodecs } from "./kafka_codecs.ts";
import { KafkaLagReporter } from "./_kafka_lag.ts";
import { toMessages } from "./_kafka_messages.ts";
import { IngestRetryableError, SourceError } from "./errors.ts";
import type { IngestMetrics } from "./ingest_metrics.ts";
import type { Lease, MessageSource, SourceListener, SourceLogger, SourceMessage } from "./port.ts";

/** Options of {@linkcode KafkaSource}. */
export interface KafkaSourceOptions {
  /** A kafkajs client (brokers, client id, logging). */
  kafka: Kafka;
  topic: string;
  groupId: string;
  /** Most messages in one lease: partition batches merge up to it, bigger ones are cut. Default 5000. */
  maxBatch?: number;
  /** Bytes fetched per partition per request. Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** Largest decompressed size of one record batch; bigger ones are undecodable. Default 64 MiB. */
  maxDecompressedBytes?: number;
  /** Partition batches waiting for the worker at once. Default 4. */
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  /** How often the lag of the assigned partitions is measured. Default 5 s. */
  lagIntervalMs?: number;
  /** First delay before a crashed consumer is replaced; doubles up to 30 s. Default 1 s. */
  restartInitialMs?: number;
  metrics?: IngestMetrics;
  logger?: SourceLogger;
}

/** A `MessageSource` reading one topic in a consumer group. */
export class KafkaSource implements MessageSource {
  readonly kind = "kafka";
  readonly #opts: KafkaSourceOptions;
  readonly #queue = new BatchQueue();
  readonly #lag: KafkaLagReporter;
  readonly #restartBackoff: Backoff;
  readonly #resumes = new Set<ReturnType<typeof setTimeout>>();
  #consumer?: Consumer;
  #connecting?: Promise<void>;
  #restartTimer?: ReturnType<typeof setTimeout>;
  #listener?: SourceListener;
  #joined = false;
  #closed = false;

  constructor(options: KafkaSourceOptions) {
    this.#opts = options;
    this.#restartBackoff = new Backoff(options.restartInitialMs ?? 1000, 30_000);
    this.#lag = new KafkaLagReporter({
      kafka: options.kafka,
      topic: options.topic,
      groupId: options.groupId,
      metrics: options.metrics,
      intervalMs: options.lagIntervalMs,
      log: (msg) => this.#log("warn", msg),
    });
  }

  setListener(listener: SourceListener): void {
    this.#listener = listener;
  }

  /** Connects and joins; concurrent calls share one attempt, so one consumer exists at a time. */
  start(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#connecting) return this.#connecting;
    if (this.#consumer) return Promise.resolve();
    this.#connecting = this.#connect().finally(() => this.#connecting = undefined);
    return this.#connecting;
  }

  isReady(): boolean {
    return this.#consumer !== undefined && this.#joined && this.#restartTimer === undefined;
  }

  async pull(signal: AbortSignal): Promise<Lease | null> {
    while (this.#queue.size === 0) {
      if (this.#closed || signal.aborted) return null;
      await this.#queue.wait(signal);
    }
    if (this.#closed || signal.aborted) return null;
    return this.#queue.take(this.#opts.maxBatch ?? 5000);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    for (const t of this.#resumes) clearTimeout(t);
    await this.#connecting?.catch(() => {});
    // Batches not acked go back (offsets not committed), so eachBatch returns and kafkajs can leave.
    await this.#queue.nackAll(undefined, true);
    // disconnect() leaves the group at once: the partitions move without waiting for the session timeout.
    await this.#consumer?.disconnect().catch(() => {});
    this.#consumer = undefined;
    await this.#lag.close();
  }

  async #connect(): Promise<void> {
    const o = this.#opts;
    registerKafkaCodecs({
      maxDecompressedBytes: o.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
    });
    const consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3000,
      maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      // kafkajs never restarts by itself: this source replaces a crashed consumer, with backoff.
      retry: { retries: 5, restartOnFailure: () => Promise.resolve(false) },
    });
    const { GROUP_JOIN, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, (e) => {
      this.#joined = true;
      this.#restartBackoff.reset();
      this.#lag.assign(e.payload.memberAssignment[o.topic] ?? []);
      this.#listener?.recovered();
    });
    consumer.on(CRASH, (e) => {
      if (this.#consumer !== consumer || this.#closed) return;
      this.#joined = false;
      this.#crashed(e.payload.error);
    });
    this.#consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 4,
        eachBatch: (payload) => this.#eachBatch(payload),
      });
    } catch (error) {
      this.#consumer = undefined;
      await consumer.disconnect().catch(() => {});
      throw translate(error, `Cannot join Kafka group '${o.groupId}' on topic '${o.topic}'`);
    }
    if (this.#closed) {
      await consumer.disconnect().catch(() => {});
      this.#consumer = undefined;
      return;
    }
    this.#lag.start();
  }

  /** kafkajs has stopped and left the group: replace the consumer after a backoff. */
  #crashed(error: unknown): void {
    this.#listener?.failing("Kafka consumer crashed", error);
    if (this.#restartTimer || this.#closed) return;
    const delay = this.#restartBackoff.next();
    this.#log("error", `Kafka consumer crashed: ${(error as Error)?.message ?? error}`, {
      restart_in_ms: delay,
    });
    this.#restartTimer = setTimeout(() => void this.#restart(), delay);
  }

  async #restart(): Promise<void> {
    const old = this.#consumer;
    this.#consumer = undefined;
    await old?.disconnect().catch(() => {});
    // Batches fetched by the old consumer cannot be committed by the new one.
    await this.#queue.nackAll();
    this.#restartTimer = undefined;
    if (this.#closed) return;
    try {
      await this.start();
    } catch (error) {
      this.#crashed(error);
    }
  }

  /**
   * Hands the fetched batch to the worker in leases of at most `maxBatch`
   * messages (a compressed fetch can hold 100 000), one after the other,
   * committing each before the next.
   */
  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.isEmpty() || this.#closed) return;
    const all = toMessages(batch);
    const max = this.#opts.maxBatch ?? 5000;
    for (let start = 0; start < all.length && !this.#closed; start += max) {
      const messages = all.slice(start, start + max);
      const last = start + max >= all.length;
      if (!(await this.#offer(payload, messages, last))) return;
    }
  }

  /** One lease of a partition batch; false when the rest of the batch must wait (retry or nack). */
  async #offer(payload: EachBatchPayload, messages: SourceMessage[], last: boolean) {
    const { batch } = payload;
    let settled!: (s: Settlement) => void;
    const outcome = new Promise<Settlement>((r) => settled = r);
    let done!: (error?: unknown) => void;
    const committed = new Promise<void>((resolve, reject) => {
      done = (error) => error === undefined ? resolve() : reject(error);
    });
    this.#queue.push({
      messages,
      key: `${batch.topic}/${batch.partition}`,
      settle: (s) => {
        settled(s);
        return committed;
      },
    });
    // The worker may take a while (backoff while Postgres is down): keep the session alive.
    const beat = setInterval(() => payload.heartbeat().catch(() => {}), 2500);
    const s = await outcome.finally(() => clearInterval(beat));
    try {
      if (s.done >= messages.length) {
        const end = messages[messages.length - 1].meta;
        // The last lease commits past the batch's end (control records and compaction gaps too).
        const next = last ? batch.lastOffset() : end.offset_last ?? end.offset;
        await this.#commit(payload, (BigInt(next) + 1n).toString());
        done();
        return true;
      }
      const from = messages[s.done].meta.offset;
      if (s.done > 0) await this.#commit(payload, from);
      this.#consumer?.seek({ topic: batch.topic, partition: batch.partition, offset: from });
      if (s.retryInMs) this.#pauseFor(payload, s.retryInMs);
      done();
    } catch (error) {
      done(translate(error, `Cannot commit offset of ${batch.topic}/${batch.partition}`));
    }
    return false;
  }

  /** Commits `next` (the first offset not done) of the batch's partition. */
  async #commit(
    { batch, resolveOffset, commitOffsetsIfNecessary }: EachBatchPayload,
    next: string,
  ) {
    resolveOffset((BigInt(next) - 1n).toString());
    await commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
    });
  }

  /** Keeps this partition out of the fetches for `ms`; the others go on. */
  #pauseFor(payload: EachBatchPayload, ms: number): void {
    const resume = payload.pause();
    const timer = setTimeout(() => {
      this.#resumes.delete(timer);
      resume();
    }, ms);
    this.#resumes.add(timer);
  }

  #log(level: "info" | "warn" | "error", msg: string, fields: object = {}): void {
    this.#opts.logger?.(level, msg, { source: "kafka", topic: this.#opts.topic, ...fields });
  }
}

/** Broker and network failures are transient; anything else is a configuration problem. */
function translate(error: unknown, what: string): Error {
  const e = error as { name?: string; retriable?: boolean; message?: string };
  const message = `${what}: ${e?.message ?? String(error)}`;
  const transient = e?.retriable === true ||
    /Connection|NumberOfRetriesExceeded|Timeout|NotCoordinator|Rebalanc|Broker/i.test(
      e?.name ?? "",
    );
  return transient
    ? new IngestRetryableError(message, { cause: error })
    : new SourceError(message, { cause: error });
}
