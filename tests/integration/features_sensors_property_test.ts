/**
 * Property tests of the sensors example: random readings (absent and null
 * values, duplicates, late and out-of-order events, tile edges) go through
 * `processBatch` in random batches; the online and offline values of both
 * entity types each reading belongs to (device and site), and the exported
 * point-in-time rows, must equal the independent reference of the window
 * rule. Then, for the same events, the row the edge serves must equal the
 * row training reads: both go through the one row assembler. Runs on
 * embedded PGlite with the memory cache, and on Postgres with Redis.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Redis } from "ioredis";
import { FeaturePipeline } from "../../pipeline/feature_pipeline.ts";
import {
  computeWindowFeatures,
  parseOnlineState,
  RowAssembler,
} from "../../pipeline/features/mod.ts";
import { MemoryOnlineCache } from "../../pipeline/online/memory.ts";
import { RedisOnlineCache } from "../../pipeline/online/redis.ts";
import type { OnlineCache } from "../../pipeline/online/port.ts";
import { PgliteFeatureStore } from "../../pipeline/store/pglite.ts";
import { PostgresFeatureStore } from "../../pipeline/store/postgres.ts";
import type { FeatureStore } from "../../pipeline/store/port.ts";
import { pointInTimeRows } from "../../pipeline/training_set.ts";
import { SENSOR_FEATURES } from "../../pipeline/examples/sensors/demo.ts";
import { redisKeys } from "../../schemas/pointer.ts";
import { serviceEnv } from "../_services.ts";
import { createTempDatabase } from "../contracts/feature_store_fixtures.ts";
import { isolatedRepository } from "../support/views.ts";
import {
  assertFeaturesClose,
  referenceFeatures,
  type RefEvent,
} from "../support/window_reference.ts";

const NOW = Date.UTC(2026, 2, 20, 12, 0, 30, 250);
const MIN = 60_000, HOUR = 3_600_000;

const time = fc.oneof(
  fc.integer({ min: NOW - 26 * HOUR, max: NOW + 5 * MIN }),
  fc.integer({ min: NOW - 90 * MIN, max: NOW }),
  fc.tuple(fc.constantFrom(MIN, HOUR), fc.integer({ min: -30, max: 0 }), fc.constantFrom(-1, 0, 1))
    .map(([g, k, d]) => (Math.floor(NOW / g) + k) * g + d),
);
const value = (min: number, max: number) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.integer({ min: min * 10, max: max * 10 }).map((v) => v / 10) },
  );
const reading = fc.record({
  id: fc.integer({ min: 0, max: 60 }),
  device: fc.integer({ min: 0, max: 2 }),
  site: fc.integer({ min: 0, max: 1 }),
  t: time,
  temperature: value(-50, 150),
  vibration: value(0, 100),
  pressure: value(0, 2000),
});
type Reading = typeof reading extends fc.Arbitrary<infer T> ? T : never;

function payload(r: Reading, run: string): Record<string, unknown> {
  const p: Record<string, unknown> = {
    event_id: `${run}-${r.id}`,
    device_id: `${run}-d${r.device}`,
    site_id: `${run}-s${r.site}`,
    timestamp: new Date(r.t).toISOString(),
  };
  for (const k of ["temperature", "vibration", "pressure"] as const) {
    if (r[k] !== undefined) p[k] = r[k];
  }
  return p;
}

async function checkStream(
  pipeline: FeaturePipeline,
  store: FeatureStore,
  cache: OnlineCache,
  run: string,
  readings: Reading[],
  cuts: number[],
): Promise<void> {
  const repo = pipeline.repository;
  const accepted: RefEvent[] = [];
  const seen = new Set<number>();
  let dead = 0;
  for (const r of readings) {
    const p = payload(r, run);
    const valid = [p.temperature, p.vibration, p.pressure].some((v) =>
      v !== undefined && v !== null
    );
    if (!valid) dead++;
    else if (!seen.has(r.id)) {
      seen.add(r.id);
      accepted.push({ timeMs: r.t, event: p });
    }
  }
  const bounds = [
    0,
    ...cuts.map((c) => Math.floor(c * readings.length)).sort((a, b) => a - b),
    readings.length,
  ];
  let total = 0, rejected = 0;
  for (let i = 1; i < bounds.length; i++) {
    const batch = readings.slice(bounds[i - 1], bounds[i]).map((r) => ({
      payload: JSON.stringify(payload(r, run)),
    }));
    const res = await pipeline.processBatch(batch);
    total += res.accepted;
    rejected += res.dead_lettered;
  }
  assert.deepEqual([total, rejected], [accepted.length, dead]);
  const of = (key: string, id: string) => accepted.filter((e) => e.event[key] === id);
  for (const view of repo.views) {
    const key = view.keys[0];
    for (const id of [...new Set(accepted.map((e) => e.event[key] as string))]) {
      for (const T of [NOW, NOW + 4 * MIN + 1, NOW + 2 * HOUR]) {
        const online = await pipeline.getOnlineFeatures(view.entity, id, T);
        assertFeaturesClose(
          online.features,
          referenceFeatures(view, of(key, id), T),
          `online ${id}@${T - NOW}`,
        );
      }
      const T = NOW - 37 * MIN;
      const offline = await pipeline.getOfflineFeatures(view.entity, id, T);
      assertFeaturesClose(
        offline.features,
        referenceFeatures(view, of(key, id), T),
        `offline ${id}`,
      );
    }
  }
  // Served rows (request = the reading, online values as of its time) equal training rows.
  const rows = new RowAssembler({
    ...repo.modelFeatures(SENSOR_FEATURES),
    views: repo.modelFeatures(SENSOR_FEATURES).views,
  });
  const sample = accepted.filter((e) => e.timeMs <= NOW).slice(0, 12);
  const labels = sample.map((e) => ({
    keys: {},
    eventId: String(e.event.event_id),
    timeMs: e.timeMs,
    label: 0,
  }));
  const exported = new Map<string, Record<string, unknown>>();
  for await (const chunk of pointInTimeRows(store, repo, labels, { chunk: 5 })) {
    for (const r of chunk) exported.set(String(r.event_id), r);
  }
  for (const e of sample) {
    const record = exported.get(String(e.event.event_id))!;
    const training = rows.assemble({ fields: record as Record<string, never>, timeMs: e.timeMs });
    // Serving: the request carries the reading's values; the views are read as of its time.
    const viewValues = rows.views.map((v) => {
      const events = of(v.keys[0], e.event[v.keys[0]] as string).filter((x) => x.timeMs < e.timeMs);
      return referenceFeatures(v, events, e.timeMs);
    });
    const fields: Record<string, number | string> = {};
    for (const k of ["temperature", "vibration", "pressure"]) {
      if (typeof e.event[k] === "number") fields[k] = e.event[k] as number;
    }
    const served = rows.assemble({ fields, views: viewValues, timeMs: e.timeMs });
    assert.deepEqual(served.missing, training.missing, `missing of ${e.event.event_id}`);
    served.row.forEach((v, i) => {
      const w = training.row[i];
      assert.ok(
        Math.abs(v - w) <= 1e-5 * Math.max(1, Math.abs(w)),
        `${rows.names[i]} of ${e.event.event_id}: served ${v}, trained ${w}`,
      );
    });
  }
  // And what the edge reads online is what the reference gives, so the served rows above are the edge's.
  const d0 = accepted[0];
  if (d0) {
    const view = repo.views[0];
    const id = d0.event.device_id as string;
    const [raw] = await cache.getMany([redisKeys.online(view.name, view.version, id)]);
    assertFeaturesClose(
      computeWindowFeatures(view, parseOnlineState(raw), NOW + 1),
      referenceFeatures(view, of("device_id", id), NOW + 1),
      "edge read",
    );
  }
}

function property(
  open: () => { pipeline: FeaturePipeline; store: FeatureStore; cache: OnlineCache },
  runs: number,
) {
  return async () => {
    const { pipeline, store, cache } = open();
    let runNo = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(reading, { maxLength: 50 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
        (readings, cuts) => checkStream(pipeline, store, cache, `r${runNo++}`, readings, cuts),
      ),
      { numRuns: runs },
    );
  };
}

Deno.test("FeaturePipeline computes both entities of the sensors example as the reference does, on PGlite", async () => {
  const store = new PgliteFeatureStore();
  await store.migrate();
  const cache = new MemoryOnlineCache();
  try {
    await property(() => ({
      store,
      cache,
      pipeline: new FeaturePipeline({
        store,
        cache,
        repository: isolatedRepository("sensors"),
        now: () => NOW,
      }),
    }), 25)();
  } finally {
    await store.close();
  }
});

Deno.test("FeaturePipeline computes both entities of the sensors example as the reference does, on Postgres with Redis", async () => {
  const env = await serviceEnv("postgres", "redis");
  const db = await createTempDatabase(env.DATABASE_URL);
  const store = new PostgresFeatureStore(db.url);
  const repository = isolatedRepository("sensors");
  const cache = new RedisOnlineCache(env.REDIS_URL);
  try {
    await store.migrate();
    await property(() => ({
      store,
      cache,
      pipeline: new FeaturePipeline({ store, cache, repository, now: () => NOW }),
    }), 25)();
  } finally {
    const admin = new Redis(env.REDIS_URL);
    for (const v of repository.views) {
      const keys = await admin.keys(`fv:${v.name}:*`);
      if (keys.length > 0) await admin.del(...keys);
    }
    await admin.quit();
    await cache.close();
    await store.close();
    await db.drop();
  }
});
