/**
 * Online feature access with a deadline: reads through the reader, gives up
 * after the timeout, remembers failures for `/health`, and counts cache hits,
 * misses and feature age.
 *
 * @module
 */
import type { FeatureView } from "../pipeline/features/mod.ts";
import type { EdgeMetrics } from "./metrics.ts";
import type { OnlineFeatureReader, OnlineFeatures } from "./online/mod.ts";
import type { Logger } from "./log.ts";

/** Health of the online store as last seen. */
export interface OnlineHealth {
  status: "ok" | "degraded" | "disabled";
  kind: string;
  last_error?: string;
}

interface Waiter {
  deadline: number;
  done: boolean;
  expire: () => void;
}

/**
 * Reads online features within a deadline. Every read has the same timeout,
 * so deadlines come in arrival order: one timer, armed for the oldest
 * pending read, serves them all (a timer per request cost ~5 % of a
 * by-entity prediction's CPU under load).
 */
export class OnlineAccess {
  readonly reader: OnlineFeatureReader | null;
  readonly #timeoutMs: number;
  readonly #metrics: EdgeMetrics;
  readonly #log: Logger;
  readonly #now: () => number;
  #lastError: string | undefined;
  #waiters: Waiter[] = [];
  #pending = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: {
    reader: OnlineFeatureReader | null;
    timeoutMs: number;
    metrics: EdgeMetrics;
    logger: Logger;
    now: () => number;
  }) {
    this.reader = options.reader;
    this.#timeoutMs = options.timeoutMs;
    this.#metrics = options.metrics;
    this.#log = options.logger;
    this.#now = options.now;
  }

  /** The health of the store. */
  health(): OnlineHealth {
    if (!this.reader) return { status: "disabled", kind: "none" };
    if (this.#lastError) {
      return { status: "degraded", kind: this.reader.kind, last_error: this.#lastError };
    }
    return { status: "ok", kind: this.reader.kind };
  }

  /**
   * Features of the entities, or `null` when there is no reader or the read
   * failed or timed out (the failure is recorded; the caller falls back).
   */
  async read(
    view: FeatureView,
    entityIds: string[],
    asOfMs: number[],
    requestId?: string,
  ): Promise<OnlineFeatures[] | null> {
    if (!this.reader) return null;
    let expire!: () => void;
    const deadline = new Promise<"timeout">((resolve) => (expire = () => resolve("timeout")));
    const waiter = { deadline: performance.now() + this.#timeoutMs, done: false, expire };
    this.#waiters.push(waiter);
    this.#pending++;
    this.#arm();
    try {
      const result = await Promise.race([this.reader.read(view, entityIds, asOfMs), deadline]);
      if (result === "timeout") {
        this.#fail("timeout", `Online read timed out after ${this.#timeoutMs} ms`, requestId);
        return null;
      }
      this.#lastError = undefined;
      const now = this.#now();
      for (const f of result) {
        if (f.asOfMs !== null) {
          this.#metrics.featureAge.observe(Math.max(0, (now - f.asOfMs) / 1000));
        }
      }
      return result;
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.#fail("error", `Online read failed: ${text}`, requestId);
      return null;
    } finally {
      this.#settle(waiter);
    }
  }

  /** Marks a read finished; with none left pending the timer is cleared. */
  #settle(w: Waiter): void {
    if (w.done) return;
    w.done = true;
    if (--this.#pending === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#waiters = [];
    }
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const first = this.#waiters.find((w) => !w.done);
    if (!first) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      let i = 0;
      for (; i < this.#waiters.length; i++) {
        const w = this.#waiters[i];
        if (w.done) continue;
        if (w.deadline > now) break;
        w.expire();
        this.#settle(w);
      }
      this.#waiters = this.#waiters.slice(i);
      this.#arm();
    }, Math.max(0, first.deadline - performance.now()));
  }

  #fail(reason: string, message: string, requestId?: string): void {
    this.#lastError = message;
    this.#metrics.inc(this.#metrics.onlineErrors, [reason]);
    this.#log.log("warn", message, { request_id: requestId, store: this.reader?.kind });
  }
}
