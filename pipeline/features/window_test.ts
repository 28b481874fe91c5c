import assert from "node:assert/strict";
import fc from "fast-check";
import { DAY_MS, DEMO_VIEW, HOUR_MS, MINUTE_MS } from "./view.ts";
import {
  computeWindowFeatures,
  computeWindowFeaturesFromEvents,
  mergeEvents,
  parseOnlineState,
  type WindowEvent,
} from "./window.ts";

const T0 = Date.UTC(2026, 2, 20, 12, 0, 0);

/** The rule of the issue, as a plain loop. */
function bruteForce(events: WindowEvent[], t: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of DEMO_VIEW.windowFeatures) {
    const start = Math.floor(t / f.tileMs) - f.windowMs / f.tileMs + 1;
    const inWin = events.filter((e) => e.timeMs < t && Math.floor(e.timeMs / f.tileMs) >= start);
    const amounts = inWin.map((e) => e.amount);
    const n = inWin.length;
    out[f.name] = n === 0 ? f.empty : {
      count: n,
      sum: amounts.reduce((a, b) => a + b, 0),
      mean: amounts.reduce((a, b) => a + b, 0) / n,
      max: Math.max(...amounts),
      distinct: new Set(inWin.map((e) => e.category)).size,
      seconds_since_last: (t - Math.max(...inWin.map((e) => e.timeMs))) / 1000,
    }[f.aggregate];
  }
  return out;
}

function assertClose(actual: Record<string, number>, expected: Record<string, number>) {
  for (const k of Object.keys(expected)) {
    const a = actual[k], e = expected[k];
    assert.ok(Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e)), `${k}: ${a} !== ${e}`);
  }
}

Deno.test("computeWindowFeatures() gives the empty-window values for a null state", () => {
  const f = computeWindowFeatures(DEMO_VIEW, null, T0);
  assert.equal(f.transaction_count_24h, 0);
  assert.equal(f.avg_amount_30d, 0);
  assert.equal(f.max_amount_7d, 0);
  assert.equal(f.seconds_since_last_txn, 2_592_000);
});

Deno.test("computeWindowFeatures() excludes events at or after T and tiles out of the window", () => {
  const ev = (t: number, amount: number, category = "grocery"): WindowEvent => ({
    timeMs: t,
    amount,
    category,
  });
  const head = Math.floor(T0 / HOUR_MS) * HOUR_MS;
  const events = [
    ev(head - 23 * HOUR_MS, 10), // first tile of the 24 h window
    ev(head - 23 * HOUR_MS - 1, 20), // one tile too old for 24 h
    ev(T0 - 1, 5, "travel"),
    ev(T0, 1000, "jewelry"), // at T: excluded
    ev(T0 + 60_000, 7), // after T: excluded
  ];
  const state = mergeEvents(DEMO_VIEW, null, events);
  const f = computeWindowFeatures(DEMO_VIEW, state, T0);
  assert.equal(f.transaction_count_24h, 2);
  assert.equal(f.amount_sum_24h, 15);
  assert.equal(f.distinct_merchant_categories_24h, 2);
  assert.equal(f.transaction_count_1h, 1);
  assert.equal(f.max_amount_7d, 20);
  assert.equal(f.seconds_since_last_txn, 0.001);
  assertClose(f, bruteForce(events, T0));
});

