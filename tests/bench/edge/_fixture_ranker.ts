/**
 * Fixtures of the edge benchmark's ranking rows: the recommendations
 * example's `ctr_ranker` trained by the platform's own trainer, the online
 * states of its generated interactions (users, items and user × category,
 * ids prefixed `bench_`) in Redis, a file of `/rank` bodies (one user and
 * 100 candidates a line) and a `/predict/batch` body of 100 instances with
 * the same model's features in the body.
 *
 * @module
 */
import { Redis } from "@upstash/redis";
import { entityIdOf, mergeEvents, toWindowEvent } from "../../../pipeline/features/mod.ts";
import { loadExample } from "../../../pipeline/definitions/load.ts";
import { EXAMPLE_DEMOS } from "../../../pipeline/examples/demo.ts";
import { generateInteractions } from "../../../pipeline/examples/recommendations/generator.ts";
import {
  RANKER_FEATURES,
  rankerTrainingSet,
} from "../../../pipeline/examples/recommendations/training.ts";
import { trainModel } from "../../../pipeline/train/mod.ts";
import { LocalRegistry } from "../../../registry/mod.ts";
import { redisKeys } from "../../../schemas/pointer.ts";

/** Candidates of every `/rank` request and instances of the `/predict/batch` it is compared with. */
export const RANK_CANDIDATES = 100;

/** Trains `ctr_ranker` on the example's generated interactions into `root`, as its `champion`. */
export async function rankerModel(root: string): Promise<string> {
  const demo = EXAMPLE_DEMOS.recommendations;
  const set = await demo.training();
  const { pkg } = await trainModel({
    data: { source: set.source, columns: Object.keys(set.records[0]), records: set.records },
    label: "label",
    name: demo.model,
    inputs: set.champion.inputs,
    requestFeatures: set.champion.requestFeatures,
    views: set.champion.views,
    acceptedFields: set.champion.acceptedFields,
    gbdt: set.gbdt,
  });
  const registry = new LocalRegistry({ root });
  const manifest = await registry.register(pkg);
  await registry.setAlias(demo.model, "champion", manifest.version);
  return manifest.version;
}

/**
 * Writes the online state of every user, item and user × category of the
 * generated interactions (ending now) to Redis, and the request bodies:
 * `rankPath` holds one `/rank` body a line (each user with 100 items of the
 * catalogue, a different slice for each), `batchPath` one `/predict/batch`
 * body of 100 impressions with their point-in-time features in the body.
 */
export async function seedRanking(
  upstash: { url: string; token: string },
): Promise<{ rankPath: string; batchPath: string; users: number }> {
  const repo = loadExample("recommendations");
  const data = generateInteractions({ endMs: Date.now() - 1000 }).map(({ event, timeMs }) => ({
    event: { ...event, user_id: `bench_${event.user_id}`, item_id: `bench_${event.item_id}` },
    timeMs,
  }));
  const redis = new Redis({ ...upstash, enableTelemetry: false });
  for (const view of repo.views) {
    const by = new Map<string, ReturnType<typeof toWindowEvent>[]>();
    for (const { event, timeMs } of data) {
      const id = entityIdOf(view.keys, event)!;
      const list = by.get(id) ?? [];
      list.push(toWindowEvent(view, event, timeMs));
      by.set(id, list);
    }
    const entries = [...by];
    for (let i = 0; i < entries.length; i += 200) {
      const p = redis.pipeline();
      for (const [id, events] of entries.slice(i, i + 200)) {
        const state = mergeEvents(view, null, events.filter((e) => e !== null));
        p.set(redisKeys.online(view.name, view.version, id), JSON.stringify(state), { ex: 3600 });
      }
      await p.exec();
    }
  }
  const items = new Map<string, { item_id: string; item_category: string; price: number }>();
  for (const { event: e } of data) {
    if (!items.has(e.item_id)) {
      items.set(e.item_id, { item_id: e.item_id, item_category: e.item_category, price: e.price });
    }
  }
  const catalogue = [...items.values()];
  const users = [...new Set(data.map((d) => d.event.user_id))];
  const bodies = users.map((user_id, u) => {
    const start = (u * 13) % catalogue.length;
    const candidates = Array.from(
      { length: RANK_CANDIDATES },
      (_, k) => catalogue[(start + k) % catalogue.length],
    );
    return JSON.stringify({ model_name: "ctr_ranker", user_id, candidates });
  });
  const rankPath = await Deno.makeTempFile({ prefix: "edge-bench-rank-", suffix: ".jsonl" });
  await Deno.writeTextFile(rankPath, bodies.join("\n") + "\n");
  // The same model's inputs, in the body: the newest impressions' point-in-time rows.
  const windowed = repo.views.flatMap((v) => v.windowFeatures.map((f) => f.name))
    .filter((n) => (RANKER_FEATURES as readonly string[]).includes(n));
  const rows = rankerTrainingSet(repo, data).slice(-RANK_CANDIDATES);
  const instances = rows.map((r) =>
    Object.fromEntries([...windowed, "price"].map((n) => [n, r[n] as number]))
  );
  const batchPath = await Deno.makeTempFile({ prefix: "edge-bench-batch100-", suffix: ".json" });
  await Deno.writeTextFile(batchPath, JSON.stringify({ model_name: "ctr_ranker", instances }));
  return { rankPath, batchPath, users: users.length };
}
