/**
 * `deno task demo --example sensors` end to end on a few thousand generated
 * readings: see `_demo_task.ts` for the checks every use case passes; here,
 * what is particular to sensors: every generated reading stored once, a
 * transaction of the fraud source sent to the sensors streams dead-lettered
 * with the reason, both entity types (device and site) equal in Redis and
 * Postgres, and `/predict` with `entities` reading both entities' online
 * features.
 */
import assert from "node:assert/strict";
import { loadExample } from "../../pipeline/mod.ts";
import { SENSOR_FEATURES } from "../../pipeline/examples/sensors/demo.ts";
import { generateReadings } from "../../pipeline/examples/sensors/generator.ts";
import { assertDemoRun, runDemoTask } from "./_demo_task.ts";

const SIZE = { hours: 10, sites: 2, devicesPerSite: 4 };

Deno.test("deno task demo --example sensors streams readings of two entity types to a served sensor_anomaly", async () => {
  const run = await runDemoTask([
    "--example",
    "sensors",
    "--hours",
    String(SIZE.hours),
    "--sites",
    String(SIZE.sites),
    "--devices-per-site",
    String(SIZE.devicesPerSite),
    "--requests",
    "300",
  ]);
  assertDemoRun(run);
  const s = run.summary;
  assert.equal(s.example, "sensors");
  assert.match(s.model, /^sensor_anomaly_demo_/);

  const readings = generateReadings(SIZE);
  const ingest = s.ingest!;
  assert.equal(ingest.expected.accepted, readings.length);
  assert.deepEqual(ingest.online.entities, {
    device: SIZE.sites * SIZE.devicesPerSite,
    site: SIZE.sites,
  });
  const fraud = ingest.deadLetters.filter((d) => /Unrecognized keys: .*"amount"/.test(d.reason));
  assert.equal(fraud.length, 1, JSON.stringify(ingest.deadLetters));
  assert.match(fraud[0].reason, /device_id: .*expected string/);
  const positives = readings.filter((r) => r.label === 1).length;
  assert.equal(s.training!.train.positives + s.training!.holdout.positives, positives);

  // Every by-entity answer used all of its device's and its site's view features, as Postgres has them.
  const repo = loadExample("sensors");
  const used = (entity: string) =>
    repo.viewsOfEntity(entity).flatMap((v) => v.windowFeatures)
      .filter((f) => (SENSOR_FEATURES as readonly string[]).includes(f.name)).length;
  for (const r of s.serving!.byEntity) {
    assert.deepEqual(r.checked, { device: used("device"), site: used("site") }, r.name);
  }
  assert.ok(Number.isFinite(s.evaluation!.champion.roc_auc));
});
