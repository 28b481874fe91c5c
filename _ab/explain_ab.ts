const BASE = "/work/wt/base16";
const { sql } = await import("drizzle-orm");
const O = {
  pg: await import(`${BASE}/pipeline/store/pglite.ts`),
  f: await import(`${BASE}/pipeline/features/mod.ts`),
  st: await import(`${BASE}/pipeline/store/_statements.ts`),
};
const N = {
  pg: await import("../pipeline/store/pglite.ts"),
  st: await import("../pipeline/store/_statements.ts"),
  fp: await import("../pipeline/feature_pipeline.ts"),
  tiles: await import("../pipeline/store/_tiles.ts"),
  load: await import("../pipeline/definitions/load.ts"),
};
const CATS = ["grocery", "restaurant", "travel", "electronics", "jewelry", "gas_station"];
const NOW = Date.now();
let seq = 0;
const ev = () => {
  const i = seq++;
  return {
    event_id: crypto.randomUUID(),
    user_id: `user_${(i * 7919) % 50000}`,
    amount: Math.round(((i * 37) % 50000) + 100) / 100,
    timestamp: new Date(NOW - ((i * 104729) % 86_400_000)).toISOString(),
    merchant_category: CATS[i % 6],
    payment_method: "credit_card",
  };
};
const os = new O.pg.PgliteFeatureStore();
await os.migrate();
await os.registerView(O.f.DEMO_VIEW);
const ns = new N.pg.PgliteFeatureStore();
await ns.migrate();
const repo = N.load.loadExample("fraud");
const views = repo.viewsOfSource("transactions");
const oldStmt = () => {
  const es = Array.from({ length: 1000 }, ev).map((m) => ({
    eventId: m.event_id,
    entityId: m.user_id,
    timeMs: Date.parse(m.timestamp),
    amount: m.amount,
    category: m.merchant_category,
    payload: m,
    payloadJson: JSON.stringify(m),
    acceptedAtMs: NOW,
  }));
  return O.st.writeBatchStatement(es as any, [], [O.f.DEMO_VIEW], 3_600_000, {
    entityIds: [],
    fromMs: 0,
  });
};
const newStmt = () => {
  const es = Array.from({ length: 1000 }, ev).map((m) =>
    N.fp.toStoredEvent(views, {
      source: "transactions",
      eventId: m.event_id,
      event: m,
      timeMs: Date.parse(m.timestamp),
      json: JSON.stringify(m),
      acceptedAtMs: NOW,
    })
  );
  const byView = new Map();
  for (const e of es) {
    for (const c of e.views) {
      let l = byView.get(c.view);
      if (!l) byView.set(c.view, l = []);
      l.push(c);
    }
  }
  const d = [...byView].map(([view, list]) => ({
    view,
    records: N.tiles.tileDeltas(view, list, 3_600_000),
  }));
  return N.st.writeEventsStatement(es, [], { keys: [], fromMs: 0 }, d);
};
for (let i = 0; i < 8; i++) {
  await (os as any).db.execute(oldStmt());
  await (ns as any).db.execute(newStmt());
}
const agg: Record<string, Record<string, number>> = { base: {}, new: {} };
for (let r = 0; r < 10; r++) {
  for (const [k, s, mk] of [["base", os, oldStmt], ["new", ns, newStmt]] as const) {
    const res = await (s as any).db.execute(
      sql`EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) ${(mk as any)()}`,
    );
    const rows = (res.rows ?? res).map((x: any) => String(Object.values(x)[0]));
    for (const line of rows) {
      const m =
        /^\s*(?:->\s*)?(Insert on \w+|Function Scan on \w+|CTE Scan on \w+|HashAggregate|Sort|Merge Join|Hash Join|Execution Time)[^(]*(?:\(actual time=[\d.]+\.\.([\d.]+))?(?:: ([\d.]+) ms)?/
          .exec(line);
      if (!m) continue;
      const v = Number(m[2] ?? m[3]);
      agg[k][m[1]] = (agg[k][m[1]] ?? 0) + v / 10;
    }
  }
}
{
  const os2 = new O.pg.PgliteFeatureStore();
  await os2.migrate();
  await os2.registerView(O.f.DEMO_VIEW);
  const ns2 = new N.pg.PgliteFeatureStore();
  await ns2.migrate();
  for (let i = 0; i < 5; i++) {
    await (os2 as any).db.execute(oldStmt());
    await (ns2 as any).db.execute(newStmt());
  }
  const t: Record<string, number> = {
    baseBuild: 0,
    baseExec: 0,
    newBuild: 0,
    newExec: 0,
    newTx: 0,
  };
  const process = (await import("node:process")).default;
  const cpu = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  for (let r = 0; r < 20; r++) {
    let c0 = cpu();
    const a = oldStmt();
    t.baseBuild += cpu() - c0;
    c0 = cpu();
    await (os2 as any).db.execute(a);
    t.baseExec += cpu() - c0;
    c0 = cpu();
    const b = newStmt();
    t.newBuild += cpu() - c0;
    c0 = cpu();
    await (ns2 as any).db.execute(b);
    t.newExec += cpu() - c0;
    c0 = cpu();
    await (ns2 as any).db.transaction(async (tx: any) => {
      await tx.execute(sql`SELECT 1`);
    });
    t.newTx += cpu() - c0;
  }
  console.log(Object.entries(t).map(([k, v]) => `${k}=${(v / 20).toFixed(1)}ms`).join(" "));
}
for (const k of ["base", "new"]) {
  console.log(
    k,
    Object.entries(agg[k]).map(([a, b]) => `${a}=${b.toFixed(1)}`).join("  "),
  );
}
await os.close();
await ns.close();
