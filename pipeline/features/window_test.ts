import assert from "node:assert/strict";
import fc from "fast-check";
import { DAY_MS, type FeatureView, HOUR_MS, MINUTE_MS } from "./view.ts";
import {
  computeWindowFeatures,
  computeWindowFeaturesFromEvents,
  mergeEvents,
  parseOnlineState,
  type WindowEvent,
} from "./window.ts";
import { toWindowEvent } from "./event.ts";
import { ALL_VIEW, DEVICE_VIEW, FRAUD_VIEW, SITE_VIEW } from "../../tests/support/views.ts";
import {
  assertFeaturesClose,
  referenceFeatures,
  type RefEvent,
} from "../../tests/support/window_reference.ts";

const T0 = Date.UTC(2026, 2, 20, 12, 0, 0);

function windowEvents(view: FeatureView, events: readonly RefEvent[]): WindowEvent[] {
  return events.flatMap((e) => toWindowEvent(view, e.event, e.timeMs) ?? []);
}

const time = fc.oneof(
  fc.integer({ min: -35 * DAY_MS, max: 6 * MINUTE_MS }),
  fc.tuple(
    fc.constantFrom(MINUTE_MS, HOUR_MS, DAY_MS),
    fc.integer({ min: -40, max: 0 }),
    fc.integer({ min: -2, max: 1 }),
  ).map(([g, k, d]) => (Math.floor(T0 / g) + k) * g + d - T0),
).map((d) => T0 + d);

const value = fc.option(fc.oneof(fc.integer({ min: -500, max: 500 }), fc.constant(20.25)), {
  nil: null,
});

/** Random events for every field of the test views (absent, null, typed). */
const rawEvent = fc.record({
  timeMs: time,
  event: fc.record({
    amount: fc.integer({ min: 0, max: 100000 }).map((c) => c / 100),
    merchant_category: fc.option(fc.constantFrom("grocery", "travel", "unknown"), {
      nil: undefined,
    }),
    temperature: value,
    vibration: value,
    pressure: value,
    device_id: fc.constantFrom("d1", "d2"),
    kind: fc.option(fc.constantFrom("a", "b", "c"), { nil: null }),
    x: value,
    tag: fc.option(fc.constantFrom("p", "q", "r"), { nil: undefined }),
  }, { requiredKeys: ["amount", "device_id"] }),
});

function checkView(view: FeatureView, runs: number): void {
  fc.assert(
    fc.property(
      fc.array(fc.array(rawEvent, { maxLength: 15 }), { maxLength: 5 }),
      fc.integer({ min: -2 * MINUTE_MS, max: 3 * DAY_MS }),
      (batches, dt) => {
        const T = T0 + dt;
        let state = null;
        for (const b of batches) state = mergeEvents(view, state, windowEvents(view, b));
        const all = batches.flat();
        const expected = referenceFeatures(view, all, T);
        const sorted = windowEvents(view, all).sort((a, b) => a.timeMs - b.timeMs);
        assertFeaturesClose(computeWindowFeaturesFromEvents(view, sorted, T), expected, "offline");
        if (state && T >= state.sealed) {
          const reread = parseOnlineState(JSON.stringify(state));
          assertFeaturesClose(computeWindowFeatures(view, reread, T), expected, "online");
        }
      },
    ),
    { numRuns: runs },
  );
}

Deno.test("mergeEvents() and computeWindowFeaturesFromEvents() agree with the reference for every aggregate", () => {
  checkView(ALL_VIEW, 300);
});

Deno.test("mergeEvents() and computeWindowFeaturesFromEvents() agree with the reference for the examples' views", () => {
  for (const view of [FRAUD_VIEW, DEVICE_VIEW, SITE_VIEW]) checkView(view, 100);
});

