/**
 * `MemoryRegistryStore`: the in-process adapter of the `RegistryStore` port,
 * used by the embedded default and by tests.
 *
 * @module
 */
import type { RegistryStore } from "./port.ts";

/** A registry store in process memory. */
export class MemoryRegistryStore implements RegistryStore {
  readonly #values = new Map<string, string>();
  readonly #hashes = new Map<string, Map<string, string>>();
  readonly #expiresAt = new Map<string, number>();
  readonly #hashExpiresAt = new Map<string, number>();
  #writes = 0;
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  get(key: string): Promise<string | null> {
    this.#sweep(key);
    return Promise.resolve(this.#values.get(key) ?? null);
  }

  setIfAbsent(key: string, value: string): Promise<boolean> {
    this.#sweep(key);
    if (this.#values.has(key)) return Promise.resolve(false);
    this.#values.set(key, value);
    return Promise.resolve(true);
  }

  compareAndSet(key: string, expected: string | null, next: string): Promise<boolean> {
    this.#sweep(key);
    if ((this.#values.get(key) ?? null) !== expected) return Promise.resolve(false);
    this.#values.set(key, next);
    return Promise.resolve(true);
  }

  expire(key: string, seconds: number): Promise<void> {
    if (this.#values.has(key)) this.#expiresAt.set(key, this.#now() + seconds * 1000);
    return Promise.resolve();
  }

  persist(key: string): Promise<boolean> {
    this.#sweep(key);
    this.#expiresAt.delete(key);
    return Promise.resolve(this.#values.has(key));
  }

  #sweep(key: string): void {
    const at = this.#expiresAt.get(key);
    if (at !== undefined && at <= this.#now()) {
      this.#values.delete(key);
      this.#expiresAt.delete(key);
    }
  }

  hgetall(key: string): Promise<Record<string, string>> {
    this.#sweepHash(key);
    return Promise.resolve(Object.fromEntries(this.#hashes.get(key) ?? []));
  }

  hgetallMany(keys: string[]): Promise<Record<string, string>[]> {
    return Promise.all(keys.map((k) => this.hgetall(k)));
  }

  /**
   * Adds to hash fields, as the edge's counters do (HINCRBY), and lets the
   * hash expire `ttlSeconds` after this write when given (EXPIRE).
   */
  hincrby(key: string, fields: Record<string, number>, ttlSeconds?: number): void {
    this.#sweepHash(key);
    const hash = this.#hashes.get(key) ?? new Map<string, string>();
    for (const [field, by] of Object.entries(fields)) {
      hash.set(field, String(Number(hash.get(field) ?? 0) + by));
    }
    this.#hashes.set(key, hash);
    if (ttlSeconds !== undefined) {
      this.#hashExpiresAt.set(key, this.#now() + ttlSeconds * 1000);
      this.#sweepHashes();
    }
  }

  #sweepHash(key: string): void {
    const at = this.#hashExpiresAt.get(key);
    if (at !== undefined && at <= this.#now()) {
      this.#hashes.delete(key);
      this.#hashExpiresAt.delete(key);
    }
  }

  /** Drops expired hashes now and then, so counters of past buckets do not pile up. */
  #sweepHashes(): void {
    if (++this.#writes % 1000 !== 0) return;
    for (const key of [...this.#hashExpiresAt.keys()]) this.#sweepHash(key);
  }

  /** Forgets everything, as a restarted Redis without persistence would. */
  clear(): void {
    this.#values.clear();
    this.#expiresAt.clear();
    this.#hashes.clear();
    this.#hashExpiresAt.clear();
  }

  /** Overwrites a value (tests use it to damage a blob). */
  set(key: string, value: string): void {
    this.#values.set(key, value);
  }
}
