/**
 * The online cache: the `OnlineCache` port, its in-memory adapter (the
 * embedded default), its Redis adapter (ioredis, pipelined writes), its
 * Upstash REST adapter, and the channel adapter that reaches a cache held by
 * another thread.
 *
 * @module
 */
export { type CacheEntry, type CasEntry, type OnlineCache, revisionOf } from "./port.ts";
export { MemoryOnlineCache, type MemoryOnlineCacheOptions } from "./memory.ts";
export { RedisOnlineCache } from "./redis.ts";
export { UpstashOnlineCache, type UpstashOnlineCacheOptions } from "./upstash.ts";
export { ChannelOnlineCache, type OnlineCacheCalls } from "./channel.ts";
export { CAS_SCRIPT as ONLINE_CAS_SCRIPT } from "./_cas.ts";
