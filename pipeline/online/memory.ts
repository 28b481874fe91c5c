/**
 * The in-memory online cache: the embedded default, a real implementation
 * with TTLs (expired keys read as missing and are swept as writes go on).
 *
 * @module
 */
import { type CacheEntry, type CasEntry, type OnlineCache, revisionOf } from "./port.ts";

/** Options of {@linkcode MemoryOnlineCache}. */
export interface MemoryOnlineCacheOptions {
  /** Clock in epoch ms (tests pass a fake one). Default `Date.now`. */
  now?: () => number;
}

/** `OnlineCache` in process memory. */
export class MemoryOnlineCache implements OnlineCache {
  readonly #data = new Map<string, { value: string; expiresAt: number }>();
  readonly #now: () => number;
  #writesSinceSweep = 0;

  constructor(options: MemoryOnlineCacheOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Number of live keys. */
  get size(): number {
    this.#sweep();
    return this.#data.size;
  }

  getMany(keys: readonly string[]): Promise<(string | null)[]> {
    const now = this.#now();
    return Promise.resolve(keys.map((k) => {
      const e = this.#data.get(k);
      if (!e) return null;
      if (e.expiresAt <= now) {
        this.#data.delete(k);
        return null;
      }
      return e.value;
    }));
  }

  setMany(entries: readonly CacheEntry[], ttlSeconds: number): Promise<void> {
    const expiresAt = this.#now() + ttlSeconds * 1000;
    for (const { key, value } of entries) this.#data.set(key, { value, expiresAt });
    this.#writesSinceSweep += entries.length;
    if (this.#writesSinceSweep > 10_000) this.#sweep();
    return Promise.resolve();
  }

  /** Atomic: reads and writes happen in one synchronous step. */
  compareAndSetMany(entries: readonly CasEntry[], ttlSeconds: number): Promise<string[]> {
    const now = this.#now();
    const ok: CacheEntry[] = [];
    const conflicts: string[] = [];
    for (const e of entries) {
      const cur = this.#data.get(e.key);
      const value = cur && cur.expiresAt > now ? cur.value : null;
      if (revisionOf(value) === e.expectedRev) ok.push(e);
      else conflicts.push(e.key);
    }
    void this.setMany(ok, ttlSeconds);
    return Promise.resolve(conflicts);
  }

  deleteMany(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.#data.delete(k);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, e] of this.#data) if (e.expiresAt <= now) this.#data.delete(k);
    this.#writesSinceSweep = 0;
  }
}
