/**
 * The hand-over between a backend's fetch loops (one per partition or
 * shard) and the worker's `pull()`: fetched batches wait here, several are
 * merged into one lease, and every batch is settled exactly once, by the
 * worker or, at close, by a nack.
 *
 * @module
 */
import type { Lease, SourceMessage } from "./port.ts";
import { Waiters } from "./_waiters.ts";

/**
 * How a fetched batch ends: its first `done` messages are committed; the
 * rest (none when `done` is the batch size) is delivered again, not before
 * `retryInMs`.
 */
export interface Settlement {
  done: number;
  retryInMs?: number;
}

/** A fetched batch; `settle` resolves once its offset / checkpoint is committed. */
export interface PendingBatch {
  messages: SourceMessage[];
  /** Which partition or shard it came from. */
  key: string;
  settle(outcome: Settlement): Promise<void>;
}

/** Waiting and leased batches of one source. */
export class BatchQueue {
  #waiting: PendingBatch[] = [];
  readonly #leased = new Set<PendingBatch>();
  readonly #waiters = new Waiters();

  /** Batches waiting to be leased. */
  get size(): number {
    return this.#waiting.length;
  }

  /** Adds a fetched batch and wakes a puller. */
  push(batch: PendingBatch): void {
    this.#waiting.push(batch);
    this.wake();
  }

  /** Merges waiting batches (at least one, at most `max` messages unless one is bigger). */
  take(max: number): Lease | null {
    if (this.#waiting.length === 0) return null;
    const taken = [this.#waiting.shift()!];
    let size = taken[0].messages.length;
    while (this.#waiting.length > 0 && size + this.#waiting[0].messages.length <= max) {
      size += this.#waiting[0].messages.length;
      taken.push(this.#waiting.shift()!);
    }
    for (const t of taken) this.#leased.add(t);
    const settle = async (outcome: (b: PendingBatch) => Settlement) => {
      const mine = taken.filter((t) => this.#leased.delete(t));
      await Promise.all(mine.map((t) => t.settle(outcome(t))));
    };
    return {
      messages: taken.length === 1 ? taken[0].messages : taken.flatMap((t) => t.messages),
      ack: () => settle((b) => ({ done: b.messages.length })),
      nack: () => settle(() => ({ done: 0 })),
      retry: (failed, _reason, retryInMs) =>
        settle((b) => {
          const i = b.messages.findIndex((m) => failed.has(m.id));
          return i < 0 ? { done: b.messages.length } : { done: i, retryInMs };
        }),
    };
  }

  /** Nacks waiting batches of `key` (a lost partition or shard), or all with no key, and leased ones too when `all`. */
  async nackAll(key?: string, leasedToo = false): Promise<void> {
    const match = (b: PendingBatch) => key === undefined || b.key === key;
    const drop = this.#waiting.filter(match);
    this.#waiting = this.#waiting.filter((b) => !match(b));
    if (leasedToo) {
      for (const b of this.#leased) {
        if (match(b)) {
          this.#leased.delete(b);
          drop.push(b);
        }
      }
    }
    await Promise.all(drop.map((b) => b.settle({ done: 0 }).catch(() => {})));
    this.wake();
  }

  /** Waits until something is pushed, `wake()` is called or `signal` aborts. */
  wait(signal: AbortSignal): Promise<void> {
    return this.#waiters.wait(signal);
  }

  /** Wakes every waiting puller. */
  wake(): void {
    this.#waiters.wake();
  }
}
