import { FeaturePipeline, toStoredEvent } from "rtml/pipeline/feature_pipeline.ts";
import { MemoryOnlineCache } from "rtml/pipeline/online/memory.ts";
import { PgliteFeatureStore } from "rtml/pipeline/store/pglite.ts";
import { writeEventsStatement } from "rtml/pipeline/store/_statements.ts";
import { PgDialect } from "drizzle-orm/pg-core";
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
      payment_method: "credit_card",
    }),
  };
};
const store = new PgliteFeatureStore();
await store.migrate();
const p = new FeaturePipeline({ store, cache: new MemoryOnlineCache() });
for (let i = 0; i < 5; i++) await p.processBatch(Array.from({ length: 1000 }, () => msg(50000)));
// Build StoredEvents the way the pipeline does.
const repo = p.repository;
const views = repo.viewsOfSource("transactions");
const evs = Array.from({ length: 1000 }, () => {
  const m = JSON.parse(msg(50000).payload);
  return toStoredEvent(views, {
    source: "transactions",
    eventId: m.event_id,
    event: m,
    timeMs: Date.parse(m.timestamp),
    json: JSON.stringify(m),
    acceptedAtMs: NOW,
  });
});
import { sql } from "drizzle-orm";
const db = (store as any).db;
const mk = () =>
  Array.from({ length: 1000 }, () => {
    const m = JSON.parse(msg(50000).payload);
    return toStoredEvent(views, {
      source: "transactions",
      eventId: m.event_id,
      event: m,
      timeMs: Date.parse(m.timestamp),
      json: JSON.stringify(m),
      acceptedAtMs: NOW,
    });
  });
const { tileDeltas } = await import("rtml/pipeline/store/_tiles.ts");
for (let r = 0; r < 3; r++) {
  const e = mk();
  const byView = new Map();
  for (const ev of e) {
    for (const c of ev.views) {
      let l = byView.get(c.view);
      if (!l) byView.set(c.view, l = []);
      l.push(c);
    }
  }
  const d = [...byView].map(([view, list]) => ({
    view,
    records: tileDeltas(view, list, 3_600_000),
  }));
  const res = await db.execute(
    sql`EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) ${
      writeEventsStatement(e, [], { keys: [], fromMs: 0 }, d)
    }`,
  );
  const rows = res.rows ?? res;
  if (r === 2) { for (const x of rows) console.log(Object.values(x)[0]); }
}
await store.close();
