/**
 * Kafka source over a kafkajs consumer group. Each fetched partition batch
 * waits inside `eachBatch` until the worker acks it; the offset is then
 * resolved and committed before `eachBatch` returns, so commits are flushed
 * before kafkajs can give the partition away in a rebalance.
 *
 * @module
 */
import type { Batch, Consumer, EachBatchPayload, Kafka } from "kafkajs";
import { IngestRetryableError, SourceError } from "./errors.ts";
import type { IngestMetrics } from "./metrics.ts";
import type { Lease, MessageSource, SourceMessage } from "./port.ts";
import { BatchQueue } from "./_batch_queue.ts";

/** Options of {@linkcode KafkaSource}. */
export interface KafkaSourceOptions {
  /** A kafkajs client (brokers, client id, logging). */
  kafka: Kafka;
  topic: string;
  groupId: string;
  /** Most messages merged into one lease (whole partition batches). Default 5000. */
  maxBatch?: number;
  /** Bytes fetched per partition per request. Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** Partition batches waiting for the worker at once. Default 4. */
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  metrics?: IngestMetrics;
}

/** A `MessageSource` reading one topic in a consumer group. */
export class KafkaSource implements MessageSource {
  readonly kind = "kafka";
  readonly #opts: KafkaSourceOptions;
  #consumer?: Consumer;
  readonly #queue = new BatchQueue();
  #joined = false;
  #crash?: Error;
  #closed = false;

  constructor(options: KafkaSourceOptions) {
    this.#opts = options;
  }

  async start(): Promise<void> {
    if (this.#consumer) return;
    const o = this.#opts;
    const consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3000,
      maxBytesPerPartition: o.maxBytesPerPartition ?? 1_048_576,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      retry: { retries: 5 },
    });
    const { GROUP_JOIN, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, () => this.#joined = true);
    consumer.on(CRASH, (e) => {
      this.#joined = false;
      if (!e.payload.restart) this.#crash = e.payload.error;
      this.#queue.wake();
    });
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
      await consumer.disconnect().catch(() => {});
      throw translate(error, `Cannot join Kafka group '${o.groupId}' on topic '${o.topic}'`);
    }
    this.#consumer = consumer;
  }

  isReady(): boolean {
    return this.#consumer !== undefined && this.#joined && !this.#crash;
  }

  async pull(signal: AbortSignal): Promise<Lease | null> {
    while (this.#queue.size === 0) {
      if (this.#closed || signal.aborted) return null;
      if (this.#crash) await this.#restart();
      await this.#queue.wait(signal);
    }
    if (this.#closed || signal.aborted) return null;
    return this.#queue.take(this.#opts.maxBatch ?? 5000);
  }

  async close(): Promise<void> {
    this.#closed = true;
    // Batches not acked go back (offsets not committed), so eachBatch returns and kafkajs can leave.
    await this.#queue.nackAll(undefined, true);
    await this.#consumer?.disconnect().catch(() => {});
    this.#consumer = undefined;
  }

  async #restart(): Promise<void> {
    const crash = this.#crash;
    await this.#consumer?.disconnect().catch(() => {});
    this.#consumer = undefined;
    this.#crash = undefined;
    try {
      await this.start();
    } catch (error) {
      this.#crash = crash;
      throw error;
    }
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.isEmpty() || this.#closed) return;
    this.#opts.metrics?.kafkaLag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Number(batch.offsetLag()),
    );
    let settled!: (ok: boolean) => void;
    const outcome = new Promise<boolean>((r) => settled = r);
    let done!: (error?: unknown) => void;
    const committed = new Promise<void>((resolve, reject) => {
      done = (error) => error === undefined ? resolve() : reject(error);
    });
    this.#queue.push({
      messages: toMessages(batch),
      key: `${batch.topic}/${batch.partition}`,
      settle: (ok) => {
        settled(ok);
        return committed;
      },
    });
    // The worker may take a while (backoff while Postgres is down): keep the session alive.
    const beat = setInterval(() => payload.heartbeat().catch(() => {}), 2500);
    const ok = await outcome.finally(() => clearInterval(beat));
    try {
      if (ok) await this.#commit(payload);
      else {this.#consumer?.seek({
          topic: batch.topic,
          partition: batch.partition,
          offset: batch.firstOffset()!,
        });}
      done();
    } catch (error) {
      done(translate(error, `Cannot commit offset of ${batch.topic}/${batch.partition}`));
    }
  }

  async #commit({ batch, resolveOffset, commitOffsetsIfNecessary }: EachBatchPayload) {
    const last = batch.lastOffset();
    resolveOffset(last);
    const next = (BigInt(last) + 1n).toString();
    await commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
    });
  }
}

function toMessages(batch: Batch): SourceMessage[] {
  const meta = { source: "kafka", topic: batch.topic, partition: String(batch.partition) };
  return batch.messages.map((m) => ({
    payload: m.value ?? new Uint8Array(),
    id: `${batch.topic}/${batch.partition}/${m.offset}`,
    meta: { ...meta, offset: m.offset },
    producedAtMs: Number(m.timestamp) || undefined,
  }));
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
