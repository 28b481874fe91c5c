import assert from "node:assert/strict";
import {
  buildDemoTrainingSet,
  CHAMPION_FEATURES,
  gaussian,
  loadDemoEvents,
  referenceLabel,
} from "./training.ts";

Deno.test("referenceLabel() follows the reference's rule", () => {
  const noonWeekday = Date.UTC(2026, 2, 18, 12); // Wednesday
  const nightSunday = Date.UTC(2026, 2, 22, 23); // Sunday 23:00
  assert.equal(referenceLabel("grocery", 10, noonWeekday, 0), 0);
  assert.equal(referenceLabel("jewelry", 10, noonWeekday, 0), 0); // .15 + .4 = .55
  assert.equal(referenceLabel("jewelry", 1500, noonWeekday, 0), 1); // .85
  assert.equal(referenceLabel("cash_advance", 10, noonWeekday, 0), 1); // .65
  assert.equal(referenceLabel("cash_advance", 10, noonWeekday, -1), 0); // .60
  assert.equal(referenceLabel("travel", 2000, nightSunday, 0), 0); // .1 + .2 + .3 = .6
  assert.equal(referenceLabel("travel", 2000, nightSunday, 1.2), 1); // + .06
  assert.equal(referenceLabel("cash_advance", 10, nightSunday, 0), 1); // capped at 1
});

Deno.test("gaussian() is deterministic for a seed with mean 0 and sd 1", () => {
  const a = gaussian(42), b = gaussian(42);
  const xs = Array.from({ length: 20000 }, () => a());
  assert.equal(xs[0], b());
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(sd - 1) < 0.03, `${mean} ${sd}`);
});

Deno.test("buildDemoTrainingSet() gives point-in-time rows and the champion's eight inputs", async () => {
  const events = await loadDemoEvents();
  const set = buildDemoTrainingSet(events);
  assert.equal(set.table.records.length, 1050);
  assert.ok(set.positives > 50 && set.positives < 400, `${set.positives} positives`);
  assert.deepEqual(set.championInputs.map((i) => i.name), [...CHAMPION_FEATURES]);
  assert.equal(set.championInputs[6].transform?.kind, "crc32_mod");
  assert.equal(set.championInputs[3].transform, undefined); // windowed: from the online store
  // The earliest event overall has no history: empty windows.
  const first = set.table.records[0];
  assert.equal(first.transaction_count_24h, 0);
  assert.equal(first.seconds_since_last_txn, 2_592_000);
  assert.deepEqual(buildDemoTrainingSet(events).table.records, set.table.records);
});
