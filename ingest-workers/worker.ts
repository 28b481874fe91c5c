/**
 * The worker loop: pull a lease from a `MessageSource`, commit it through the
 * pipeline, then ack it. Nothing is acked before the pipeline has committed;
 * when a service is down the lease is nacked and the worker backs off.
 *
 * @module
 */
import { Backoff, DeliveryTracker, sleep } from "./_delivery.ts";
import { isRetryable } from "./errors.ts";
import type { IngestMetrics } from "./ingest_metrics.ts";
import type {
  IngestPipeline,
  Lease,
  MessageSource,
  PipelineInput,
  SourceLogger,
  SourceMessage,
} from "./port.ts";

/** Health of a worker, as `/ready` and `/health` report it. */
export type WorkerState = "starting" | "running" | "degraded" | "stopping" | "stopped";

type Phase = "starting" | "running" | "stopping" | "stopped";

/** A structured log line sink. */
export type IngestLogger = SourceLogger;

/** Options of {@linkcode IngestWorker}. */
export interface IngestWorkerOptions {
  source: MessageSource;
  pipeline: IngestPipeline;
  /** The feature repository source the stream carries (default: the pipeline's default source). */
  featureSource?: string;
  metrics?: IngestMetrics;
  /** First backoff delay after a failure (outage or failing message). Default 200 ms. */
  backoffInitialMs?: number;
  /** Largest backoff delay. Default 10 s. */
  backoffMaxMs?: number;
  /**
   * Failed deliveries (processing threw with services up, or the source could
   * not decode it) before a message is dead-lettered. Default 5.
   */
  maxDeliveries?: number;
  /**
   * Leases processed at once. Default 1. Only for sources whose concurrent
   * leases hold disjoint entities (Kafka partitions and Kinesis shards keyed
   * by user id), since the pipeline does not serialize one entity's updates
   * across concurrent batches.
   */
  concurrency?: number;
  logger?: IngestLogger;
}

/** Pulls, commits through the pipeline, acks; stops cleanly on `stop()`. */
export class IngestWorker {
  readonly #source: MessageSource;
  readonly #pipeline: IngestPipeline;
  readonly #metrics?: IngestMetrics;
  readonly #backoff: Backoff;
  readonly #tracker = new DeliveryTracker();
  readonly #maxDeliveries: number;
  readonly #concurrency: number;
  readonly #log: IngestLogger;
  readonly #featureSource?: string;
  readonly #abort = new AbortController();
  readonly #retryDelays: Backoff;
  /** Messages waiting for a retry, with when the wait is over (plus slack). */
  readonly #retrying = new Map<string, number>();
  #phase: Phase = "starting";
  /** What the worker is backing off from, if anything; cleared when that step succeeds. */
  #backingOff?: "start" | "pull" | "commit";
  #sourceFailure?: string;
  #running?: Promise<void>;
  #lastError?: string;

