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

/** A value to write only if the key's revision is still `expectedRev`. */
export interface CasEntry extends CacheEntry {
  /** Revision read before (see {@linkcode revisionOf}); `null` when the key was absent. */
  expectedRev: number | null;
}

const REV_RE = /^\{"v":\d+,"rev":(\d+)/;

/**
 * The revision of a stored online state: the `rev` serialised right after
 * `"v":<format>` at the start of its JSON; 0 for a value without one; `null` for
 * an absent key.
 */
export function revisionOf(value: string | null): number | null {
  if (value === null) return null;
  const m = REV_RE.exec(value);
  return m ? Number(m[1]) : 0;
}

/** A key-value cache with TTLs. Every adapter passes `tests/contracts/online_cache_*`. */
export interface OnlineCache {
  /** Values of `keys` in order; `null` for a missing or expired key. */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  /** Writes every entry with a TTL in ONE round trip (a pipeline). */
  setMany(entries: readonly CacheEntry[], ttlSeconds: number): Promise<void>;
  /**
   * Atomically per key (one round trip for all): writes each entry whose
   * key's current revision is its `expectedRev`; returns the keys that
   * changed since (not written).
   */
  compareAndSetMany(entries: readonly CasEntry[], ttlSeconds: number): Promise<string[]>;
  /** Removes keys. */
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}
