/**
 * The worker loop: pull a lease from a `MessageSource`, commit it through the
 * pipeline, then ack it. Nothing is acked before the pipeline has committed;
 * when a service is down the lease is nacked and the worker backs off.
 *
 * @module
 */
import { Backoff, DeliveryTracker, sleep } from "./_delivery.ts";
import { isRetryable } from "./errors.ts";
import type { IngestMetrics } from "./metrics.ts";
import type { IngestPipeline, Lease, MessageSource, PipelineInput, SourceMessage } from "./port.ts";

/** Health of a worker, as `/ready` and `/health` report it. */
export type WorkerState = "starting" | "running" | "degraded" | "stopping" | "stopped";

/** A structured log line sink. */
export type IngestLogger = (level: "info" | "warn" | "error", msg: string, fields?: object) => void;

/** Options of {@linkcode IngestWorker}. */
export interface IngestWorkerOptions {
  source: MessageSource;
  pipeline: IngestPipeline;
  /** The feature repository source the stream carries (default: the pipeline's default source). */
  featureSource?: string;
  metrics?: IngestMetrics;
  /** First backoff delay after a retryable failure. Default 200 ms. */
  backoffInitialMs?: number;
  /** Largest backoff delay. Default 10 s. */
  backoffMaxMs?: number;
  /** Failed deliveries (processing threw, services up) before a message is dead-lettered. Default 5. */
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
  #state: WorkerState = "starting";
  #running?: Promise<void>;
  #lastError?: string;

  constructor(options: IngestWorkerOptions) {
    this.#source = options.source;
    this.#pipeline = options.pipeline;
    this.#metrics = options.metrics;
    this.#backoff = new Backoff(options.backoffInitialMs ?? 200, options.backoffMaxMs ?? 10_000);
    this.#maxDeliveries = options.maxDeliveries ?? 5;
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#log = options.logger ?? (() => {});
    this.#featureSource = options.featureSource;
  }

  /** Current state. */
  get state(): WorkerState {
    return this.#state;
  }

  /** The last failure that made the worker degraded, if any. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Starts the loop; resolves when it has stopped. Calling twice returns the same promise. */
  run(): Promise<void> {
    this.#running ??= this.#loop().finally(() => {
      this.#setState("stopped");
    });
    return this.#running;
  }

  /** Stops pulling, lets the batch in flight commit and ack, closes the source. */
  async stop(): Promise<void> {
    if (this.#state !== "stopped") this.#setState("stopping");
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
        await this.#degrade(`Cannot pull from ${this.#source.kind}`, error, signal);
        continue;
      }
      if (lease === null) continue;
      await this.#handle(lease, signal);
    }
  }

  async #startSource(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.#source.start();
        this.#setState("running");
        return;
      } catch (error) {
        if (!isRetryable(error)) throw error;
        await this.#degrade(`Cannot start ${this.#source.kind} source`, error, signal);
      }
    }
  }

  async #handle(lease: Lease, signal: AbortSignal): Promise<void> {
    const kind = this.#source.kind;
    const started = performance.now();
    let result;
    try {
      const keep = await this.#deadLetterGivenUp(lease.messages);
      result = await this.#pipeline.processBatch(keep.map((m) => toInput(m, this.#featureSource)));
    } catch (error) {
      if (isRetryable(error)) {
        this.#metrics?.batches.inc({ source: kind, result: "retryable_error" });
        await safeNack(lease, errorMessage(error));
        await this.#degrade("Cannot commit batch", error, signal);
        return;
      }
      this.#metrics?.batches.inc({ source: kind, result: "failed" });
      await this.#isolate(lease, error, signal);
      return;
    }
    // Counted once the pipeline has committed, whether or not the ack lands
    // (a lost ack only means redelivery, which the pipeline dedupes).
    this.#metrics?.messages.inc({ source: kind, outcome: "accepted" }, result.accepted);
    this.#metrics?.messages.inc({ source: kind, outcome: "duplicate" }, result.duplicate);
    this.#metrics?.messages.inc({ source: kind, outcome: "dead_lettered" }, result.dead_lettered);
    if (!(await this.#ack(lease, signal))) return;
    this.#committed(lease.messages, started);
  }

  /** Acks; a failed ack only means redelivery (deduped by the pipeline), so it is logged. */
  async #ack(lease: Lease, signal: AbortSignal): Promise<boolean> {
    try {
      await lease.ack();
      return true;
    } catch (error) {
      this.#metrics?.batches.inc({ source: this.#source.kind, result: "ack_failed" });
      if (isRetryable(error)) await this.#degrade("Cannot ack batch", error, signal);
      else this.#log("warn", `Cannot ack batch: ${errorMessage(error)}`, {});
      return false;
    }
  }

  /** A whole batch failed for a reason other than an outage: find the culprits one by one. */
  async #isolate(lease: Lease, batchError: unknown, signal: AbortSignal): Promise<void> {
    this.#log("warn", "Batch failed; retrying its messages one by one", {
      source: this.#source.kind,
      size: lease.messages.length,
      error: errorMessage(batchError),
    });
    let failed = 0;
    for (const m of lease.messages) {
      try {
        await this.#pipeline.processBatch([toInput(m, this.#featureSource)]);
      } catch (error) {
        if (isRetryable(error)) {
          await safeNack(lease, errorMessage(error));
          await this.#degrade("Cannot commit message", error, signal);
          return;
        }
        failed++;
        this.#tracker.fail(m.id, errorMessage(error));
      }
    }
    if (failed > 0) await safeNack(lease, `${failed} message(s) failed`);
    else if (await this.#ack(lease, signal)) this.#committed(lease.messages, performance.now());
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
      this.#metrics?.messages.inc({ source: this.#source.kind, outcome: "gave_up" });
    }
    return keep.length === messages.length ? messages : keep;
  }

  #committed(messages: readonly SourceMessage[], started: number): void {
    const kind = this.#source.kind;
    this.#tracker.clear(messages.map((m) => m.id));
    this.#backoff.reset();
    if (this.#state === "degraded") {
      this.#log("info", "Recovered", { source: kind });
      this.#setState("running");
    }
    this.#metrics?.batches.inc({ source: kind, result: "committed" });
    this.#metrics?.batchSeconds.observe({ source: kind }, (performance.now() - started) / 1000);
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

  async #degrade(what: string, error: unknown, signal: AbortSignal): Promise<void> {
    const delay = this.#backoff.next();
    this.#lastError = `${what}: ${errorMessage(error)}`;
    this.#log("warn", this.#lastError, { source: this.#source.kind, retry_in_ms: delay });
    if (!signal.aborted) this.#setState("degraded");
    await sleep(delay, signal);
  }

  #setState(state: WorkerState): void {
    if (this.#state === "stopping" && state !== "stopped") return;
    this.#state = state;
    this.#metrics?.degraded.set({ source: this.#source.kind }, state === "degraded" ? 1 : 0);
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
