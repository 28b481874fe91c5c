/**
 * Property test of the feature pipeline: random event streams (duplicates,
 * out of order, late, invalid, bursts at tile edges) go through
 * `processBatch` in random batches; online values, offline values and
 * exported point-in-time rows must equal a brute-force loop over the
 * accepted events written here from the rule of the issue. Runs against
 * embedded PGlite + memory cache and real Postgres + Redis.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Redis } from "ioredis";
import { FeaturePipeline, type PipelineMessage } from "../../pipeline/feature_pipeline.ts";
import type { FeatureRepository } from "../../pipeline/definitions/repository.ts";
import { isolatedRepository } from "../support/views.ts";
import type { FeatureStore } from "../../pipeline/store/port.ts";
import type { OnlineCache } from "../../pipeline/online/port.ts";
import { MemoryOnlineCache } from "../../pipeline/online/memory.ts";
import { RedisOnlineCache } from "../../pipeline/online/redis.ts";
import { PgliteFeatureStore } from "../../pipeline/store/pglite.ts";
import { PostgresFeatureStore } from "../../pipeline/store/postgres.ts";
import { pointInTimeRows } from "../../pipeline/training_set.ts";
import { serviceEnv } from "../_services.ts";
import { createTempDatabase } from "../contracts/feature_store_fixtures.ts";

const NOW = Date.UTC(2026, 2, 20, 12, 0, 30, 250);
const MIN = 60_000, HOUR = 3_600_000, DAY = 86_400_000;

interface Ev {
  id: string;
  user: string;
  t: number;
  amount: number;
  category?: string;
}

/** The rule of the issue, as a plain loop over accepted events. */
function bruteForce(events: Ev[], user: string, T: number): Record<string, number> {
  const defs: [string, string, number, number, number][] = [
    ["transaction_count_1h", "count", HOUR, MIN, 0],
    ["transaction_count_24h", "count", DAY, HOUR, 0],
    ["amount_sum_24h", "sum", DAY, HOUR, 0],
    ["avg_amount_30d", "mean", 30 * DAY, DAY, 0],
    ["max_amount_7d", "max", 7 * DAY, DAY, 0],
    ["distinct_merchant_categories_24h", "distinct", DAY, HOUR, 0],
    ["seconds_since_last_txn", "since", 30 * DAY, DAY, 2592000],
  ];
  const out: Record<string, number> = {};
  for (const [name, agg, W, g, empty] of defs) {
    let n = 0, sum = 0, max = -Infinity, last = -Infinity;
    const cats = new Set<string>();
    for (const e of events) {
      if (e.user !== user) continue;
      if (!(e.t < T && Math.floor(e.t / g) >= Math.floor(T / g) - W / g + 1)) continue;
      n++;
      sum += e.amount;
      max = Math.max(max, e.amount);
      last = Math.max(last, e.t);
      cats.add(e.category ?? "unknown");
    }
    out[name] = n === 0
      ? empty
      : agg === "count"
      ? n
      : agg === "sum"
      ? sum
      : agg === "mean"
      ? sum / n
      : agg === "max"
      ? max
      : agg === "distinct"
      ? cats.size
      : (T - last) / 1000;
  }
  return out;
}

function assertClose(
  actual: Record<string, unknown>,
  expected: Record<string, number>,
  what: string,
) {
  for (const [k, e] of Object.entries(expected)) {
    const a = actual[k] as number;
    assert.ok(
      Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e)),
      `${what} ${k}: got ${a}, expected ${e}`,
    );
  }
}

const edgeTime = fc.tuple(
  fc.constantFrom(MIN, HOUR, DAY),
  fc.integer({ min: -31, max: 0 }),
  fc.constantFrom(-1, 0, 1),
).map(([g, k, d]) => (Math.floor(NOW / g) + k) * g + d);
const time = fc.oneof(
  fc.integer({ min: NOW - 32 * DAY, max: NOW + 5 * MIN }),
  fc.integer({ min: NOW - 2 * HOUR, max: NOW + 5 * MIN }),
  edgeTime,
);
const valid = fc.record({
  kind: fc.constant("valid" as const),
  id: fc.integer({ min: 0, max: 40 }),
  user: fc.integer({ min: 0, max: 2 }),
  t: time,
  amount: fc.oneof(fc.integer({ min: 0, max: 200000 }).map((c) => c / 100), fc.constant(0)),
  category: fc.option(fc.constantFrom("grocery", "travel", "jewelry", "unknown"), {
    nil: undefined,
  }),
  offset: fc.boolean(),
});
const invalid = fc.record({
  kind: fc.constantFrom("not_json", "negative", "string_amount", "future", "bad_utf8", "no_user"),
  id: fc.integer({ min: 0, max: 40 }),
  user: fc.integer({ min: 0, max: 2 }),
  t: time,
});
type Msg = {
  kind: "valid";
  id: number;
  user: number;
  t: number;
  amount: number;
  category?: string;
  offset: boolean;
} | {
  kind: "not_json" | "negative" | "string_amount" | "future" | "bad_utf8" | "no_user";
  id: number;
  user: number;
  t: number;
};

function iso(t: number, offset: boolean): string {
  if (!offset) return new Date(t).toISOString();
  // The same instant written at +02:00.
  return new Date(t + 2 * HOUR).toISOString().replace("Z", "+02:00");
}

