import process from "node:process";
import { FeaturePipeline } from "rtml/pipeline/feature_pipeline.ts";
import { MemoryOnlineCache } from "rtml/pipeline/online/memory.ts";
import { PgliteFeatureStore } from "rtml/pipeline/store/pglite.ts";
const CATS = ["grocery", "restaurant", "travel", "electronics", "jewelry", "gas_station"];
const NOW = Date.now();
let seq = 0;
const msg = (users: number) => {
  const i = seq++;
  return {
    payload: JSON.stringify({
      event_id: crypto.randomUUID(),
      user_id: `user_${(i * 7919) % users}`,
      amount: Math.round(((i * 37) % 50000) + 100) / 100,
      timestamp: new Date(NOW - ((i * 104729) % 86_400_000)).toISOString(),
      merchant_category: CATS[i % 6],
      payment_method: i % 3 ? "credit_card" : "debit_card",
      device_type: "mobile",
      location: { country: "US", city: "NY" },
      risk_score: (i % 100) / 100,
    }),
  };
};
const store = new PgliteFeatureStore();
await store.migrate();
const cache = new MemoryOnlineCache();
const timers: Record<string, number> = {};
for (
  const [obj, names] of [[store, [
    "writeBatchWithHistory",
    "writeBatch",
    "eventsForEntities",
    "readEvents",
  ]], [cache, ["getMany", "setMany", "casMany", "pushStates", "mget", "compareAndSet"]]] as const
) {
  for (const n of names) {
    const o = obj as any;
    if (typeof o[n] !== "function") continue;
    const f = o[n].bind(o);
    o[n] = async (...a: unknown[]) => {
      const t = performance.now();
      try {
        return await f(...a);
      } finally {
        timers[n] = (timers[n] ?? 0) + performance.now() - t;
      }
    };
  }
}
const p = new FeaturePipeline({ store, cache });
for (let i = 0; i < 8; i++) await p.processBatch(Array.from({ length: 1000 }, () => msg(50000)));
for (let r = 0; r < 3; r++) {
  const batches = Array.from({ length: 10 }, () => Array.from({ length: 1000 }, () => msg(50000)));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const b of batches) await p.processBatch(b);
  const cu = process.cpuUsage(c0);
  console.log("cpu µs/event", ((cu.user + cu.system) / 10000).toFixed(1));
  console.log(JSON.stringify((globalThis as any).__t));
  (globalThis as any).__t = {};
  console.log(
    JSON.stringify(Object.fromEntries(Object.entries(timers).map(([k, v]) => [k, Math.round(v)]))),
  );
  for (const k in timers) timers[k] = 0;
  console.log(
    "PGlite processBatch",
    Math.round(10000 / ((performance.now() - t0) / 1000)),
    "events/s",
    Math.round(performance.now() - t0),
    "ms",
  );
  if (false) {
    console.log(
      "PGlite processBatch",
      Math.round(10000 / ((performance.now() - t0) / 1000)),
      "events/s",
    );
  }
}
await store.close();
