/**
 * `MemoryOnlineReader`: online features from an in-process cache (the
 * pipeline's in-memory online cache in the embedded default), holding the
 * same JSON states at the same keys as Redis.
 *
 * @module
 */
import { KeyValueOnlineReader, type OnlineCacheOptions } from "./_kv.ts";

/** Anything that returns the values of many keys at once. */
export interface KeyValueGetter {
  mget(keys: string[]): Promise<(string | null)[]>;
}

/** Options of {@linkcode MemoryOnlineReader}. */
export interface MemoryOnlineReaderOptions extends OnlineCacheOptions {
  /**
   * Whether `store` answers from this process's memory (default true); false
   * when it is a client of a remote store, whose reads keep the timeout.
   */
  inProcess?: boolean;
}

/** An online feature reader over an in-memory key-value cache. */
export class MemoryOnlineReader extends KeyValueOnlineReader {
  readonly kind = "memory";
  readonly inProcess: boolean;
  readonly #store: KeyValueGetter;

  constructor(store: KeyValueGetter, options: MemoryOnlineReaderOptions = {}) {
    super(options);
    this.#store = store;
    this.inProcess = options.inProcess ?? true;
  }

  protected mget(keys: string[]): Promise<unknown[]> {
    return this.#store.mget(keys);
  }
}

/** A plain in-memory key-value map with `mget`, for tests and demos. */
export class MemoryKeyValue implements KeyValueGetter {
  readonly #map = new Map<string, string>();
  /** Stores `value` (a JSON text) at `key`. */
  set(key: string, value: string): void {
    this.#map.set(key, value);
  }
  mget(keys: string[]): Promise<(string | null)[]> {
    return Promise.resolve(keys.map((k) => this.#map.get(k) ?? null));
  }
}
