/**
 * Fixtures of the edge benchmark: the demo fraud model (and the sensors
 * example's `sensor_anomaly`) trained by the platform's own trainer into a
 * temporary local registry, online states of synthetic users (devices and
 * sites) in Redis, and a 1000-instance batch body.
 *
 * @module
 */
import { Redis } from "@upstash/redis";
import { mergeEvents, toWindowEvent } from "../../../pipeline/features/mod.ts";
import { loadExample } from "../../../pipeline/definitions/load.ts";
import {
  buildDemoTrainingSet,
  CHAMPION_FEATURES,
  loadDemoEvents,
} from "../../../pipeline/examples/fraud/training.ts";
import { EXAMPLE_DEMOS } from "../../../pipeline/examples/demo.ts";
import { trainModel } from "../../../pipeline/train/mod.ts";
import { LocalRegistry } from "../../../registry/mod.ts";
import { redisKeys } from "../../../schemas/pointer.ts";

/** Trains the demo champion (the reference's eight inputs) into a new registry folder. */
export async function demoRegistry(): Promise<{ root: string; version: string; trees: unknown }> {
  const root = await Deno.makeTempDir({ prefix: "edge-bench-registry-" });
  const registry = new LocalRegistry({ root });
  const set = buildDemoTrainingSet(await loadDemoEvents());
  const { pkg } = await trainModel({
    data: set.table,
    label: "label",
    name: "fraud_detector",
    views: set.views,
    inputs: set.championInputs,
    features: [...CHAMPION_FEATURES],
  });
  const manifest = await registry.register(pkg);
  await registry.setAlias("fraud_detector", "champion", manifest.version);
  return { root, version: manifest.version, trees: manifest.params };
}

/**
 * Trains the sensors example's `sensor_anomaly` (two entities: device and
 * site) on its generated readings into `root`, as its `champion`.
 */
export async function sensorsModel(root: string): Promise<string> {
  const demo = EXAMPLE_DEMOS.sensors;
  const set = await demo.training();
  const { pkg } = await trainModel({
    data: { source: set.source, columns: Object.keys(set.records[0]), records: set.records },
    label: "label",
    name: demo.model,
    inputs: set.champion.inputs,
    requestFeatures: set.champion.requestFeatures,
    views: set.champion.views,
    acceptedFields: set.champion.acceptedFields,
    gbdt: { nTrees: 100 },
  });
  const registry = new LocalRegistry({ root });
  const manifest = await registry.register(pkg);
  await registry.setAlias(demo.model, "champion", manifest.version);
  return manifest.version;
}

/**
 * Writes online states of `devices` synthetic devices (`bench_device_<i>`)
 * and of their sites (`bench_site_<i / devicesPerSite>`), shaped like the
 * sensors generator's: 8 devices per site, one reading every 2 minutes (the
 * last 2–60 minutes of them), values in the generator's healthy ranges.
 */
export async function seedSensorsOnline(
  upstash: { url: string; token: string },
  devices: number,
  devicesPerSite = 8,
) {
  const redis = new Redis({ ...upstash, enableTelemetry: false });
  const now = Date.now();
  const repo = loadExample("sensors");
  const deviceView = repo.view("device_readings")!;
  const siteView = repo.view("site_readings")!;
  const bySite = new Map<number, { fields: Record<string, unknown>; timeMs: number }[]>();
  const p = redis.pipeline();
  for (let d = 0; d < devices; d++) {
    const readings = Array.from({ length: 1 + (d % 30) }, (_, i) => ({
      fields: {
        device_id: `bench_device_${d}`,
        temperature: 40 + ((d * 37 + i * 11) % 300) / 10,
        vibration: 2 + ((d + i) % 40) / 10,
        pressure: 100 + ((d * 17 + i) % 2000) / 10,
      },
      timeMs: now - (i + 1) * 120_000 + (d % 120) * 1000,
    }));
    const events = readings.map((r) => toWindowEvent(deviceView, r.fields, r.timeMs)!);
    const key = redisKeys.online(deviceView.name, deviceView.version, `bench_device_${d}`);
    p.set(key, JSON.stringify(mergeEvents(deviceView, null, events)), { ex: 3600 });
    const site = Math.floor(d / devicesPerSite);
    bySite.set(site, [...(bySite.get(site) ?? []), ...readings]);
  }
  for (const [s, readings] of bySite) {
    const events = readings.map((r) => toWindowEvent(siteView, r.fields, r.timeMs)!);
    const key = redisKeys.online(siteView.name, siteView.version, `bench_site_${s}`);
    p.set(key, JSON.stringify(mergeEvents(siteView, null, events)), { ex: 3600 });
  }
  await p.exec();
}

/** Writes online states of `users` synthetic users (1–20 recent events each). */
export async function seedOnline(upstash: { url: string; token: string }, users: number) {
  const redis = new Redis({ ...upstash, enableTelemetry: false });
  const now = Date.now();
  const view = loadExample("fraud").view("user_transactions")!;
  for (let start = 0; start < users; start += 200) {
    const p = redis.pipeline();
    for (let u = start; u < Math.min(users, start + 200); u++) {
      const events = Array.from({ length: 1 + (u % 20) }, (_, i) =>
        toWindowEvent(view, {
          amount: 10 + ((u * 37 + i * 11) % 500),
          merchant_category: ["grocery", "travel", "electronics", "gas_station"][(u + i) % 4],
        }, now - (i + 1) * 3_600_000 * (1 + (u % 5)))!);
      const key = redisKeys.online(view.name, view.version, `bench_user_${u}`);
      p.set(key, JSON.stringify(mergeEvents(view, null, events)), { ex: 3600 });
    }
    await p.exec();
  }
}

/** A `/predict/batch` body of `n` distinct instances with raw fields, written to a temp file. */
export async function batchBody(n: number): Promise<string> {
  const instances = Array.from({ length: n }, (_, i) => ({
    hour_of_day: i % 24,
    day_of_week: i % 7,
    is_weekend: i % 7 >= 5 ? 1 : 0,
    transaction_count_24h: i % 30,
    avg_amount_30d: 20 + (i % 200),
    amount: 1 + i * 0.37,
    merchant_category: ["grocery", "travel", "electronics", "jewelry"][i % 4],
    payment_method: ["credit_card", "debit_card", "paypal"][i % 3],
  }));
  const path = await Deno.makeTempFile({ prefix: "edge-bench-batch-", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify({ instances }));
  return path;
}
