/**
 * Benchmark of the feature pipeline (`deno task bench:features [--quick]`):
 * processBatch throughput into real Postgres + Redis (1 and 2 workers, 4
 * batches in flight, then sustained over a large sparse population and dense
 * over a small one) and into PGlite, freshness at 5 000 events/s,
 * point-in-time export rows/s (again after the dense history), online read
 * latency over HTTP from Redis, the pure window read per call, and sensor
 * readings (the sensors example: two entities per reading) into Postgres +
 * Redis.
 *
 * Needs `deno task services:up postgres redis`. Works in a throw-away
 * database and a view name of its own, removed at the end.
 *
 * @module
 */
import { Redis } from "ioredis";
import { FeaturePipeline, type PipelineMessage } from "../../pipeline/feature_pipeline.ts";
import {
  computeWindowFeatures,
  type FeatureView,
  parseOnlineState,
} from "../../pipeline/features/mod.ts";
import type { FeatureRepository } from "../../pipeline/definitions/repository.ts";
import { isolatedRepository } from "../support/views.ts";
import { createFeatureApp } from "../../pipeline/http.ts";
import { exportTrainingSet } from "../../pipeline/export.ts";
import { RedisOnlineCache } from "../../pipeline/online/redis.ts";
import { MemoryOnlineCache } from "../../pipeline/online/memory.ts";
import { PgliteFeatureStore } from "../../pipeline/store/pglite.ts";
import { PostgresFeatureStore } from "../../pipeline/store/postgres.ts";
import { redisKeys } from "../../schemas/pointer.ts";
import { serviceEnv } from "../_services.ts";
import { createTempDatabase } from "../contracts/feature_store_fixtures.ts";
import { benchFlags } from "../_help.ts";

const flags = benchFlags(import.meta.url, { quick: { type: "boolean", default: false } });

const quick = flags.quick;
const CATEGORIES = ["grocery", "restaurant", "travel", "electronics", "jewelry", "gas_station"];
const NOW = Date.now();
let seq = 0;

const DEVICES = ["mobile", "desktop", "tablet"];
const PLACES = [["US", "New York"], ["BR", "Sao Paulo"], ["UK", "London"]];

/** An event shaped like `demo_events.jsonl` (UUID id, device, location), ~300 bytes. */
function message(users: number, spreadMs: number, atMs = NOW): PipelineMessage {
  const i = seq++;
  const [country, city] = PLACES[i % PLACES.length];
  return {
    payload: JSON.stringify({
      event_id: crypto.randomUUID(),
      user_id: `user_${(i * 7919) % users}`,
      amount: Math.round(((i * 37) % 50000) + 100) / 100,
      timestamp: new Date(atMs - ((i * 104729) % spreadMs)).toISOString(),
      merchant_category: CATEGORIES[i % CATEGORIES.length],
      payment_method: i % 3 ? "credit_card" : "debit_card",
      device_type: DEVICES[i % DEVICES.length],
      location: { country, city },
      risk_score: (i % 100) / 100,
    }),
  };
}

