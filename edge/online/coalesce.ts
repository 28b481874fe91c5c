/**
 * `CoalescedOnlineReader`: lookups of concurrent requests are queued and sent
 * as one read (one MGET round trip, whatever their views), flushed from a
 * `MessageChannel` message so requests that arrived in the same turn of the
 * event loop share it. Reads may overlap: a flush never waits for the
 * previous one.
 *
 * @module
 */
import type { OnlineFeatureReader, OnlineFeatures, OnlineLookup } from "./port.ts";

interface Pending {
  lookups: readonly OnlineLookup[];
  resolve: (f: OnlineFeatures[]) => void;
  reject: (e: unknown) => void;
}

/** Wraps a reader so concurrent reads share round trips. */
export class CoalescedOnlineReader implements OnlineFeatureReader {
  readonly inner: OnlineFeatureReader;
  readonly #maxKeys: number;
  #queue: Pending[] = [];
  #channel: MessageChannel | undefined;
  #scheduled = false;

  constructor(inner: OnlineFeatureReader, options: { maxKeys?: number } = {}) {
    this.inner = inner;
    this.#maxKeys = options.maxKeys ?? 1000;
  }

  get kind(): string {
    return this.inner.kind;
  }

  get inProcess(): boolean {
    return this.inner.inProcess === true;
  }

  /** Forwards the cache observer to the wrapped reader, when it has one. */
  observeCache(fn: (hits: number, misses: number) => void): void {
    (this.inner as { observeCache?: (f: typeof fn) => void }).observeCache?.(fn);
  }

  read(lookups: readonly OnlineLookup[]): Promise<OnlineFeatures[]> {
    if (lookups.length >= this.#maxKeys) return this.inner.read(lookups);
    return new Promise((resolve, reject) => {
      this.#queue.push({ lookups, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        const port = this.#port();
        ref(this.#channel!.port1, true);
        port.postMessage(null);
      }
    });
  }

  /** Closes the flush channel. */
  close(): void {
    this.#channel?.port1.close();
    this.#channel?.port2.close();
    this.#channel = undefined;
  }

  #port(): MessagePort {
    if (!this.#channel) {
      this.#channel = new MessageChannel();
      this.#channel.port1.onmessage = () => this.#flush();
    }
    return this.#channel.port2;
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#channel) ref(this.#channel.port1, false);
    const list = this.#queue;
    this.#queue = [];
    for (let start = 0; start < list.length;) {
      const group: Pending[] = [];
      let keys = 0;
      while (
        start < list.length &&
        (group.length === 0 || keys + list[start].lookups.length <= this.#maxKeys)
      ) {
        keys += list[start].lookups.length;
        group.push(list[start++]);
      }
      void this.#send(group);
    }
  }

  async #send(group: Pending[]): Promise<void> {
    try {
      const out = await this.inner.read(
        group.length === 1 ? group[0].lookups : group.flatMap((p) => p.lookups),
      );
      let o = 0;
      for (const p of group) {
        p.resolve(group.length === 1 ? out : out.slice(o, o + p.lookups.length));
        o += p.lookups.length;
      }
    } catch (error) {
      for (const p of group) p.reject(error);
    }
  }
}

function ref(port: MessagePort, on: boolean): void {
  const p = port as unknown as { ref?: () => void; unref?: () => void };
  (on ? p.ref : p.unref)?.call(port);
}
