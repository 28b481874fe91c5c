/**
 * `UpstashOnlineReader`: online features from Redis through the Upstash REST
 * API (`@upstash/redis`), one MGET per request or batch.
 *
 * @module
 */
import type { Redis } from "@upstash/redis";
import { KeyValueOnlineReader, type OnlineCacheOptions } from "./_kv.ts";

/** An online feature reader over `@upstash/redis`. */
export class UpstashOnlineReader extends KeyValueOnlineReader {
  readonly kind = "upstash";
  readonly #redis: Pick<Redis, "mget">;

  constructor(redis: Pick<Redis, "mget">, options: OnlineCacheOptions = {}) {
    super(options);
    this.#redis = redis;
  }

  protected async mget(keys: string[]): Promise<unknown[]> {
    if (keys.length === 0) return [];
    return await this.#redis.mget<unknown[]>(...keys);
  }
}