Deno.test("computeWindowFeatures() gives the empty-window values for a null state", () => {
  const f = computeWindowFeatures(FRAUD_VIEW, null, T0);
  assert.equal(f.transaction_count_24h, 0);
  assert.equal(f.avg_amount_30d, 0);
  assert.equal(f.seconds_since_last_txn, 2_592_000);
  assert.equal(computeWindowFeatures(DEVICE_VIEW, null, T0).seconds_since_last_reading, 86_400);
});

Deno.test("computeWindowFeatures() skips null and absent fields instead of counting them as 0", () => {
  const e = (t: number, temperature: number | null, vibration?: number): RefEvent => ({
    timeMs: t,
    event: { device_id: "d1", temperature, ...(vibration === undefined ? {} : { vibration }) },
  });
  const events = [e(T0 - 10 * MINUTE_MS, 20), e(T0 - 4 * MINUTE_MS, null, 3), e(T0 - 60_000, 30)];
  const state = mergeEvents(DEVICE_VIEW, null, windowEvents(DEVICE_VIEW, events));
  const f = computeWindowFeatures(DEVICE_VIEW, state, T0);
  assert.equal(f.readings_count_1h, 3);
  assert.equal(f.temperature_mean_1h, 25); // not 50 / 3
  assert.equal(f.temperature_std_1h, 5);
  assert.equal(f.temperature_min_24h, 20); // not 0
  assert.equal(f.vibration_mean_5m, 3);
  assert.equal(f.seconds_since_last_reading, 60);
});

Deno.test("computeWindowFeatures() gives a stuck sensor a standard deviation of exactly 0", () => {
  const events = Array.from({ length: 50 }, (_, i) => ({
    timeMs: T0 - 59 * MINUTE_MS + i * 60_000,
    event: { device_id: "d1", temperature: 71.3 },
  }));
  const state = mergeEvents(DEVICE_VIEW, null, windowEvents(DEVICE_VIEW, events));
  assert.equal(computeWindowFeatures(DEVICE_VIEW, state, T0).temperature_std_1h, 0);
});

Deno.test("parseOnlineState() returns null for garbage and an older format, and keeps a valid state", () => {
  assert.equal(parseOnlineState(null), null);
  assert.equal(parseOnlineState("{not json"), null);
  assert.equal(parseOnlineState('{"v":1,"tiles":{},"tail":[]}'), null);
  const s = mergeEvents(
    FRAUD_VIEW,
    null,
    windowEvents(FRAUD_VIEW, [{ timeMs: T0, event: { amount: 1 } }]),
  );
  assert.deepEqual(parseOnlineState(JSON.stringify(s)), s);
  assert.deepEqual(parseOnlineState(s), s);
});

Deno.test("mergeEvents() keeps only the slots some feature of that tile size reads", () => {
  const events: RefEvent[] = [
    { timeMs: T0 - 30 * MINUTE_MS, event: { amount: 12.5, merchant_category: "grocery" } },
    { timeMs: T0 - 3 * HOUR_MS, event: { amount: 40, merchant_category: "travel" } },
    { timeMs: T0 - 2 * DAY_MS, event: { amount: 7.25, merchant_category: "grocery" } },
  ];
  const state = mergeEvents(
    FRAUD_VIEW,
    null,
    windowEvents(FRAUD_VIEW, [...events, { timeMs: T0, event: { amount: 1 } }]),
  );
  // 1-minute tiles serve only a count.
  assert.deepEqual(state.tiles[String(MINUTE_MS)].map((r) => r.slice(1)), [[1]]);
  // The 2-day-old event's hour is past the 24 h horizon: dropped.
  // Distinct values live in `seen` (each value's latest hour), not in the rows.
  assert.deepEqual(state.tiles[String(HOUR_MS)].map((r) => r.slice(1)), [
    [1, 1, 40, 0],
    [1, 1, 12.5, 0],
  ]);
  const hour = (t: number) => Math.floor(t / HOUR_MS);
  assert.deepEqual(state.seen, {
    [String(HOUR_MS)]: [{ travel: hour(T0 - 3 * HOUR_MS), grocery: hour(T0 - 30 * MINUTE_MS) }],
  });
  assertFeaturesClose(
    computeWindowFeatures(FRAUD_VIEW, state, T0),
    referenceFeatures(FRAUD_VIEW, events, T0),
    "online",
  );
});

