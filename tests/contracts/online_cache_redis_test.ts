/**
 * Runs the `OnlineCache` contract against `RedisOnlineCache` on the
 * services' Redis (keys under a random prefix, removed afterwards); plus the
 * unavailable-Redis case, which only a networked cache has.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { RedisOnlineCache } from "../../pipeline/online/redis.ts";
import { RetryableError } from "../../pipeline/errors.ts";
import { serviceEnv } from "../_services.ts";
import { onlineCacheContract } from "./online_cache_contract.ts";

onlineCacheContract("RedisOnlineCache", async () => {
  const env = await serviceEnv("redis");
  const cache = new RedisOnlineCache(env.REDIS_URL);
  const prefix = `test:online:${crypto.randomUUID()}:`;
  return {
    cache,
    prefix,
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    close: async () => {
      const admin = new Redis(env.REDIS_URL);
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
      await cache.close();
    },
  };
});

Deno.test("RedisOnlineCache throws RetryableError when Redis is unreachable", async () => {
  const cache = new RedisOnlineCache("redis://127.0.0.1:9");
  try {
    await assert.rejects(() => cache.getMany(["a"]), RetryableError);
    await assert.rejects(() => cache.setMany([{ key: "a", value: "1" }], 60), RetryableError);
  } finally {
    await cache.close();
  }
});
