/**
 * The online cache: the `OnlineCache` port, its in-memory adapter (the
 * embedded default), its Redis adapter (ioredis, pipelined writes) and its
 * Upstash REST adapter.
 *
 * @module
 */
export { type CacheEntry, type CasEntry, type OnlineCache, revisionOf } from "./port.ts";
export { MemoryOnlineCache, type MemoryOnlineCacheOptions } from "./memory.ts";
export { RedisOnlineCache } from "./redis.ts";
export { UpstashOnlineCache, type UpstashOnlineCacheOptions } from "./upstash.ts";
export { CAS_SCRIPT as ONLINE_CAS_SCRIPT } from "./_cas.ts";
