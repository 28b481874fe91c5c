/**
 * Runs the `OnlineCache` contract against `ChannelOnlineCache` over a real
 * `MessageChannel` (structured clone, the embedded platform's `birpc`
 * channel) to a `MemoryOnlineCache` with a fake clock on the other end, as
 * the embedded pipeline worker reaches the serving thread's cache.
 *
 * @module
 */
import { ChannelOnlineCache, MemoryOnlineCache } from "../../pipeline/online/mod.ts";
import { connectChannel } from "../../deploy/embedded/channel.ts";
import type { ServingCalls } from "../../deploy/embedded/calls.ts";
import { SERVING_CALLS } from "../../deploy/embedded/calls.ts";
import { onlineCacheContract } from "./online_cache_contract.ts";

onlineCacheContract("ChannelOnlineCache", () => {
  let now = Date.UTC(2026, 2, 20);
  const memory = new MemoryOnlineCache({ now: () => now });
  const { port1, port2 } = new MessageChannel();
  const serving = connectChannel<Record<string, never>>(
    port1,
    {
      getMany: (keys) => memory.getMany(keys),
      setMany: (entries, ttl) => memory.setMany(entries, ttl),
      compareAndSetMany: (entries, ttl) => memory.compareAndSetMany(entries, ttl),
      deleteMany: (keys) => memory.deleteMany(keys),
    } satisfies ServingCalls,
    { remote: [], peer: "pipeline thread", timeoutMs: 10_000 },
  );
  const pipelineSide = connectChannel<ServingCalls>(port2, {}, {
    remote: SERVING_CALLS,
    peer: "serving thread",
    timeoutMs: 10_000,
  });
  port1.start();
  port2.start();
  const cache = new ChannelOnlineCache(pipelineSide.remote);
  return Promise.resolve({
    cache,
    prefix: "t:",
    advance: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    close: async () => {
      await cache.close();
      const closed = new Error("closed");
      pipelineSide.close(closed);
      serving.close(closed);
      port1.close();
      port2.close();
    },
  });
});
