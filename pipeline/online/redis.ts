/**
 * The online cache on Redis over TCP (ioredis): writes go in one pipeline
 * per batch (`SET key value EX ttl`), reads are one `MGET`.
 *
 * @module
 */
import { Redis } from "ioredis";
import { RetryableError } from "../errors.ts";
import type { CacheEntry, CasEntry, OnlineCache } from "./port.ts";
import { CAS_SCRIPT, casArgs } from "./_cas.ts";

/** `OnlineCache` on Redis. Connects on first use; fails fast while Redis is down. */
export class RedisOnlineCache implements OnlineCache {
  readonly #redis: Redis;

  constructor(url: string) {
    this.#redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (times: number) => Math.min(times * 100, 1000),
    });
    // Connection errors surface on the commands; an unhandled 'error' event would crash.
    this.#redis.on("error", () => {});
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    try {
      return await this.#redis.mget(...keys);
    } catch (error) {
      throw this.#translate("read", error);
    }
  }

  async setMany(entries: readonly CacheEntry[], ttlSeconds: number): Promise<void> {
    if (entries.length === 0) return;
    try {
      const p = this.#redis.pipeline();
      for (const e of entries) p.set(e.key, e.value, "EX", ttlSeconds);
      const results = await p.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    } catch (error) {
      throw this.#translate("write", error);
    }
  }

  async compareAndSetMany(entries: readonly CasEntry[], ttlSeconds: number): Promise<string[]> {
    if (entries.length === 0) return [];
    try {
      const keys = entries.map((e) => e.key);
      const conflicts = await this.#redis.eval(
        CAS_SCRIPT,
        keys.length,
        ...keys,
        ...casArgs(entries, ttlSeconds),
      ) as number[];
      return conflicts.map((i) => keys[i - 1]);
    } catch (error) {
      throw this.#translate("write", error);
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.#redis.del(...keys);
    } catch (error) {
      throw this.#translate("delete", error);
    }
  }

  async close(): Promise<void> {
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }

  /** Any failure of these plain SET/MGET commands is the connection's: retryable. */
  #translate(what: string, error: unknown): RetryableError {
    const detail = error instanceof Error ? error.message : String(error);
    return new RetryableError(`Cannot ${what} online state in Redis: ${detail}`, { cause: error });
  }
}
