/**
 * The prediction cache: scores keyed by model version and the canonical
 * feature vector (the float32 row, so `1` and `1.0` are one key), with a TTL
 * and a bound on entries (oldest dropped first).
 *
 * @module
 */

/** A cached score. */
export interface CachedScore {
  p0: number;
  p1: number;
}

/** A bounded TTL cache of scores. */
export class PredictionCache {
  readonly #ttl: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #map = new Map<string, { score: CachedScore; expires: number }>();

  constructor(options: { ttlMs: number; maxEntries: number; now?: () => number }) {
    this.#ttl = options.ttlMs;
    this.#max = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** Whether the cache stores anything. */
  get enabled(): boolean {
    return this.#ttl > 0 && this.#max > 0;
  }

  /** Entries held now. */
  get size(): number {
    return this.#map.size;
  }

  /** The key of a row for one model version. */
  static key(name: string, version: string, row: Float32Array): string {
    let k = `${name}\u0000${version}`;
    for (let i = 0; i < row.length; i++) k += `\u0000${row[i]}`;
    return k;
  }

  /** The fresh score at `key`, if any. */
  get(key: string): CachedScore | undefined {
    const e = this.#map.get(key);
    if (!e) return undefined;
    if (e.expires <= this.#now()) {
      this.#map.delete(key);
      return undefined;
    }
    return e.score;
  }

  /** Stores a score. */
  set(key: string, score: CachedScore): void {
    if (!this.enabled) return;
    this.#map.delete(key);
    this.#map.set(key, { score, expires: this.#now() + this.#ttl });
    while (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }
}
