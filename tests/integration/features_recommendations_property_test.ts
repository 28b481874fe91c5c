/**
 * Property tests of the recommendations example: random interactions
 * (impressions, clicks, purchases; duplicates, late and out-of-order
 * events, tile edges, and invalid ones: an unknown event type, a price out
 * of range, an extra field) go through `processBatch` in random batches.
 * The online and offline values of the three entity types each interaction
 * belongs to (user, item, and user × category with its composite key) must
 * equal the independent reference of the window rule, and the exported
 * point-in-time rows of impressions must equal the reference too. Runs on
 * embedded PGlite with the memory cache, and on Postgres with Redis.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Redis } from "ioredis";
import { FeaturePipeline } from "../../pipeline/feature_pipeline.ts";
import { entityIdOf } from "../../pipeline/features/mod.ts";
import { MemoryOnlineCache } from "../../pipeline/online/memory.ts";
import { RedisOnlineCache } from "../../pipeline/online/redis.ts";
import { PgliteFeatureStore } from "../../pipeline/store/pglite.ts";
import { PostgresFeatureStore } from "../../pipeline/store/postgres.ts";
import type { FeatureStore } from "../../pipeline/store/port.ts";
import { pointInTimeRows } from "../../pipeline/training_set.ts";
import { serviceEnv } from "../_services.ts";
import { createTempDatabase } from "../contracts/feature_store_fixtures.ts";
import { isolatedRepository } from "../support/views.ts";
import {
  assertFeaturesClose,
  referenceFeatures,
  type RefEvent,
} from "../support/window_reference.ts";

const NOW = Date.UTC(2026, 2, 20, 12, 0, 30, 250);
const MIN = 60_000, HOUR = 3_600_000, DAY = 24 * HOUR;

const time = fc.oneof(
  fc.integer({ min: NOW - 8 * DAY, max: NOW + 5 * MIN }),
  fc.integer({ min: NOW - 90 * MIN, max: NOW }),
  fc.tuple(
    fc.constantFrom(MIN, HOUR, DAY),
    fc.integer({ min: -8, max: 0 }),
    fc.constantFrom(-1, 0, 1),
  ).map(([g, k, d]) => (Math.floor(NOW / g) + k) * g + d),
);
const interaction = fc.record({
  id: fc.integer({ min: 0, max: 80 }),
  user: fc.integer({ min: 0, max: 2 }),
  item: fc.integer({ min: 0, max: 3 }),
  // Categories with characters a composite key must encode.
  category: fc.constantFrom("books", "home:garden", "toys & games"),
  type: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("impression", "click", "purchase") },
    { weight: 1, arbitrary: fc.constant("view") },
  ),
  t: time,
  price: fc.oneof(
    fc.constant(undefined),
    fc.integer({ min: 0, max: 100_000 }),
    fc.constant(100_001),
  ),
  extra: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});
type Interaction = typeof interaction extends fc.Arbitrary<infer T> ? T : never;

function payload(r: Interaction, run: string): Record<string, unknown> {
  const p: Record<string, unknown> = {
    event_id: `${run}-${r.id}`,
    user_id: `${run}-u${r.user}`,
    item_id: `${run}-i${r.item}`,
    item_category: r.category,
    event_type: r.type,
    timestamp: new Date(r.t).toISOString().replace("Z", ""),
  };
  if (r.price !== undefined) p.price = r.price;
  if (r.extra) p.position = 3;
  return p;
}

const isValid = (r: Interaction) =>
  r.type !== "view" && (r.price === undefined || r.price <= 100_000) && !r.extra;

async function checkStream(
  pipeline: FeaturePipeline,
  store: FeatureStore,
  run: string,
  interactions: Interaction[],
  cuts: number[],
): Promise<void> {
  const repo = pipeline.repository;
  const accepted: RefEvent[] = [];
  const seen = new Set<number>();
  let dead = 0;
  for (const r of interactions) {
    if (!isValid(r)) dead++;
    else if (!seen.has(r.id)) {
      seen.add(r.id);
      accepted.push({ timeMs: r.t, event: payload(r, run) });
    }
  }
  const bounds = [
    0,
    ...cuts.map((c) => Math.floor(c * interactions.length)).sort((a, b) => a - b),
    interactions.length,
  ];
  let total = 0, rejected = 0;
  for (let i = 1; i < bounds.length; i++) {
    const batch = interactions.slice(bounds[i - 1], bounds[i]).map((r) => ({
      payload: JSON.stringify(payload(r, run)),
    }));
    const res = await pipeline.processBatch(batch);
    total += res.accepted;
    rejected += res.dead_lettered;
  }
  assert.deepEqual([total, rejected], [accepted.length, dead]);
  for (const view of repo.views) {
    const ids = new Set(accepted.map((e) => entityIdOf(view.keys, e.event)!));
    const of = (id: string) => accepted.filter((e) => entityIdOf(view.keys, e.event) === id);
    for (const id of ids) {
      for (const T of [NOW, NOW + 4 * MIN + 1, NOW + 2 * HOUR]) {
        const online = await pipeline.getOnlineFeatures(view.entity, id, T);
        assertFeaturesClose(
          online.features,
          referenceFeatures(view, of(id), T),
          `online ${view.entity} ${id}@${T - NOW}`,
        );
      }
      const T = NOW - 37 * MIN;
      const offline = await pipeline.getOfflineFeatures(view.entity, id, T);
      assertFeaturesClose(
        offline.features,
        referenceFeatures(view, of(id), T),
        `offline ${view.entity} ${id}`,
      );
    }
  }
  // Point-in-time rows of impressions: every view's features as of the impression (before it).
  const sample = accepted.filter((e) => e.event.event_type === "impression" && e.timeMs <= NOW)
    .slice(0, 10);
  const labels = sample.map((e) => ({
    keys: {},
    eventId: String(e.event.event_id),
    timeMs: e.timeMs,
    label: 0,
  }));
  const exported = new Map<string, Record<string, unknown>>();
  for await (const chunk of pointInTimeRows(store, repo, labels, { chunk: 4 })) {
    for (const r of chunk) exported.set(String(r.event_id), r);
  }
  for (const e of sample) {
    const record = exported.get(String(e.event.event_id))!;
    for (const view of repo.views) {
      const id = entityIdOf(view.keys, e.event);
      const events = accepted.filter((x) => entityIdOf(view.keys, x.event) === id);
      assertFeaturesClose(
        record,
        referenceFeatures(view, events, e.timeMs),
        `point-in-time ${view.entity} of ${e.event.event_id}`,
      );
    }
    const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
    assert.ok(
      Math.abs(
        (record.user_ctr_24h as number) -
          ratio(record.user_clicks_24h as number, record.user_impressions_24h as number),
      ) < 1e-9,
    );
    assert.equal(record.price, typeof e.event.price === "number" ? e.event.price : 0);
  }
}

function property(open: () => { pipeline: FeaturePipeline; store: FeatureStore }, runs: number) {
  return async () => {
    const { pipeline, store } = open();
    let runNo = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(interaction, { maxLength: 50 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
        (list, cuts) => checkStream(pipeline, store, `r${runNo++}`, list, cuts),
      ),
      { numRuns: runs },
    );
  };
}

Deno.test("FeaturePipeline computes the user, item and user × category entities of the recommendations example as the reference does, on PGlite", async () => {
  const store = new PgliteFeatureStore();
  await store.migrate();
  const cache = new MemoryOnlineCache();
  try {
    await property(() => ({
      store,
      pipeline: new FeaturePipeline({
        store,
        cache,
        repository: isolatedRepository("recommendations"),
        now: () => NOW,
      }),
    }), 25)();
  } finally {
    await store.close();
  }
});

Deno.test("FeaturePipeline computes the user, item and user × category entities of the recommendations example as the reference does, on Postgres with Redis", async () => {
  const env = await serviceEnv("postgres", "redis");
  const db = await createTempDatabase(env.DATABASE_URL);
  const store = new PostgresFeatureStore(db.url);
  const repository = isolatedRepository("recommendations");
  const cache = new RedisOnlineCache(env.REDIS_URL);
  try {
    await store.migrate();
    await property(() => ({
      store,
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