/** A reading shaped like the sensors example's generator writes (two entities: device, site). */
function reading(devices: number, spreadMs: number, atMs = NOW): PipelineMessage {
  const i = seq++;
  const d = (i * 7919) % devices;
  return {
    payload: JSON.stringify({
      event_id: crypto.randomUUID(),
      device_id: `device_${d}`,
      site_id: `site_${d % 200}`,
      timestamp: new Date(atMs - ((i * 104729) % spreadMs)).toISOString(),
      temperature: Math.round(400 + ((i * 37) % 300)) / 10,
      vibration: Math.round(20 + ((i * 13) % 40)) / 10,
      pressure: Math.round(1000 + ((i * 17) % 2000)) / 10,
    }),
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function throughput(
  label: string,
  pipelines: FeaturePipeline[],
  batches: number,
  users: number,
  make: (users: number, spreadMs: number) => PipelineMessage = message,
): Promise<number> {
  const size = 1000;
  const all = Array.from(
    { length: batches * pipelines.length },
    () => Array.from({ length: size }, () => make(users, 2 * 86_400_000)),
  );
  for (let i = 0; i < 3; i++) {
    await pipelines[0].processBatch(Array.from({ length: size }, () => make(users, 86_400_000)));
  }
  const t0 = performance.now();
  await Promise.all(pipelines.map(async (p, w) => {
    for (let b = w; b < all.length; b += pipelines.length) await p.processBatch(all[b]);
  }));
  const s = (performance.now() - t0) / 1000;
  const rate = (all.length * size) / s;
  console.log(
    `${label}: ${all.length * size} events in ${s.toFixed(2)} s = ${Math.round(rate)} events/s`,
  );
  return rate;
}

async function freshness(pipeline: FeaturePipeline, rate: number, seconds: number, users: number) {
  // Events arrive at `rate`/s; a consumer loop takes whatever has arrived
  // (up to 1000) and processes it; freshness = visible online - arrival.
  const start = performance.now();
  const total = Math.floor(rate * seconds);
  const lat: number[] = [];
  let taken = 0;
  while (taken < total) {
    const now = performance.now();
    const arrived = Math.min(total, Math.floor(((now - start) / 1000) * rate));
    if (arrived <= taken) {
      await new Promise((r) => setTimeout(r, 2));
      continue;
    }
    const n = Math.min(1000, arrived - taken);
    const arrivals = Array.from({ length: n }, (_, k) => start + ((taken + k) / rate) * 1000);
    await pipeline.processBatch(Array.from({ length: n }, () => message(users, 3_600_000)));
    const done = performance.now();
    for (const a of arrivals) lat.push(done - a);
    taken += n;
  }
  lat.sort((a, b) => a - b);
  console.log(
    `freshness at ${rate} events/s for ${seconds} s (Postgres + Redis): p50 ${
      pct(lat, 0.5).toFixed(1)
    } ms, p99 ${pct(lat, 0.99).toFixed(1)} ms, max ${lat[lat.length - 1].toFixed(1)} ms`,
  );
}

async function onlineReads(
  pipeline: FeaturePipeline,
  cache: RedisOnlineCache,
  view: FeatureView,
  users: number,
) {
  const app = createFeatureApp({ pipeline });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}/features/user`;
  const n = quick ? 500 : 5000;
  const lat: number[] = [];
  for (let i = 0; i < n + 200; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/user_${(i * 31) % users}/online`);
    await res.json();
    if (i >= 200) lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  await wrkOnline(`${url}/user_0/online`);
  await server.shutdown();
  console.log(
    `GET /features/user/{id}/online from Redis, sequential, ${n} requests: p50 ${
      pct(lat, 0.5).toFixed(3)
    } ms, p99 ${pct(lat, 0.99).toFixed(3)} ms`,
  );
  const [raw] = await cache.getMany([redisKeys.online(view.name, view.version, "user_0")]);
  const state = parseOnlineState(raw);
  const iters = 200_000;
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) {
    sink += computeWindowFeatures(view, state, NOW + i).transaction_count_24h;
  }
  const us = ((performance.now() - t0) * 1000) / iters;
  console.log(
    `computeWindowFeatures (state of ${raw?.length ?? 0} bytes): ${us.toFixed(2)} µs/call (${
      sink > 0 ? "ok" : "empty"
    })`,
  );
}