  constructor(options: IngestWorkerOptions) {
    this.#source = options.source;
    this.#pipeline = options.pipeline;
    this.#metrics = options.metrics;
    const initial = options.backoffInitialMs ?? 200;
    const max = options.backoffMaxMs ?? 10_000;
    this.#backoff = new Backoff(initial, max);
    this.#retryDelays = new Backoff(initial, max);
    this.#maxDeliveries = options.maxDeliveries ?? 5;
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#log = options.logger ?? (() => {});
    this.#featureSource = options.featureSource;
    this.#source.setListener?.({
      failing: (what, error) => {
        this.#sourceFailure = `${what}: ${errorMessage(error)}`;
        this.#lastError = this.#sourceFailure;
        this.#refresh();
      },
      recovered: () => {
        if (this.#sourceFailure) {
          this.#log("info", "Source recovered", { source: this.#source.kind });
        }
        this.#sourceFailure = undefined;
        this.#refresh();
      },
    });
  }

  /** Current state: `degraded` while backing off, while the source fails or a message is retried. */
  get state(): WorkerState {
    if (this.#phase !== "running") return this.#phase;
    return this.#isDegraded() ? "degraded" : "running";
  }

  /** The last failure that made the worker degraded, if any. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Starts the loop; resolves when it has stopped. Calling twice returns the same promise. */
  run(): Promise<void> {
    this.#running ??= this.#loop().finally(() => {
      this.#setPhase("stopped");
    });
    return this.#running;
  }

  /** Stops pulling, lets the batch in flight commit and ack, closes the source. */
  async stop(): Promise<void> {
    if (this.#phase !== "stopped") this.#setPhase("stopping");
    this.#abort.abort();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    try {
      await this.#startSource(signal);
      await Promise.all(Array.from({ length: this.#concurrency }, () => this.#pullLoop(signal)));
    } finally {
      await this.#source.close();
    }
  }

  async #pullLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let lease: Lease | null;
      try {
        lease = await this.#source.pull(signal);
      } catch (error) {
        if (!isRetryable(error)) throw error;
        await this.#degrade("pull", `Cannot pull from ${this.#source.kind}`, error, signal);
        continue;
      }
      if (this.#backingOff === "pull") this.#recovered();
      if (lease === null) continue;
      await this.#handle(lease, signal);
    }
  }

  async #startSource(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#source.start();
        this.#setPhase("running");
        if (this.#backingOff === "start") this.#recovered();
        return;
      } catch (error) {
        if (!isRetryable(error)) throw error;
        this.#setPhase("running");
        await this.#degrade("start", `Cannot start ${this.#source.kind} source`, error, signal);
      }
    }
  }

  async #handle(lease: Lease, signal: AbortSignal): Promise<void> {
    const kind = this.#source.kind;
    const started = performance.now();
    const failed = new Map<string, string>();
    let result;
    let good: readonly SourceMessage[] = lease.messages;
    try {
      const keep = await this.#deadLetterGivenUp(lease.messages);
      for (const m of keep) if (m.undecodable !== undefined) failed.set(m.id, m.undecodable);
      good = failed.size > 0 ? keep.filter((m) => !failed.has(m.id)) : keep;
      result = await this.#pipeline.processBatch(good.map((m) => toInput(m, this.#featureSource)));
    } catch (error) {
      if (isRetryable(error)) {
        this.#metrics?.batches.inc({ source: kind, result: "retryable_error" });
        await safeNack(lease, errorMessage(error));
        await this.#degrade("commit", "Cannot commit batch", error, signal);
        return;
      }
      this.#metrics?.batches.inc({ source: kind, result: "failed" });
      if (!(await this.#isolate(lease, good, failed, error, signal))) return;
    }
    if (result) this.#count(result);
    if (failed.size > 0) return this.#retryLater(lease, failed);
    if (!(await this.#ack(lease, signal))) return;
    this.#committed(lease.messages, started);
  }

  #count(result: { accepted: number; duplicate: number; dead_lettered: number }): void {
    // Counted once the pipeline has committed, whether or not the ack lands
    // (a lost ack only means redelivery, which the pipeline dedupes).
    const source = this.#source.kind;
    this.#metrics?.messages.inc({ source, outcome: "accepted" }, result.accepted);
    this.#metrics?.messages.inc({ source, outcome: "duplicate" }, result.duplicate);
    this.#metrics?.messages.inc({ source, outcome: "dead_lettered" }, result.dead_lettered);
  }

  /** Acks; a failed ack only means redelivery (deduped by the pipeline), so it is logged. */
  async #ack(lease: Lease, signal: AbortSignal): Promise<boolean> {
    try {
      await lease.ack();
      return true;
    } catch (error) {
      this.#metrics?.batches.inc({ source: this.#source.kind, result: "ack_failed" });
      if (isRetryable(error)) await this.#degrade("commit", "Cannot ack batch", error, signal);
      else this.#log("error", `Cannot ack batch: ${errorMessage(error)}`, {});
      return false;
    }
  }

  /**
   * A whole batch failed for a reason other than an outage: commit its
   * messages one by one and note the culprits in `failed`. False when an
   * outage interrupted (the lease is then nacked).
   */
  async #isolate(
    lease: Lease,
    messages: readonly SourceMessage[],
    failed: Map<string, string>,
    batchError: unknown,
    signal: AbortSignal,
  ): Promise<boolean> {
    this.#log("error", "Batch failed; retrying its messages one by one", {
      source: this.#source.kind,
      size: messages.length,
      error: errorMessage(batchError),
    });
    for (const m of messages) {
      try {
        this.#count(await this.#pipeline.processBatch([toInput(m, this.#featureSource)]));
      } catch (error) {
        if (isRetryable(error)) {
          await safeNack(lease, errorMessage(error));
          await this.#degrade("commit", "Cannot commit message", error, signal);
          return false;
        }
        failed.set(m.id, errorMessage(error));
      }
    }
    return true;
  }

  /**
   * Some messages failed: count the delivery, commit the rest, and have the
   * source bring the failed ones back after a backoff (their partition or
   * shard waits; the others go on).
   */
  async #retryLater(lease: Lease, failed: Map<string, string>): Promise<void> {
    let attempts = 0;
    for (const [id, reason] of failed) {
      this.#tracker.fail(id, reason);
      attempts = Math.max(attempts, this.#tracker.get(id)?.count ?? 0);
    }
    const delay = this.#retryDelays.nth(attempts);
    const [firstId, reason] = failed.entries().next().value!;
    this.#lastError = `Cannot process ${failed.size} ${this.#source.kind} message(s) (${firstId}` +
      `${failed.size > 1 ? ", ..." : ""}): ${reason}`;
    this.#log("error", this.#lastError, {
      source: this.#source.kind,
      delivery: attempts,
      max_deliveries: this.#maxDeliveries,
      retry_in_ms: delay,
    });
    const until = Date.now() + delay + 60_000;
    for (const id of failed.keys()) this.#retrying.set(id, until);
    this.#refresh();
    const ids = new Set(failed.keys());
    if (lease.retry) await lease.retry(ids, reason, delay).catch(() => {});
    else await safeNack(lease, reason);
    const done = lease.messages.filter((m) => !ids.has(m.id));
    this.#committed(done, performance.now(), false);
  }

  async #deadLetterGivenUp(messages: readonly SourceMessage[]): Promise<readonly SourceMessage[]> {
    const keep: SourceMessage[] = [];
    for (const m of messages) {
      const failures = this.#tracker.get(m.id);
      if (!failures || failures.count < this.#maxDeliveries) {
        keep.push(m);
        continue;
      }
      const reason = `Gave up after ${failures.count} failed deliveries: ${failures.reason}`;
      await this.#pipeline.deadLetter(
        m.payload,
        reason,
        { ...m.meta, message_id: m.id },
        this.#featureSource,
      );
      this.#log("error", `Dead-lettered ${m.id}: ${reason}`, { source: this.#source.kind });
      this.#metrics?.messages.inc({ source: this.#source.kind, outcome: "gave_up" });
      this.#tracker.clear([m.id]);
      this.#retrying.delete(m.id);
    }
    return keep.length === messages.length ? messages : keep;
  }

  #committed(messages: readonly SourceMessage[], started: number, whole = true): void {
    const kind = this.#source.kind;
    this.#tracker.clear(messages.map((m) => m.id));
    if (this.#retrying.size > 0) { for (const m of messages) this.#retrying.delete(m.id); }
    if (whole) {
      if (this.#backingOff) this.#recovered();
      this.#metrics?.batches.inc({ source: kind, result: "committed" });
      this.#metrics?.batchSeconds.observe({ source: kind }, (performance.now() - started) / 1000);
    }
    this.#refresh();
    const now = Date.now();
    const fresh = this.#metrics?.freshnessSeconds;
    if (fresh) {
      for (const m of messages) {
        if (m.producedAtMs) {
          fresh.observe({ source: kind }, Math.max(0, now - m.producedAtMs) / 1000);
        }
      }
    }
  }

  async #degrade(
    step: "start" | "pull" | "commit",
    what: string,
    error: unknown,
    signal: AbortSignal,
  ): Promise<void> {
    const delay = this.#backoff.next();
    this.#lastError = `${what}: ${errorMessage(error)}`;
    this.#log("error", this.#lastError, { source: this.#source.kind, retry_in_ms: delay });
    if (!signal.aborted) {
      this.#backingOff = step;
      this.#refresh();
    }
    await sleep(delay, signal);
  }

  #recovered(): void {
    this.#backoff.reset();
    this.#backingOff = undefined;
    this.#log("info", "Recovered", { source: this.#source.kind });
    this.#refresh();
  }

  #isDegraded(): boolean {
    if (this.#backingOff !== undefined || this.#sourceFailure !== undefined) return true;
    if (this.#retrying.size === 0) return false;
    const now = Date.now();
    for (const [id, until] of this.#retrying) if (until < now) this.#retrying.delete(id);
    return this.#retrying.size > 0;
  }

  #setPhase(phase: Phase): void {
    if (this.#phase === "stopping" && phase !== "stopped") return;
    this.#phase = phase;
    this.#refresh();
  }

  #refresh(): void {
    this.#metrics?.degraded.set({ source: this.#source.kind }, this.state === "degraded" ? 1 : 0);
  }
}

function toInput(m: SourceMessage, source: string | undefined): PipelineInput {
  const input: PipelineInput = { payload: m.payload, meta: { ...m.meta, message_id: m.id } };
  if (source !== undefined) input.source = source;
  return input;
}

async function safeNack(lease: Lease, reason: string): Promise<void> {
  try {
    await lease.nack(reason);
  } catch {
    // The source redelivers from its last commit anyway; the pipeline dedupes.
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
