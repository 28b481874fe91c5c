/**
 * Runs the `OnlineCache` contract against `MemoryOnlineCache` with a fake clock.
 *
 * @module
 */
import { MemoryOnlineCache } from "../../pipeline/online/memory.ts";
import { onlineCacheContract } from "./online_cache_contract.ts";

onlineCacheContract("MemoryOnlineCache", () => {
  let now = Date.UTC(2026, 2, 20);
  const cache = new MemoryOnlineCache({ now: () => now });
  return Promise.resolve({
    cache,
    prefix: "t:",
    advance: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    close: () => cache.close(),
  });
});