function encode(m: Msg, run: string): PipelineMessage {
  const base = {
    event_id: `${run}-${m.id}`,
    user_id: `${run}-u${m.user}`,
    timestamp: iso(m.t, false),
  };
  switch (m.kind) {
    case "valid":
      return {
        payload: JSON.stringify({
          ...base,
          timestamp: iso(m.t, m.offset),
          amount: m.amount,
          ...(m.category ? { merchant_category: m.category } : {}),
        }),
      };
    case "not_json":
      return { payload: `{"event_id": "${run}-${m.id}", ` };
    case "negative":
      return { payload: JSON.stringify({ ...base, amount: -1 }) };
    case "string_amount":
      return { payload: JSON.stringify({ ...base, amount: "12.5" }) };
    case "future":
      return {
        payload: JSON.stringify({ ...base, amount: 1, timestamp: iso(NOW + 5 * MIN + 1, false) }),
      };
    case "bad_utf8":
      return { payload: new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]) };
    case "no_user":
      return {
        payload: JSON.stringify({ event_id: base.event_id, amount: 1, timestamp: base.timestamp }),
      };
  }
}

async function checkStream(
  pipeline: FeaturePipeline,
  store: FeatureStore,
  run: string,
  msgs: Msg[],
  cuts: number[],
  probes: { user: number; t: number }[],
): Promise<void> {
  const accepted: Ev[] = [];
  const seen = new Set<string>();
  let dead = 0, dup = 0;
  for (const m of msgs) {
    if (m.kind !== "valid") {
      dead++;
      continue;
    }
    const id = `${run}-${m.id}`;
    if (seen.has(id)) {
      dup++;
      continue;
    }
    seen.add(id);
    accepted.push({
      id,
      user: `${run}-u${m.user}`,
      t: m.t,
      amount: m.amount,
      category: m.category,
    });
  }
  const bounds = [
    0,
    ...cuts.map((c) => Math.floor(c * msgs.length)).sort((a, b) => a - b),
    msgs.length,
  ];
  const totals = { accepted: 0, duplicate: 0, dead_lettered: 0 };
  for (let i = 1; i < bounds.length; i++) {
    const r = await pipeline.processBatch(
      msgs.slice(bounds[i - 1], bounds[i]).map((m) => encode(m, run)),
    );
    totals.accepted += r.accepted;
    totals.duplicate += r.duplicate;
    totals.dead_lettered += r.dead_lettered;
  }
  assert.deepEqual(totals, { accepted: accepted.length, duplicate: dup, dead_lettered: dead });
  // Online: exact for request times from a little before the newest event on.
  for (const u of [0, 1, 2]) {
    const user = `${run}-u${u}`;
    // Also exactly at recent event times: an event at T must not count.
    const recent = accepted.filter((e) => e.t >= NOW - 4 * MIN).map((e) => e.t);
    for (const T of [NOW - 4 * MIN, NOW, NOW + 3 * MIN + 7, NOW + 26 * HOUR, ...recent]) {
      const online = await pipeline.getOnlineFeatures("user", user, T);
      assertClose(online.features, bruteForce(accepted, user, T), `online ${user} @${T - NOW}`);
    }
  }
  // Offline and export: exact for any time.
  for (const p of probes) {
    const user = `${run}-u${p.user}`;
    const offline = await pipeline.getOfflineFeatures("user", user, p.t);
    assertClose(offline.features, bruteForce(accepted, user, p.t), `offline ${user} @${p.t - NOW}`);
  }
  const labels = probes.map((p) => ({
    keys: { user_id: `${run}-u${p.user}` },
    timeMs: p.t,
    label: 1,
  }));
  for await (const rows of pointInTimeRows(store, pipeline.repository, labels, { chunk: 2 })) {
    for (const r of rows) {
      const T = Date.parse(r.as_of as string);
      assertClose(
        r,
        bruteForce(accepted, r.entity_id as string, T),
        `export ${r.entity_id} @${T - NOW}`,
      );
    }
  }
}

function property(
  open: () => Promise<{ pipeline: FeaturePipeline; store: FeatureStore }>,
  runs: number,
) {
  return async () => {
    const { pipeline, store } = await open();
    let runNo = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: invalid }), {
          maxLength: 80,
        }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        fc.array(fc.record({ user: fc.integer({ min: 0, max: 3 }), t: time }), { maxLength: 6 }),
        (msgs, cuts, probes) =>
          checkStream(pipeline, store, `r${Date.now()}x${runNo++}`, msgs as Msg[], cuts, probes),
      ),
      { numRuns: runs },
    );
  };
}

Deno.test("FeaturePipeline matches the brute-force rule on PGlite with the memory cache", async () => {
  const store = new PgliteFeatureStore();
  await store.migrate();
  try {
    await property(() =>
      Promise.resolve({
        store,
        pipeline: new FeaturePipeline({
          store,
          cache: new MemoryOnlineCache(),
          repository: isolatedRepository("fraud"),
          now: () => NOW,
        }),
      }), 40)();
  } finally {
    await store.close();
  }
});

Deno.test("FeaturePipeline matches the brute-force rule on Postgres with Redis", async () => {
  const env = await serviceEnv("postgres", "redis");
  const db = await createTempDatabase(env.DATABASE_URL);
  const store = new PostgresFeatureStore(db.url);
  const repository: FeatureRepository = isolatedRepository("fraud");
  const view = repository.views[0];
  const cache: OnlineCache = new RedisOnlineCache(env.REDIS_URL);
  try {
    await store.migrate();
    await property(() =>
      Promise.resolve({
        store,
        pipeline: new FeaturePipeline({ store, cache, repository, now: () => NOW }),
      }), 60)();
  } finally {
    const admin = new Redis(env.REDIS_URL);
    const keys = await admin.keys(`fv:${view.name}:*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
    await cache.close();
    await store.close();
    await db.drop();
  }
});
