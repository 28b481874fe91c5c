/**
 * Consumer lag of every partition assigned to this worker: the partition's
 * high watermark minus the group's committed offset, polled from the
 * brokers. Measured outside the fetch loop, so a partition that is stuck
 * (nothing fetched, a batch retried, the consumer crashed) still reports a
 * growing lag and the lag alert can fire.
 *
 * @module
 */
import type { Admin, Kafka } from "kafkajs";
import type { IngestMetrics } from "./ingest_metrics.ts";

/** Options of {@linkcode KafkaLagReporter}. */
export interface KafkaLagOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  metrics?: IngestMetrics;
  /** Poll period. Default 5 s. */
  intervalMs?: number;
  log?: (msg: string) => void;
}

/** Polls and exports `ingest_kafka_partition_lag` for the assigned partitions. */
export class KafkaLagReporter {
  readonly #o: KafkaLagOptions;
  #admin?: Admin;
  #timer?: ReturnType<typeof setInterval>;
  #assigned: number[] = [];
  #exported = new Set<number>();
  #polling?: Promise<void>;
  #failed = false;

  constructor(options: KafkaLagOptions) {
    this.#o = options;
  }

  /**
   * Partitions of the topic this worker was given. Kept after a crash until
   * the next join: while nobody consumes them they are the stuck ones.
   */
  assign(partitions: number[]): void {
    this.#assigned = [...partitions].sort((a, b) => a - b);
    this.poll();
  }

  /** Starts polling (idempotent). */
  start(): void {
    this.#timer ??= setInterval(() => this.poll(), this.#o.intervalMs ?? 5000);
  }

  /** One poll now, unless one is running; resolves when it is done. */
  poll(): Promise<void> {
    this.#polling ??= this.#poll().finally(() => this.#polling = undefined);
    return this.#polling;
  }

  async #poll(): Promise<void> {
    const gauge = this.#o.metrics?.kafkaLag;
    if (!gauge) return;
    const { topic, groupId } = this.#o;
    const assigned = this.#assigned;
    try {
      this.#admin ??= this.#o.kafka.admin();
      await this.#admin.connect();
      const [ends, committed] = await Promise.all([
        this.#admin.fetchTopicOffsets(topic),
        this.#admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const done = new Map(
        (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
      );
      for (const p of assigned) {
        const end = ends.find((e) => e.partition === p);
        if (!end) continue;
        const from = Math.max(done.get(p) ?? -1, Number(end.low));
        gauge.set({ topic, partition: String(p) }, Math.max(0, Number(end.high) - from));
        this.#exported.add(p);
      }
      for (const p of [...this.#exported]) {
        if (assigned.includes(p)) continue;
        gauge.remove({ topic, partition: String(p) });
        this.#exported.delete(p);
      }
      this.#failed = false;
    } catch (error) {
      // The last values stay exported; say once that they are getting stale.
      if (!this.#failed) this.#o.log?.(`Cannot measure Kafka lag: ${(error as Error).message}`);
      this.#failed = true;
    }
  }

  /** Stops polling and disconnects. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#polling?.catch(() => {});
    await this.#admin?.disconnect().catch(() => {});
    this.#admin = undefined;
  }
}
