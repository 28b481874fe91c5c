/**
 * The in-memory online cache: the embedded default, a real implementation
 * with TTLs (expired keys read as missing and are swept as writes go on, a
 * few keys per key written, so no write pays for a sweep of the whole map:
 * in the embedded platform writes run on the thread that serves `/predict`).
 *
 * @module
 */
import { type CacheEntry, type CasEntry, type OnlineCache, revisionOf } from "./port.ts";

/** Options of {@linkcode MemoryOnlineCache}. */
export interface MemoryOnlineCacheOptions {
  /** Clock in epoch ms (tests pass a fake one). Default `Date.now`. */
  now?: () => number;
}

/**
 * Keys the incremental sweep looks at per key written: more than one, so the
 * sweep laps the map faster than writes add keys.
 */
const SWEEP_PER_WRITE = 2;

/** `OnlineCache` in process memory. */
export class MemoryOnlineCache implements OnlineCache {
  readonly #data = new Map<string, { value: string; expiresAt: number }>();
  readonly #now: () => number;
  #chars = 0;
  /** Where the incremental sweep goes on (Map iterators survive deletes and inserts). */
  #cursor: Iterator<[string, { value: string; expiresAt: number }]> | null = null;

  constructor(options: MemoryOnlineCacheOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Number of live keys. */
  get size(): number {
    this.#sweep();
    return this.#data.size;
  }

  /**
   * Keys held and the characters of their keys and values (about their bytes:
   * V8 keeps ASCII strings one byte per character), expired keys not yet
   * swept included. Constant time, for metrics.
   */
  get held(): { keys: number; chars: number } {
    return { keys: this.#data.size, chars: this.#chars };
  }

  getMany(keys: readonly string[]): Promise<(string | null)[]> {
    const now = this.#now();
    return Promise.resolve(keys.map((k) => {
      const e = this.#data.get(k);
      if (!e) return null;
      if (e.expiresAt <= now) {
        this.#delete(k);
        return null;
      }
      return e.value;
    }));
  }

  setMany(entries: readonly CacheEntry[], ttlSeconds: number): Promise<void> {
    const expiresAt = this.#now() + ttlSeconds * 1000;
    for (const { key, value } of entries) {
      const old = this.#data.get(key);
      this.#chars += value.length - (old ? old.value.length : -key.length);
      this.#data.set(key, { value, expiresAt });
    }
    this.#sweepSome(SWEEP_PER_WRITE * entries.length);
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
    for (const k of keys) this.#delete(k);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, e] of this.#data) if (e.expiresAt <= now) this.#delete(k);
    this.#cursor = null;
  }

  /** Looks at up to `n` keys where the last sweep stopped, dropping expired ones. */
  #sweepSome(n: number): void {
    const now = this.#now();
    this.#cursor ??= this.#data.entries();
    for (let i = 0; i < n; i++) {
      const next = this.#cursor.next();
      if (next.done) {
        this.#cursor = null;
        return;
      }
      const [k, e] = next.value;
      if (e.expiresAt <= now) this.#delete(k);
    }
  }

  #delete(key: string): void {
    const e = this.#data.get(key);
    if (!e) return;
    this.#chars -= key.length + e.value.length;
    this.#data.delete(key);
  }
}
