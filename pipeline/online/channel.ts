/**
 * The online cache of another thread, reached through an asynchronous
 * channel (for example `postMessage` RPC to a Web Worker's parent). The
 * embedded platform runs the pipeline in a worker and keeps the in-memory
 * cache on the serving thread, so `/predict` reads it without crossing
 * threads and the pipeline writes it through this adapter. Keys and values
 * cross as opaque strings: the adapter knows nothing of their format.
 *
 * @module
 */
import { RetryableError } from "../errors.ts";
import type { CacheEntry, CasEntry, OnlineCache } from "./port.ts";

/** The calls the thread holding the cache answers: the data operations of `OnlineCache`. */
export type OnlineCacheCalls = Pick<
  OnlineCache,
  "getMany" | "setMany" | "compareAndSetMany" | "deleteMany"
>;

/**
 * `OnlineCache` over a channel to the thread that holds the data. The
 * atomicity of `compareAndSetMany` is the remote cache's (the memory cache
 * reads and writes in one synchronous step). `close()` detaches this side
 * only: the remote cache stays open for its owner.
 */
export class ChannelOnlineCache implements OnlineCache {
  readonly #calls: OnlineCacheCalls;
  #closed = false;

  constructor(calls: OnlineCacheCalls) {
    this.#calls = calls;
  }

  getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return this.#call("read", () => this.#calls.getMany(keys));
  }

  setMany(entries: readonly CacheEntry[], ttlSeconds: number): Promise<void> {
    return this.#call("write", () => this.#calls.setMany(entries, ttlSeconds));
  }

  compareAndSetMany(entries: readonly CasEntry[], ttlSeconds: number): Promise<string[]> {
    return this.#call("write", () => this.#calls.compareAndSetMany(entries, ttlSeconds));
  }

  deleteMany(keys: readonly string[]): Promise<void> {
    return this.#call("delete from", () => this.#calls.deleteMany(keys));
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new RetryableError(`Cannot ${what} the online cache: its channel is closed`);
    }
    return await fn();
  }
}
