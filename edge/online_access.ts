/**
 * Online feature access with a deadline: reads through the reader, gives up
 * after the timeout, remembers failures for `/health`, and counts cache hits,
 * misses and feature age.
 *
 * @module
 */
import type { EdgeMetrics } from "./metrics.ts";
import type { OnlineFeatureReader, OnlineFeatures, OnlineLookup } from "./online/mod.ts";
import type { Logger } from "./log.ts";

/** Health of the online store as last seen. */
export interface OnlineHealth {
  status: "ok" | "degraded" | "disabled";
  kind: string;
  last_error?: string;
}

interface Waiter {
  deadline: number;
  /**
   * Ends the read with a timeout, given how late (ms) past its deadline the
   * timer ran; `null` once the read settled, so nothing is kept.
   */
  expire: ((lateMs: number) => void) | null;
}

/**
 * A timer this much later than its deadline means the thread was busy
 * (the timer could not run), not that the store was slow: a read whose
 * answer may have arrived in time is not blamed on the store.
 */
const BUSY_LATE_MS = 10;

/**
 * Reads online features within a deadline. Every read has the same timeout,
 * so deadlines come in arrival order: one timer, armed for the oldest
 * pending read, serves them all (a timer per request cost ~5 % of a
 * by-entity prediction's CPU under load). A settled read drops its waiter's
 * callback at once and the queue's settled head is cut off as reads finish:
 * waiters that kept their read's promise (and through it the features it
 * returned) until the next timeout survived into V8's old generation.
 *
 * A reader that answers from this process's memory (`inProcess`) has no
 * deadline: it cannot wait on I/O, so a "timeout" could only ever mean the
 * event loop was busy, and the read returns as soon as the loop turns. A
 * timeout that does fire is counted and logged with the store's kind and
 * why: `timeout` (no answer within the deadline) or `event_loop_blocked`
 * (the timer itself ran late: the thread was busy past the deadline).
 */
export class OnlineAccess {
  readonly reader: OnlineFeatureReader | null;
  readonly #timeoutMs: number;
  readonly #metrics: EdgeMetrics;
  readonly #log: Logger;
  readonly #now: () => number;
  #lastError: string | undefined;
  #waiters: Waiter[] = [];
  /** Index of the oldest waiter that may still be pending. */
  #head = 0;
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
   * Features of the lookups (one round trip), or `null` when there is no
   * reader or the read failed or timed out (the failure is recorded; the
   * caller falls back).
   */
  async read(
    lookups: readonly OnlineLookup[],
    requestId?: string,
  ): Promise<OnlineFeatures[] | null> {
    const reader = this.reader;
    if (!reader) return null;
    const waiter: Waiter = { deadline: performance.now() + this.#timeoutMs, expire: null };
    try {
      const result = reader.inProcess
        ? await reader.read(lookups)
        : await new Promise<OnlineFeatures[] | { lateMs: number }>((resolve, reject) => {
          waiter.expire = (lateMs) => resolve({ lateMs });
          this.#enqueue(waiter);
          reader.read(lookups).then(resolve, reject);
        });
      if (!Array.isArray(result)) {
        this.#timedOut(reader.kind, result.lateMs, requestId);
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

  #enqueue(w: Waiter): void {
    if (this.#head >= 64 && this.#head * 2 >= this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
    this.#waiters.push(w);
    this.#pending++;
    this.#arm();
  }

  /** Marks a read finished; with none left pending the timer is cleared. */
  #settle(w: Waiter): void {
    if (w.expire === null) return;
    w.expire = null;
    if (--this.#pending === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#waiters = [];
      this.#head = 0;
      return;
    }
    const list = this.#waiters;
    while (this.#head < list.length && list[this.#head].expire === null) this.#head++;
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#pending === 0) return;
    const first = this.#waiters[this.#head];
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      const list = this.#waiters;
      const expired: [(lateMs: number) => void, number][] = [];
      for (let i = this.#head; i < list.length; i++) {
        const w = list[i];
        if (w.expire === null) continue;
        if (w.deadline > now) break;
        expired.push([w.expire, now - w.deadline]);
        this.#settle(w);
      }
      for (const [expire, lateMs] of expired) expire(lateMs);
      this.#arm();
    }, Math.max(0, first.deadline - performance.now()));
  }

  #timedOut(store: string, lateMs: number, requestId?: string): void {
    const t = this.#timeoutMs;
    if (lateMs >= BUSY_LATE_MS) {
      const late = Math.round(lateMs);
      this.#fail(
        "event_loop_blocked",
        `Online read from '${store}' given up after ${t + late} ms: this thread was busy ` +
          `${late} ms past the ${t} ms deadline, so the store may have answered in time`,
        requestId,
      );
    } else {
      this.#fail(
        "timeout",
        `Online read from '${store}' timed out: no answer within ${t} ms`,
        requestId,
      );
    }
  }

  #fail(reason: string, message: string, requestId?: string): void {
    const store = this.reader?.kind ?? "none";
    this.#lastError = message;
    this.#metrics.inc(this.#metrics.onlineErrors, [store, reason]);
    this.#log.log("warn", message, { request_id: requestId, store, reason });
  }
}
