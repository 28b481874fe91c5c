/**
 * Per-variant rollout counters, the evidence the registry's canary
 * controller reads: one Redis hash per model, variant and 10-second bucket
 * at `redisKeys.rolloutCounters(model, variant, floor(epoch_s / 10))` with
 * fields `requests`, `errors`, `latency_sum_us`, per-bucket latency counts
 * `le_0.5` … `le_inf` (milliseconds; each request counts in one bucket, not
 * cumulative), `shadow_compared` and `shadow_disagreed`; TTL one hour.
 *
 * Counts accumulate in memory and are flushed in one batch at most once a
 * second.
 *
 * @module
 */
import type { Redis } from "@upstash/redis";
import { redisKeys, rolloutCounters } from "../schemas/pointer.ts";

/** Latency bucket upper bounds in ms, and their field names. */
export const LATENCY_FIELDS = rolloutCounters.latencyFields;
/** Seconds a bucket hash lives. */
export const ROLLOUT_TTL_SECONDS = rolloutCounters.ttlSeconds;
/** Bucket width in seconds. */
export const ROLLOUT_BUCKET_SECONDS = rolloutCounters.bucketSeconds;

/** Where counter increments go: one batch per flush. */
export interface RolloutSink {
  write(increments: { key: string; fields: Record<string, number> }[]): Promise<void>;
}

/** A sink writing HINCRBY + EXPIRE in one Upstash pipeline. */
export class UpstashRolloutSink implements RolloutSink {
  readonly #redis: Pick<Redis, "pipeline">;
  constructor(redis: Pick<Redis, "pipeline">) {
    this.#redis = redis;
  }
  async write(increments: { key: string; fields: Record<string, number> }[]): Promise<void> {
    if (increments.length === 0) return;
    const p = this.#redis.pipeline();
    for (const { key, fields } of increments) {
      for (const [field, by] of Object.entries(fields)) p.hincrby(key, field, by);
      p.expire(key, ROLLOUT_TTL_SECONDS);
    }
    await p.exec();
  }
}

/** Where in-process counters go: a store with HINCRBY-like hashes and an expiry. */
export interface HashCounterStore {
  hincrby(key: string, fields: Record<string, number>, ttlSeconds?: number): void;
}

/**
 * A sink adding to an in-process store (the embedded platform's registry
 * store, which its model operations read back for `model:status`).
 */
export class MemoryRolloutSink implements RolloutSink {
  readonly #store: HashCounterStore;
  constructor(store: HashCounterStore) {
    this.#store = store;
  }
  write(increments: { key: string; fields: Record<string, number> }[]): Promise<void> {
    for (const { key, fields } of increments) {
      this.#store.hincrby(key, fields, ROLLOUT_TTL_SECONDS);
    }
    return Promise.resolve();
  }
}

/** Options of {@linkcode RolloutCounters}. */
export interface RolloutCountersOptions {
  sink: RolloutSink;
  /** Epoch ms clock. */
  now?: () => number;
  /** Least time between flushes (ms, default 1000). */
  flushIntervalMs?: number;
  /** Called when a flush fails (the counts are kept for the next one). */
  onError?: (error: unknown) => void;
}

/** Accumulates rollout counts and flushes them in batches. */
export class RolloutCounters {
  readonly #sink: RolloutSink;
  readonly #now: () => number;
  readonly #interval: number;
  readonly #onError?: (error: unknown) => void;
  #pending = new Map<string, Record<string, number>>();
  #lastFlush = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> | undefined;

  constructor(options: RolloutCountersOptions) {
    this.#sink = options.sink;
    this.#now = options.now ?? Date.now;
    this.#interval = options.flushIntervalMs ?? 1000;
    this.#onError = options.onError;
  }

  /** Counts one served request of `variant`. */
  record(model: string, variant: string, latencyMs: number, error: boolean): void {
    const f = this.#fields(model, variant);
    f.requests = (f.requests ?? 0) + 1;
    if (error) f.errors = (f.errors ?? 0) + 1;
    f.latency_sum_us = (f.latency_sum_us ?? 0) + Math.round(latencyMs * 1000);
    for (const [le, name] of LATENCY_FIELDS) {
      if (latencyMs <= le) {
        f[name] = (f[name] ?? 0) + 1;
        break;
      }
    }
    this.#schedule();
  }

  /** Counts one shadow comparison of `variant` against the served answer. */
  shadow(model: string, variant: string, disagreed: boolean): void {
    const f = this.#fields(model, variant);
    f.shadow_compared = (f.shadow_compared ?? 0) + 1;
    if (disagreed) f.shadow_disagreed = (f.shadow_disagreed ?? 0) + 1;
    this.#schedule();
  }

  /** Writes pending counts now. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    if (batch.size === 0) return Promise.resolve();
    this.#pending = new Map();
    this.#lastFlush = this.#now();
    const increments = [...batch].map(([key, fields]) => ({ key, fields }));
    this.#flushing = this.#sink.write(increments).catch((error) => {
      // Keep the counts: they are added to the next batch.
      for (const { key, fields } of increments) {
        const f = this.#pending.get(key) ?? {};
        for (const [k, v] of Object.entries(fields)) f[k] = (f[k] ?? 0) + v;
        this.#pending.set(key, f);
      }
      this.#onError?.(error);
      this.#schedule();
    }).finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  /** Stops the timer and flushes. */
  async close(): Promise<void> {
    await this.#flushing;
    await this.flush();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fields(model: string, variant: string): Record<string, number> {
    const bucket = Math.floor(this.#now() / 1000 / ROLLOUT_BUCKET_SECONDS);
    const key = redisKeys.rolloutCounters(model, variant, bucket);
    let f = this.#pending.get(key);
    if (!f) {
      f = {};
      this.#pending.set(key, f);
    }
    return f;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const wait = Math.max(0, this.#lastFlush + this.#interval - this.#now());
    const timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, wait);
    Deno.unrefTimer(timer as unknown as number);
    this.#timer = timer;
  }
}
