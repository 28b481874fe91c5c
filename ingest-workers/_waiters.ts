/**
 * Pullers parked until something arrives: the sources' `pull()` waits here
 * and whatever brings messages (a fetch, a nack, close) wakes them.
 *
 * @module
 */

/** A set of parked pullers. */
export class Waiters {
  #waiters: (() => void)[] = [];

  /** Waits until `wake()` is called or `signal` aborts. */
  wait(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#waiters.push(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Wakes every parked puller. */
  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