/** Latency under load from `wrk` (a separate process), when it is installed. */
async function wrkOnline(url: string) {
  try {
    const out = await new Deno.Command("wrk", {
      args: ["-t1", "-c8", `-d${quick ? 2 : 8}s`, "--latency", url],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const p99 = /99%\s+(\S+)/.exec(text)?.[1];
    const p50 = /50%\s+(\S+)/.exec(text)?.[1];
    const rps = /Requests\/sec:\s+(\S+)/.exec(text)?.[1];
    console.log(
      `GET /features/user/{id}/online from Redis, wrk -c8: ${rps} req/s, p50 ${p50}, p99 ${p99}`,
    );
  } catch {
    console.log("wrk not installed: skipped the concurrent online read measurement");
  }
}

async function exportRate(
  store: PostgresFeatureStore,
  repository: FeatureRepository,
  users: number,
  note = "",
) {
  const rows = quick ? 20_000 : 200_000;
  const labels = Array.from({ length: rows }, (_, i) => ({
    keys: { user_id: `user_${(i * 13) % users}` },
    timeMs: NOW - ((i * 7907) % (2 * 86_400_000)),
    label: i % 2,
  }));
  const dir = await Deno.makeTempDir({ prefix: "bench-export-" });
  try {
    for (const ext of ["parquet", "csv"]) {
      const t0 = performance.now();
      const n = await exportTrainingSet(store, repository, labels, `${dir}/set.${ext}`, {
        chunk: 5000,
      });
      const s = (performance.now() - t0) / 1000;
      console.log(
        `export ${n} rows to .${ext} (Postgres${note ? `, ${note}` : ""}): ${
          Math.round(n / s)
        } rows/s`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function main() {
  const env = await serviceEnv("postgres", "redis");
  const db = await createTempDatabase(env.DATABASE_URL);
  const repository = isolatedRepository("fraud");
  const sensors = isolatedRepository("sensors");
  const view: FeatureView = repository.views[0];
  const stores = [new PostgresFeatureStore(db.url, { maxConnections: 4 })];
  const caches = [new RedisOnlineCache(env.REDIS_URL), new RedisOnlineCache(env.REDIS_URL)];
  const users = 50_000;
  try {
    await stores[0].migrate();
    const pipes = caches.map((cache) =>
      new FeaturePipeline({ store: stores[0], cache, repository })
    );
    const batches = quick ? 5 : 60;
    await throughput(
      "processBatch Postgres + Redis, 1 worker, batches of 1000",
      [pipes[0]],
      batches,
      users,
    );
    await throughput(
      "processBatch Postgres + Redis, 2 workers, batches of 1000",
      pipes,
      batches / 2,
      users,
    );
    // How an ingest worker runs it: one pipeline, INGEST_CONCURRENCY (default 4)
    // batches in flight, so Postgres, Redis and the JS thread overlap.
    await throughput(
      "processBatch Postgres + Redis, 4 batches in flight on one pipeline (ingest worker default), batches of 1000",
      [pipes[0], pipes[0], pipes[0], pipes[0]],
      batches / 4,
      users,
    );
    await freshness(pipes[0], 5000, quick ? 2 : 10, users);
    await exportRate(stores[0], repository, users);
    await onlineReads(pipes[0], caches[0], view, users);
    // Sustained: ten times the events, from a population five times larger
    // (about one event per user in this run, as sparse as the demo data).
    await throughput(
      "processBatch Postgres + Redis, 2 workers, sustained: 300k events over 250k users",
      pipes,
      quick ? 5 : 150,
      5 * users,
    );
    // Dense: the same volume again on the first 50k users, whose online
    // states then hold a dozen events each (bigger to parse and write).
    await throughput(
      "processBatch Postgres + Redis, 2 workers, dense: 300k more events over the first 50k users",
      pipes,
      quick ? 5 : 150,
      users,
    );
    await exportRate(stores[0], repository, users, "dense history");
    // Sensor readings: each updates a device and a site (two views, two entity types).
    const sensorPipes = caches.map((cache) =>
      new FeaturePipeline({ store: stores[0], cache, repository: sensors })
    );
    await throughput(
      "processBatch sensor readings (device + site) Postgres + Redis, 1 worker, batches of 1000",
      [sensorPipes[0]],
      batches,
      users,
      reading,
    );
    await throughput(
      "processBatch sensor readings (device + site) Postgres + Redis, 2 workers, batches of 1000",
      sensorPipes,
      batches / 2,
      users,
      reading,
    );
    const liteDir = await Deno.makeTempDir({ prefix: "bench-pglite-" });
    try {
      // PGlite's WASM is compiled in tiers: the first thousands of rows run on the
      // baseline tier. A throw-away instance first measures the steady state.
      const warm = new PgliteFeatureStore();
      await warm.migrate();
      const wp = new FeaturePipeline({
        store: warm,
        cache: new MemoryOnlineCache(),
        repository,
      });
      for (let i = 0; i < (quick ? 2 : 8); i++) {
        await wp.processBatch(Array.from({ length: 1000 }, () => message(users, 86_400_000)));
      }
      await warm.close();
      for (const [label, dir] of [["in memory", undefined], ["file-backed", liteDir]] as const) {
        const lite = new PgliteFeatureStore(dir);
        try {
          await lite.migrate();
          const p = new FeaturePipeline({
            store: lite,
            cache: new MemoryOnlineCache(),
            repository,
          });
          await throughput(
            `processBatch PGlite (${label}) + memory cache, batches of 1000`,
            [p],
            quick ? 3 : 20,
            users,
          );
        } finally {
          await lite.close();
        }
      }
    } finally {
      await Deno.remove(liteDir, { recursive: true });
    }
  } finally {
    const admin = new Redis(env.REDIS_URL);
    for (const v of [...repository.views, ...sensors.views]) {
      let cursor = "0";
      do {
        const [next, keys] = await admin.scan(cursor, "MATCH", `fv:${v.name}:*`, "COUNT", 5000);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== "0");
    }
    await admin.quit();
    for (const c of caches) await c.close();
    for (const s of stores) await s.close();
    await db.drop();
  }
}

if (import.meta.main) await main();
