/**
 * A bounded cache with a TTL whose evictions cost O(1): keys sit in a ring
 * of `max` slots and a new key overwrites the oldest slot. (Deleting the
 * first key of a JS `Map` repeatedly leaves holes that later lookups walk,
 * which made a Map-based LRU cost ~10 µs per insert once full.)
 *
 * @module
 */

interface Entry<V> {
  value: V;
  expires: number;
  slot: number;
}

/** A bounded TTL cache. */
export class TtlCache<V> {
  readonly #map = new Map<string, Entry<V>>();
  readonly #ring: (string | undefined)[];
  readonly #ttl: number;
  readonly #now: () => number;
  #pos = 0;

  constructor(options: { ttlMs: number; maxEntries: number; now?: () => number }) {
    this.#ttl = options.ttlMs;
    this.#ring = new Array(Math.max(0, options.maxEntries));
    this.#now = options.now ?? Date.now;
  }

  /** Whether the cache stores anything. */
  get enabled(): boolean {
    return this.#ttl > 0 && this.#ring.length > 0;
  }

  /** Entries held (fresh or expired but not yet overwritten). */
  get size(): number {
    return this.#map.size;
  }

  /** The fresh value at `key`, if any. */
  get(key: string): V | undefined {
    const e = this.#map.get(key);
    if (!e || e.expires <= this.#now()) return undefined;
    return e.value;
  }

  /** Stores `value`; the oldest key is dropped when the cache is full. */
  set(key: string, value: V): void {
    if (!this.enabled) return;
    const expires = this.#now() + this.#ttl;
    const e = this.#map.get(key);
    if (e) {
      e.value = value;
      e.expires = expires;
      return;
    }
    const slot = this.#pos;
    this.#pos = (slot + 1) % this.#ring.length;
    const old = this.#ring[slot];
    if (old !== undefined) this.#map.delete(old);
    this.#ring[slot] = key;
    this.#map.set(key, { value, expires, slot });
  }
}
