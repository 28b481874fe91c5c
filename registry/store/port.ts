/**
 * The small key-value port the registry publishes through: package blobs,
 * model pointers and the rollout counters the edge writes. Adapters:
 * `memory.ts` (embedded default, in-process) and `upstash.ts`
 * (`@upstash/redis`, Upstash or the project's gateway in front of Redis).
 *
 * @module
 */

/** The operations publishing and the rollout controller need. */
export interface RegistryStore {
  /** A string value, or null when absent. */
  get(key: string): Promise<string | null>;
  /** Sets `key` only when absent; true when it was set. */
  setIfAbsent(key: string, value: string): Promise<boolean>;
  /**
   * Replaces `key` with `next` only when its current value is `expected`
   * (null: absent). True when replaced. This keeps pointer revisions
   * monotonic when two writers race.
   */
  compareAndSet(key: string, expected: string | null, next: string): Promise<boolean>;
  /** Lets `key` expire after `seconds` (no-op when absent). */
  expire(key: string, seconds: number): Promise<void>;
  /** Removes any expiry of `key`; true when the key exists. */
  persist(key: string): Promise<boolean>;
  /** Every field of a hash (empty when absent). */
  hgetall(key: string): Promise<Record<string, string>>;
  /** Several hashes in one round trip. */
  hgetallMany(keys: string[]): Promise<Record<string, string>[]>;
}
