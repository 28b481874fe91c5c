import assert from "node:assert/strict";
import { mergeEvents, toWindowEvent, viewManifestEntry } from "../pipeline/features/mod.ts";
import { entityIdOf } from "../pipeline/features/view.ts";
import { loadExample } from "../pipeline/definitions/load.ts";
import { RANKER_FEATURES } from "../pipeline/examples/recommendations/training.ts";
import { redisKeys } from "../schemas/pointer.ts";
import { RankResponseSchema } from "../schemas/prediction.ts";
import { LocalRegistry } from "../registry/mod.ts";
import { testApp } from "../tests/support/edge_app.ts";
import { MemoryKeyValue, MemoryOnlineReader } from "./online/mod.ts";
import { jsonPost, logisticPackage } from "../tests/support/edge.ts";

const NOW = Date.parse("2026-03-20T12:00:00Z");
const MIN = 60_000;
const repo = loadExample("recommendations");

class CountingKeyValue extends MemoryKeyValue {
  calls: string[][] = [];
  override mget(keys: string[]) {
    this.calls.push(keys);
    return super.mget(keys);
  }
}

/** A registry whose `ctr_ranker` champion reads the user, item and user × category views. */
async function rankerRegistry(): Promise<LocalRegistry> {
  const root = await Deno.makeTempDir({ prefix: "edge-rank-" });
  const registry = new LocalRegistry({ root });
  const m = repo.modelFeatures(RANKER_FEATURES);
  const weights = RANKER_FEATURES.map((f) =>
    f === "user_category_clicks_7d" ? 0.8 : f === "item_ctr_24h" ? 2 : f === "price" ? -0.01 : 0
  );
  const pkg = await logisticPackage({ name: "ctr_ranker", inputs: m.inputs, weights });
  pkg.manifest.feature_views = m.views.map(viewManifestEntry);
  pkg.manifest.request_features = m.requestFeatures;
  pkg.manifest.accepted_fields = m.acceptedFields;
  const v = await registry.register(pkg);
  await registry.setAlias("ctr_ranker", "champion", v.version);
  return registry;
}

const ev = (minutesAgo: number, user: string, item: string, cat: string, type: string) => ({
  user_id: user,
  item_id: item,
  item_category: cat,
  event_type: type,
  timestamp: new Date(NOW - minutesAgo * MIN).toISOString(),
});

/** Online states of every view for a few interactions; the newest is 5 minutes old. */
function kvWithInteractions(): CountingKeyValue {
  const kv = new CountingKeyValue();
  const events = [
    ev(50, "u1", "i1", "cat_a", "impression"),
    ev(49, "u1", "i1", "cat_a", "click"),
    ev(40, "u1", "i3", "cat_a", "impression"),
    ev(39, "u1", "i3", "cat_a", "click"),
    ev(30, "u2", "i2", "cat_b", "impression"),
    ev(20, "u2", "i1", "cat_a", "impression"),
    ev(5, "u2", "i2", "cat_b", "click"),
  ];
  for (const view of repo.views) {
    const by = new Map<string, typeof events>();
    for (const e of events) {
      const id = entityIdOf(view.keys, e)!;
      by.set(id, [...(by.get(id) ?? []), e]);
    }
    for (const [id, list] of by) {
      const state = mergeEvents(
        view,
        null,
        list.map((e) => toWindowEvent(view, e, Date.parse(e.timestamp))!),
      );
      kv.set(redisKeys.online(view.name, view.version, id), JSON.stringify(state));
    }
  }
  return kv;
}

async function rankApp(kv = kvWithInteractions()) {
  return await testApp(
    { defaultModel: "ctr_ranker" },
    { clock: { now: () => NOW }, online: new MemoryOnlineReader(kv) },
    { registry: await rankerRegistry() },
  );
}

const CANDIDATES = [
  { item_id: "i2", item_category: "cat_b", price: 30 },
  { item_id: "i1", item_category: "cat_a", price: 10 },
  { item_id: "i3", item_category: "cat_a" },
  { item_id: "i9", item_category: "cat_c", price: 5 },
];