Deno.test("A format-2 state (multisets in tile rows) is still read, and merging converts it", () => {
  const events: RefEvent[] = [
    { timeMs: T0 - 30 * MINUTE_MS, event: { amount: 12.5, merchant_category: "grocery" } },
    { timeMs: T0 - 3 * HOUR_MS, event: { amount: 40, merchant_category: "travel" } },
    { timeMs: T0 - 5 * HOUR_MS, event: { amount: 3, merchant_category: "grocery" } },
  ];
  const v3 = mergeEvents(FRAUD_VIEW, null, windowEvents(FRAUD_VIEW, events));
  // The same events as a format-2 writer stored them.
  const h = (t: number) => Math.floor(t / HOUR_MS);
  const sets: Record<number, Record<string, number>> = {
    [h(T0 - 30 * MINUTE_MS)]: { grocery: 1 },
    [h(T0 - 3 * HOUR_MS)]: { travel: 1 },
    [h(T0 - 5 * HOUR_MS)]: { grocery: 1 },
  };
  const v2 = {
    ...v3,
    v: 2 as const,
    seen: undefined,
    tiles: Object.fromEntries(
      Object.entries(v3.tiles).map(([g, rows]) => [
        g,
        rows.map((r) =>
          g === String(HOUR_MS) ? [...r.slice(0, -1), sets[r[0] as number] ?? {}] : r
        ),
      ]),
    ),
  };
  const at = [T0 - 2 * HOUR_MS, T0, T0 + 2 * HOUR_MS];
  const later: RefEvent = {
    timeMs: T0 + HOUR_MS,
    event: { amount: 9, merchant_category: "jewelry" },
  };
  const parsed = parseOnlineState(JSON.stringify(v2))!;
  const merged = mergeEvents(FRAUD_VIEW, parsed, windowEvents(FRAUD_VIEW, [later]));
  assert.equal(merged.v, 3);
  for (const t of at) {
    if (t >= v3.sealed) {
      assertFeaturesClose(
        computeWindowFeatures(FRAUD_VIEW, parsed, t),
        referenceFeatures(FRAUD_VIEW, events, t),
        "v2",
      );
    }
    if (t >= merged.sealed) {
      assertFeaturesClose(
        computeWindowFeatures(FRAUD_VIEW, merged, t),
        referenceFeatures(FRAUD_VIEW, [...events, later], t),
        "v2 merged",
      );
    }
  }
});

Deno.test("mergeEvents() leaves its input state as it was, and its result equals a merge of all events", () => {
  const ev = (t: number, x: number, tag: string): RefEvent => ({
    timeMs: t,
    event: { kind: "a", x, tag },
  });
  const first = [
    ev(T0 - 5 * HOUR_MS, 3, "p"),
    ev(T0 - 2 * HOUR_MS, 4, "q"),
    ev(T0 - DAY_MS, 5, "p"),
  ];
  const later = [ev(T0 - 2 * HOUR_MS + 1, 6, "r"), ev(T0 - 3 * HOUR_MS, 7, "p"), ev(T0, 1, "p")];
  const before = mergeEvents(ALL_VIEW, null, windowEvents(ALL_VIEW, first));
  const snapshot = structuredClone(before);
  const after = mergeEvents(ALL_VIEW, before, windowEvents(ALL_VIEW, later));
  assert.deepEqual(before, snapshot);
  const all = mergeEvents(ALL_VIEW, null, windowEvents(ALL_VIEW, [...first, ...later]));
  assert.deepEqual(after.tail, all.tail);
  assertFeaturesClose(
    computeWindowFeatures(ALL_VIEW, after, T0 + 1),
    computeWindowFeatures(ALL_VIEW, all, T0 + 1),
    "merged",
  );
});
