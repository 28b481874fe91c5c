import assert from "node:assert/strict";
import { loadExample } from "../../definitions/load.ts";
import { generateInteractions } from "./generator.ts";
import {
  evaluateRanker,
  labelImpressions,
  meanNdcgAtK,
  RANKER_FEATURES,
  rankerTrainingSet,
} from "./training.ts";

const repo = loadExample("recommendations");
const T = Date.UTC(2026, 2, 20, 10);
const ev = (id: string, type: string, minutes: number, item = "i1", user = "u1") => ({
  timeMs: T + minutes * 60_000,
  event: {
    event_id: id,
    user_id: user,
    item_id: item,
    item_category: "c",
    event_type: type,
    timestamp: new Date(T + minutes * 60_000).toISOString(),
  },
});

Deno.test("generateInteractions() is seeded, time-ordered and valid for the interactions source", () => {
  const a = generateInteractions({ hours: 12, users: 20 });
  assert.deepEqual(a, generateInteractions({ hours: 12, users: 20 }));
  assert.notDeepEqual(a, generateInteractions({ hours: 12, users: 20, seed: 3 }));
  const validator = repo.validator("interactions");
  const end = Date.UTC(2026, 2, 20, 12);
  const types = new Map<string, number>();
  a.forEach((e, i) => {
    if (i > 0) assert.ok(a[i - 1].timeMs <= e.timeMs);
    assert.equal(e.event.event_id, `i${i}`);
    const r = validator.validate(JSON.parse(JSON.stringify(e.event)), end);
    assert.ok("event" in r, `${e.event.event_id}: ${"reason" in r ? r.reason : ""}`);
    types.set(e.event.event_type, (types.get(e.event.event_type) ?? 0) + 1);
  });
  const impressions = types.get("impression")!, clicks = types.get("click")!;
  assert.ok(clicks > 0.02 * impressions && clicks < 0.3 * impressions, `${clicks}/${impressions}`);
  assert.ok(types.get("purchase")! > 0 && types.get("purchase")! < clicks);
});

Deno.test("generateInteractions() gives users category preferences: most of a user's clicks are in few categories", () => {
  const events = generateInteractions({ hours: 24, users: 40 });
  let top = 0, all = 0;
  const byUser = new Map<string, Map<string, number>>();
  for (const { event } of events) {
    if (event.event_type !== "click") continue;
    const m = byUser.get(event.user_id) ?? new Map<string, number>();
    m.set(event.item_category, (m.get(event.item_category) ?? 0) + 1);
    byUser.set(event.user_id, m);
  }
  for (const m of byUser.values()) {
    const counts = [...m.values()].sort((x, y) => y - x);
    top += counts.slice(0, 2).reduce((s, c) => s + c, 0);
    all += counts.reduce((s, c) => s + c, 0);
  }
  // 8 categories shown at random would put about 2/8 of clicks in a user's top two.
  assert.ok(top / all > 0.6, `top-two share ${top / all}`);
});

Deno.test("labelImpressions() labels an impression 1 when its user clicks its item in (T, T + 30 min]", () => {
  const labels = labelImpressions([
    ev("a", "impression", 0),
    ev("b", "impression", 0, "i2"),
    ev("c", "impression", 0, "i3"),
    ev("d", "impression", 0, "i1", "u2"),
    ev("e", "impression", 40, "i4"),
    ev("k1", "click", 30), // i1 by u1 at exactly +30 min: counts for a
    ev("k2", "click", 31, "i2"), // i2 too late
    ev("k3", "click", 5, "i3", "u2"), // i3 by another user
    ev("k4", "click", 40, "i4"), // same instant as e's impression: not after it
  ]);
  assert.deepEqual(
    Object.fromEntries(labels),
    { a: 1, b: 0, c: 0, d: 0, e: 0 },
  );
});

Deno.test("meanNdcgAtK() scores a perfect ranking 1, breaks ties by item and skips groups without a positive", () => {
  const g = (labels: number[], scores: number[]) =>
    labels.map((label, i) => ({ label, score: scores[i], tie: `i${i}` }));
  assert.equal(meanNdcgAtK([g([0, 1, 0], [0.1, 0.9, 0.2]), g([0, 0], [1, 2])]), 1);
  const worst = meanNdcgAtK([g([1, 0, 0], [0, 1, 1])]);
  assert.ok(Math.abs(worst - 1 / Math.log2(4)) < 1e-12, String(worst));
  // A tie: the item id decides (i0 first), not the score order given.
  assert.equal(meanNdcgAtK([g([1, 0], [5, 5])]), 1);
  // Beyond k the positive earns nothing.
  assert.equal(meanNdcgAtK([g([0, 0, 1], [3, 2, 1])], 2), 0);
});

Deno.test("rankerTrainingSet() has one point-in-time row per impression with every ranker input", () => {
  const events = generateInteractions({ hours: 12, users: 15 });
  const rows = rankerTrainingSet(repo, events);
  assert.equal(rows.length, events.filter((e) => e.event.event_type === "impression").length);
  for (const r of rows) for (const f of RANKER_FEATURES) assert.equal(typeof r[f], "number", f);
  // As of the first impression nothing happened before: empty windows.
  assert.equal(rows[0].user_impressions_24h, 0);
  assert.equal(rows[0].seconds_since_last_click, 604_800);
  assert.equal(rows[0].user_ctr_24h, 0);
  assert.ok(rows.some((r) => r.label === 1) && rows.some((r) => (r.user_ctr_24h as number) > 0));
});

Deno.test("evaluateRanker() beats the popularity baseline on held-out ROC AUC and NDCG@10", () => {
  const r = evaluateRanker(repo, generateInteractions());
  assert.ok(r.heldOutPositives > 100, `${r.heldOutPositives} held-out positives`);
  assert.ok(r.model.rocAuc > r.popularity.rocAuc, JSON.stringify(r));
  assert.ok(r.model.ndcgAt10 > r.popularity.ndcgAt10, JSON.stringify(r));
});

Deno.test("generateInteractions() with another endMs gives the same events shifted in time", () => {
  const a = generateInteractions({ hours: 12, users: 20 });
  const shift = 3 * 3_600_000 + 17_123;
  const b = generateInteractions({
    hours: 12,
    users: 20,
    endMs: Date.UTC(2026, 2, 20, 12) + shift,
  });
  assert.equal(b.length, a.length);
  b.forEach((e, i) => {
    assert.equal(e.timeMs, a[i].timeMs + shift);
    assert.deepEqual({ ...e.event, timestamp: "" }, { ...a[i].event, timestamp: "" });
  });
});
