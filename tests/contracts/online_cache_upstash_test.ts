/**
 * Runs the `OnlineCache` contract against `UpstashOnlineCache` through the
 * project's Upstash REST gateway (keys under a random prefix, removed
 * afterwards); plus the unreachable-gateway case.
 *
 * @module
 */
import assert from "node:assert/strict";
import { UpstashOnlineCache } from "../../pipeline/online/upstash.ts";
import { RetryableError } from "../../pipeline/errors.ts";
import type { CasEntry } from "../../pipeline/online/port.ts";
import { redisKeyPrefixes } from "../../schemas/pointer.ts";
import { serviceEnv } from "../_services.ts";
import { onlineCacheContract } from "./online_cache_contract.ts";

onlineCacheContract("UpstashOnlineCache", async () => {
  const env = await serviceEnv("gateway");
  const cache = new UpstashOnlineCache({
    url: env.UPSTASH_REDIS_REST_URL,
    // The worker's role: the token an ingest worker holds in production.
    token: env.UPSTASH_WORKER_TOKEN,
  });
  const prefix = `${redisKeyPrefixes.online}test:${crypto.randomUUID()}:`;
  const written: string[] = [];
  const tracked = {
    getMany: (k: readonly string[]) => cache.getMany(k),
    setMany: (e: readonly { key: string; value: string }[], ttl: number) => {
      written.push(...e.map((x) => x.key));
      return cache.setMany(e, ttl);
    },
    compareAndSetMany: (e: readonly CasEntry[], ttl: number) => {
      written.push(...e.map((x) => x.key));
      return cache.compareAndSetMany(e, ttl);
    },
    deleteMany: (k: readonly string[]) => cache.deleteMany(k),
    close: () => cache.close(),
  };
  return {
    cache: tracked,
    prefix,
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    close: async () => {
      for (let i = 0; i < written.length; i += 1000) {
        await cache.deleteMany(written.slice(i, i + 1000));
      }
    },
  };
});

Deno.test("UpstashOnlineCache throws RetryableError when the REST endpoint is unreachable", async () => {
  const cache = new UpstashOnlineCache({ url: "http://127.0.0.1:9", token: "x", retries: 0 });
  await assert.rejects(() => cache.getMany(["a"]), RetryableError);
  await assert.rejects(() => cache.setMany([{ key: "a", value: "1" }], 60), RetryableError);
});