Deno.test("mergeEvents() and computeWindowFeaturesFromEvents() agree with the brute-force rule", () => {
  const edges = [MINUTE_MS, HOUR_MS, DAY_MS];
  const time = fc.oneof(
    fc.integer({ min: -35 * DAY_MS, max: 6 * MINUTE_MS }),
    fc.tuple(
      fc.constantFrom(...edges),
      fc.integer({ min: -40, max: 0 }),
      fc.integer({ min: -2, max: 1 }),
    )
      .map(([g, k, d]) => (Math.floor(T0 / g) + k) * g + d - T0),
  );
  const event = fc.record({
    timeMs: time.map((d) => T0 + d),
    amount: fc.double({ min: 0, max: 1e6, noNaN: true }),
    category: fc.constantFrom("grocery", "travel", "unknown", "jewelry"),
  });
  fc.assert(
    fc.property(
      fc.array(fc.array(event, { maxLength: 20 }), { maxLength: 5 }),
      fc.integer({ min: -2 * MINUTE_MS, max: 3 * DAY_MS }),
      (batches, dt) => {
        let state = null;
        for (const b of batches) state = mergeEvents(DEMO_VIEW, state, b);
        const all = batches.flat();
        const expected = bruteForce(all, T0 + dt);
        const sorted = [...all].sort((a, b) => a.timeMs - b.timeMs);
        assertClose(computeWindowFeaturesFromEvents(DEMO_VIEW, sorted, T0 + dt), expected);
        if (state && T0 + dt >= state.sealed) {
          const reread = parseOnlineState(JSON.stringify(state));
          assertClose(computeWindowFeatures(DEMO_VIEW, reread, T0 + dt), expected);
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("parseOnlineState() returns null for garbage and keeps a valid state", () => {
  assert.equal(parseOnlineState(null), null);
  assert.equal(parseOnlineState("{not json"), null);
  assert.equal(parseOnlineState('{"v":2}'), null);
  const s = mergeEvents(DEMO_VIEW, null, [{ timeMs: T0, amount: 1, category: "x" }]);
  assert.deepEqual(parseOnlineState(JSON.stringify(s)), s);
  assert.deepEqual(parseOnlineState(s), s);
});

Deno.test("mergeEvents() keeps only the tile fields some feature of that size reads", () => {
  const events: WindowEvent[] = [
    { timeMs: T0 - 30 * MINUTE_MS, amount: 12.5, category: "grocery" },
    { timeMs: T0 - 3 * HOUR_MS, amount: 40, category: "travel" },
    { timeMs: T0 - 2 * DAY_MS, amount: 7.25, category: "grocery" },
  ];
  const state = mergeEvents(DEMO_VIEW, null, [...events, { timeMs: T0, amount: 1, category: "x" }]);
  const minutes = state.tiles[String(MINUTE_MS)];
  assert.deepEqual(minutes.map((r) => r.slice(1, 5)), [[1, 0, 0, 0]]); // count only
  const hours = state.tiles[String(HOUR_MS)];
  // The 2-day-old event's hour is past the 24 h horizon: dropped.
  assert.deepEqual(hours.map((r) => r.slice(1)), [[1, 40, 0, 0, { travel: 1 }], [
    1,
    12.5,
    0,
    0,
    { grocery: 1 },
  ]]);
  const days = state.tiles[String(DAY_MS)];
  assert.deepEqual(days.at(-1)!.slice(1, 5), [2, 52.5, 40, T0 - 30 * MINUTE_MS]);
  // What the pruned fields fed is still exact.
  assertClose(computeWindowFeatures(DEMO_VIEW, state, T0), bruteForce(events, T0));
});

Deno.test("mergeEvents() leaves its input state as it was, and its result equals a merge of all events", () => {
  const first: WindowEvent[] = [
    { timeMs: T0 - 5 * HOUR_MS, amount: 3, category: "a" },
    { timeMs: T0 - 2 * HOUR_MS, amount: 4, category: "b" },
    { timeMs: T0 - DAY_MS, amount: 5, category: "a" },
  ];
  const later: WindowEvent[] = [
    { timeMs: T0 - 2 * HOUR_MS + 1, amount: 6, category: "c" }, // into an existing tile
    { timeMs: T0 - 3 * HOUR_MS, amount: 7, category: "a" }, // a new tile between two
    { timeMs: T0, amount: 1, category: "a" },
  ];
  const before = mergeEvents(DEMO_VIEW, null, first);
  const snapshot = structuredClone(before);
  const after = mergeEvents(DEMO_VIEW, before, later);
  assert.deepEqual(before, snapshot);
  const all = mergeEvents(DEMO_VIEW, null, [...first, ...later]);
  assert.deepEqual(after.tiles, all.tiles);
  assert.deepEqual(after.tail, all.tail);
});
