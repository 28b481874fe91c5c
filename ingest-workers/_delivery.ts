/**
 * Counts failed deliveries per message id so a message that keeps failing
 * (not because a service is down, but because processing it throws) is
 * dead-lettered after N tries instead of blocking its partition forever.
 *
 * @module
 */

/** Failed deliveries of messages by id, bounded in size. */
export class DeliveryTracker {
  readonly #max: number;
  readonly #failures = new Map<string, { count: number; reason: string }>();

  constructor(maxEntries = 100_000) {
    this.#max = maxEntries;
  }

  /** Records one failed delivery of `id`. */
  fail(id: string, reason: string): void {
    const prev = this.#failures.get(id);
    this.#failures.delete(id);
    this.#failures.set(id, { count: (prev?.count ?? 0) + 1, reason });
    if (this.#failures.size > this.#max) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }

  /** Failed deliveries of `id` so far and the last reason. */
  get(id: string): { count: number; reason: string } | undefined {
    return this.#failures.get(id);
  }

  /** Forgets `ids` once they were committed. */
  clear(ids: Iterable<string>): void {
    if (this.#failures.size === 0) return;
    for (const id of ids) this.#failures.delete(id);
  }
}

/** Capped exponential backoff with full jitter. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  #attempt = 0;

  constructor(initialMs: number, maxMs: number) {
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
  }

  /** Delay before the next retry; grows until `maxMs`. */
  next(): number {
    const cap = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(cap / 2 + Math.random() * cap / 2);
  }

  /** Delay before the `n`-th retry (1-based), without touching this backoff's own count. */
  nth(n: number): number {
    const cap = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(30, Math.max(0, n - 1)));
    return Math.round(cap / 2 + Math.random() * cap / 2);
  }

  /** Back to the initial delay after a success. */
  reset(): void {
    this.#attempt = 0;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
