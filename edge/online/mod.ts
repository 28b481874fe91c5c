/**
 * Online features at the edge: the {@linkcode OnlineFeatureReader} port and
 * its adapters ({@linkcode UpstashOnlineReader} for Redis through the Upstash
 * REST API, {@linkcode MemoryOnlineReader} for the embedded in-memory cache),
 * both with an optional bounded in-isolate cache.
 *
 * @module
 */
export type { OnlineFeatureReader, OnlineFeatures, OnlineLookup } from "./port.ts";
export type { OnlineCacheOptions } from "./_kv.ts";
export {
  type KeyValueGetter,
  MemoryKeyValue,
  MemoryOnlineReader,
  type MemoryOnlineReaderOptions,
} from "./memory.ts";
export { UpstashOnlineReader } from "./upstash.ts";
export { CoalescedOnlineReader } from "./coalesce.ts";
