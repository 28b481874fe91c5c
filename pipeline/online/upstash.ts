/**
 * The online cache over the Upstash REST API (`@upstash/redis`): for
 * writers without TCP access to Redis (Upstash itself, or the project's
 * Upstash-compatible gateway in front of Redis). One pipeline request per
 * batch of writes, one MGET per read.
 *
 * @module
 */
import { Redis } from "@upstash/redis";
import { RetryableError } from "../errors.ts";
import type { CacheEntry, CasEntry, OnlineCache } from "./port.ts";
import { CAS_SCRIPT, casArgs } from "./_cas.ts";

/** Options of {@linkcode UpstashOnlineCache}. */
export interface UpstashOnlineCacheOptions {
  url: string;
  token: string;
  /** Network retries of the client before failing. Default 1. */
  retries?: number;
}

/** `OnlineCache` over the Upstash REST API. Values are stored and returned as raw strings. */
export class UpstashOnlineCache implements OnlineCache {
  readonly #redis: Redis;

  constructor(options: UpstashOnlineCacheOptions) {
    this.#redis = new Redis({
      url: options.url,
      token: options.token,
      // States are JSON text; the port deals in strings, so no client-side parsing.
      automaticDeserialization: false,
      enableTelemetry: false,
      retry: { retries: options.retries ?? 1, backoff: () => 50 },
    });
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    try {
      return await this.#redis.mget<(string | null)[]>(...keys);
    } catch (error) {
      throw translate("read", error);
    }
  }

  async setMany(entries: readonly CacheEntry[], ttlSeconds: number): Promise<void> {
    if (entries.length === 0) return;
    try {
      const p = this.#redis.pipeline();
      for (const e of entries) p.set(e.key, e.value, { ex: ttlSeconds });
      await p.exec();
    } catch (error) {
      throw translate("write", error);
    }
  }

  async compareAndSetMany(entries: readonly CasEntry[], ttlSeconds: number): Promise<string[]> {
    if (entries.length === 0) return [];
    try {
      const keys = entries.map((e) => e.key);
      const conflicts = await this.#redis.eval<string[], unknown>(
        CAS_SCRIPT,
        keys,
        casArgs(entries, ttlSeconds),
      );
      return (Array.isArray(conflicts) ? conflicts : []).map((i) => keys[Number(i) - 1]);
    } catch (error) {
      throw translate("write", error);
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.#redis.del(...keys);
    } catch (error) {
      throw translate("delete", error);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Any failure of these plain commands is the service's or the network's: retryable. */
function translate(what: string, error: unknown): RetryableError {
  const detail = error instanceof Error ? error.message : String(error);
  return new RetryableError(`Cannot ${what} online state through Upstash: ${detail}`, {
    cause: error,
  });
}
