/**
 * The online cache: the `OnlineCache` port, its in-memory adapter (the
 * embedded default) and its Redis adapter (ioredis, pipelined writes).
 *
 * @module
 */
export type { CacheEntry, OnlineCache } from "./port.ts";
export { MemoryOnlineCache, type MemoryOnlineCacheOptions } from "./memory.ts";
export { RedisOnlineCache } from "./redis.ts";
