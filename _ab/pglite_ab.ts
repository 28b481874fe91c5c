// A/B in one process: the baseline checkout's pipeline and this one's, alternating batches.
import process from "node:process";
const BASE = Deno.args[0] ?? "/work/wt/base16";
const O = {
  fp: await import(`${BASE}/pipeline/feature_pipeline.ts`),
  mem: await import(`${BASE}/pipeline/online/memory.ts`),
  pg: await import(`${BASE}/pipeline/store/pglite.ts`),
  f: await import(`${BASE}/pipeline/features/mod.ts`),
};
const N = {
  fp: await import("../pipeline/feature_pipeline.ts"),
  mem: await import("../pipeline/online/memory.ts"),
  pg: await import("../pipeline/store/pglite.ts"),
};
const CATS = ["grocery", "restaurant", "travel", "electronics", "jewelry", "gas_station"];
const NOW = Date.now();
let seq = 0;
const USERS = Number(Deno.env.get("USERS") ?? 50000);
const msg = () => {
  const i = seq++;
  return {
    payload: JSON.stringify({
      event_id: crypto.randomUUID(),
      user_id: `user_${(i * 7919) % USERS}`,
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
const os = new O.pg.PgliteFeatureStore();
await os.migrate();
await os.registerView(O.f.DEMO_VIEW);
const op = new O.fp.FeaturePipeline({
  store: os,
  cache: new O.mem.MemoryOnlineCache(),
  views: [O.f.DEMO_VIEW],
});
const ns = new N.pg.PgliteFeatureStore();
await ns.migrate();
if (Deno.env.get("ALT_IDX")) {
  const { sql } = await import("drizzle-orm");
  for (const q of Deno.env.get("ALT_IDX")!.split(";")) await (ns as any).db.execute(sql.raw(q));
}
const np = new N.fp.FeaturePipeline({ store: ns, cache: new N.mem.MemoryOnlineCache() });
const storeCpu = { base: 0, new: 0 };
for (const [k, st] of [["base", os], ["new", ns]] as const) {
  for (const n of ["writeBatch", "writeBatchWithHistory"]) {
    const o = st as any;
    if (typeof o[n] !== "function") continue;
    const f = o[n].bind(o);
    o[n] = async (...a: unknown[]) => {
      const c0 = process.cpuUsage();
      try {
        return await f(...a);
      } finally {
        const c = process.cpuUsage(c0);
        storeCpu[k] += c.user + c.system;
      }
    };
  }
}
const cpu = { base: 0, new: 0 };
const wall = { base: 0, new: 0 };
for (let i = 0; i < 6; i++) {
  storeCpu.base = 0;
  storeCpu.new = 0;
  await op.processBatch(Array.from({ length: 1000 }, msg));
  await np.processBatch(Array.from({ length: 1000 }, msg));
}
const ROUNDS = Number(Deno.env.get("ROUNDS") ?? 30);
for (let r = 0; r < ROUNDS; r++) {
  const batch = Array.from({ length: 1000 }, msg);
  const copy = batch.map((m) => ({
    ...m,
    payload: m.payload.replace(/"event_id":"/, '"event_id":"n'),
  }));
  for (
    const [k, p, b] of (r % 2
      ? [["new", np, copy], ["base", op, batch]]
      : [["base", op, batch], ["new", np, copy]]) as [keyof typeof cpu, any, any][]
  ) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await p.processBatch(b);
    const c = process.cpuUsage(c0);
    cpu[k] += c.user + c.system;
    wall[k] += performance.now() - t0;
  }
}
const per = (x: number) => (x / (ROUNDS * 1000)).toFixed(1);
console.log(`store CPU µs/event: base ${per(storeCpu.base)}, new ${per(storeCpu.new)}`);
console.log(
  `CPU µs/event: base ${per(cpu.base)}, new ${per(cpu.new)} → new/base ${
    (cpu.new / cpu.base).toFixed(2)
  }; wall ms/batch: base ${(wall.base / ROUNDS).toFixed(1)}, new ${(wall.new / ROUNDS).toFixed(1)}`,
);
await os.close();
await ns.close();
