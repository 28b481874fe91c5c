/**
 * The `OnlineCache` port: where the pipeline writes each entity's online
 * state (one JSON string per key, see `redisKeys.online`) for the edge.
 *
 * @module
 */

/** One value to write. */
export interface CacheEntry {
  key: string;
  value: string;
}

/** A key-value cache with TTLs. Every adapter passes `tests/contracts/online_cache_*`. */
export interface OnlineCache {
  /** Values of `keys` in order; `null` for a missing or expired key. */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  /** Writes every entry with a TTL in ONE round trip (a pipeline). */
  setMany(entries: readonly CacheEntry[], ttlSeconds: number): Promise<void>;
  /** Removes keys. */
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
