/**
 * Fixtures of the edge benchmark: the demo fraud model trained by the
 * platform's own trainer into a temporary local registry, online states of
 * synthetic users in Redis, and a 1000-instance batch body.
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
