/**
 * `deno task demo --example recommendations` end to end on a day of
 * generated interactions: see `_demo_task.ts` for the checks every use case
 * passes; here, what is particular to recommendations: every interaction
 * stored once, a sensor reading sent to the interactions streams
 * dead-lettered with the reason, the three entity types (user, item and the
 * composite user × category) equal in Redis and Postgres, one training row
 * per impression, `/predict` with three entities reading all their online
 * features as Postgres has them, and `/rank` scoring 100 candidates.
 */
import assert from "node:assert/strict";
import { loadExample } from "../../pipeline/mod.ts";
import { generateInteractions } from "../../pipeline/examples/recommendations/generator.ts";
import {
  labelImpressions,
  RANKER_FEATURES,
} from "../../pipeline/examples/recommendations/training.ts";
import { assertDemoRun, runDemoTask } from "./_demo_task.ts";

const SIZE = { hours: 24, users: 40 };

Deno.test("deno task demo --example recommendations streams interactions of three entity types to a served ctr_ranker and ranks candidates", async () => {
  const run = await runDemoTask([
    "--example",
    "recommendations",
    "--hours",
    String(SIZE.hours),
    "--users",
    String(SIZE.users),
    "--requests",
    "300",
  ]);
  const champion = assertDemoRun(run);
  const s = run.summary;
  assert.equal(s.example, "recommendations");
  assert.match(s.model, /^ctr_ranker_demo_/);

  const events = generateInteractions(SIZE);
  const ingest = s.ingest!;
  assert.equal(ingest.expected.accepted, events.length);
  const categories = new Set(events.map((e) => `${e.event.user_id}:${e.event.item_category}`));
  assert.deepEqual(ingest.online.entities, {
    user: new Set(events.map((e) => e.event.user_id)).size,
    item: new Set(events.map((e) => e.event.item_id)).size,
    user_category: categories.size,
  });
  const reading = ingest.deadLetters.filter((d) =>
    /Unrecognized keys: .*"device_id"/.test(d.reason)
  );
  assert.equal(reading.length, 1, JSON.stringify(ingest.deadLetters));
  assert.match(reading[0].reason, /event_type/);

  // One training row per impression, labelled by a click within 30 minutes.
  const labels = labelImpressions(events);
  assert.equal(s.training!.labelled, labels.size);
  const positives = [...labels.values()].filter((l) => l === 1).length;
  assert.equal(s.training!.train.positives + s.training!.holdout.positives, positives);

  // Every by-entity answer used all of its user's, item's and user × category's view features.
  const repo = loadExample("recommendations");
  const used = (entity: string) =>
    repo.viewsOfEntity(entity).flatMap((v) => v.windowFeatures)
      .filter((f) => (RANKER_FEATURES as readonly string[]).includes(f.name)).length;
  for (const r of s.serving!.byEntity) {
    assert.deepEqual(
      r.checked,
      { user: used("user"), item: used("item"), user_category: used("user_category") },
      r.name,
    );
  }
  // /rank: 100 candidates, the best 10 back by descending score, from the served champion.
  assert.equal(s.serving!.ranked.length, 2);
  for (const r of s.serving!.ranked) {
    assert.equal(r.status, 200, `${r.name}: ${r.error}`);
    assert.equal(r.candidates, 100);
    assert.equal(r.top!.length, 10);
    const scores = r.top!.map((c) => c.score);
    assert.deepEqual([...scores].sort((a, b) => b - a), scores);
    assert.ok(r.features_as_of !== null);
    if (r.variant === "champion") assert.equal(r.model_version, champion);
  }
});