Deno.test("createApp() POST /rank reads every entity once in one MGET, scores in one run and sorts by score", async () => {
  const kv = kvWithInteractions();
  await using t = await rankApp(kv);
  const runs: number[] = [];
  const model = t.app.models.loaded("ctr_ranker")[0];
  const original = model.session.score.bind(model.session);
  model.session.score = (data: Float32Array, n: number) => {
    runs.push(n);
    return original(data, n);
  };
  const res = await t.app.request("/rank", jsonPost({ user_id: "u1", candidates: CANDIDATES }));
  assert.equal(res.status, 200, await res.clone().text());
  const body = RankResponseSchema.parse(await res.json());
  assert.deepEqual(runs, [4]);
  assert.equal(kv.calls.length, 1);
  // The user once, four items, and the user × category of three categories.
  assert.deepEqual(kv.calls[0].length, 1 + 4 + 3);
  assert.equal(kv.calls[0].filter((k) => k.includes("user_interactions")).length, 1);
  assert.equal(body.model_name, "ctr_ranker");
  assert.equal(body.features_as_of, new Date(NOW - 5 * MIN).toISOString());
  assert.deepEqual(
    [...body.candidates.map((c) => c.score)].sort((a, b) => b - a),
    body.candidates.map((c) => c.score),
  );
  // u1 clicked twice in cat_a: its cat_a items first, i3 (every impression clicked, no price)
  // before i1 (half clicked, price 10); then i2 (clicked, but cat_b) and the unknown i9.
  assert.deepEqual(body.candidates.map((c) => c.item_id), ["i3", "i1", "i2", "i9"]);
  // The same scores as /predict of each candidate with its entities.
  for (const c of body.candidates) {
    const given = CANDIDATES.find((x) => x.item_id === c.item_id)!;
    const one = await (await t.app.request(
      "/predict",
      jsonPost({
        entities: { user_id: "u1", item_id: c.item_id, item_category: c.item_category },
        features: given.price === undefined ? {} : { price: given.price },
      }),
    )).json();
    assert.ok(Math.abs(one.probabilities[1] - c.score) < 1e-6, `${c.item_id}`);
  }
});

Deno.test("createApp() POST /rank returns the best top_k", async () => {
  await using t = await rankApp();
  const res = await t.app.request(
    "/rank",
    jsonPost({ user_id: "u1", candidates: CANDIDATES, top_k: 2, model_name: "ctr_ranker" }),
  );
  const body = RankResponseSchema.parse(await res.json());
  assert.deepEqual(body.candidates.map((c) => c.item_id), ["i3", "i1"]);
});

Deno.test("createApp() POST /rank answers 422 naming the field", async () => {
  await using t = await rankApp();
  const cases: [unknown, RegExp][] = [
    [{ user_id: "u1", candidates: [] }, /^candidates$/],
    [{ candidates: CANDIDATES }, /^user_id$/],
    [{ user_id: "", candidates: CANDIDATES }, /^user_id$/],
    [
      {
        user_id: "u1",
        candidates: Array.from(
          { length: 501 },
          (_, i) => ({ item_id: `i${i}`, item_category: "c" }),
        ),
      },
      /^candidates$/,
    ],
    [{ user_id: "u1", candidates: [{ item_id: "i1" }] }, /^candidates\.0\.item_category$/],
    [
      { user_id: "u1", candidates: [{ item_id: "i1", item_category: "a", price: "x" }] },
      /^candidates\.0\.price$/,
    ],
    [
      { user_id: "u1", candidates: [CANDIDATES[0], { ...CANDIDATES[1], price: 100_001 }] },
      /^candidates\.1\.price$/,
    ],
    [
      { user_id: "u1", candidates: [CANDIDATES[0], CANDIDATES[1], CANDIDATES[0]] },
      /^candidates\.2\.item_id$/,
    ],
    [{ user_id: "u1", candidates: [{ ...CANDIDATES[0], colour: "red" }] }, /^candidates\.0/],
    [{ user_id: "u1", candidates: CANDIDATES, top_k: 0 }, /^top_k$/],
  ];
  for (const [body, path] of cases) {
    const res = await t.app.request("/rank", jsonPost(body));
    const json = await res.json();
    assert.equal(res.status, 422, JSON.stringify(json));
    assert.ok(
      json.error.details.some((d: { path: string }) => path.test(d.path)),
      `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(json.error.details)}`,
    );
  }
  const unknown = await t.app.request(
    "/rank",
    jsonPost({ user_id: "u1", candidates: CANDIDATES, model_name: "nope" }),
  );
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
});

Deno.test("createApp() POST /rank of a model that needs more than the candidates give names what is missing", async () => {
  // The fraud model reads amount, which no candidate carries.
  await using t = await testApp({}, { clock: { now: () => NOW } });
  const res = await t.app.request("/rank", jsonPost({ user_id: "u1", candidates: CANDIDATES }));
  const json = await res.json();
  assert.equal(res.status, 422);
  assert.ok(json.error.details.some((d: { path: string }) => d.path.startsWith("candidates.0.")));
});

Deno.test("createApp() /openapi.json documents POST /rank", async () => {
  await using t = await rankApp();
  const doc = await (await t.app.request("/openapi.json")).json();
  const op = doc.paths["/rank"].post;
  assert.ok(op.requestBody.content["application/json"].schema);
  assert.ok(op.responses["200"] && op.responses["422"]);
});
