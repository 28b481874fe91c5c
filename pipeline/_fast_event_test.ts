import assert from "node:assert/strict";
import { validateEvent } from "../schemas/event.ts";
import { acceptEventFast } from "./_fast_event.ts";

const NOW = Date.parse("2026-03-20T12:00:00Z");
const FUTURE = 5 * 60_000;

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OTHER = [null, true, 0, -1, 1.5, NaN, Infinity, "", [], {}, ["a"], { a: 1 }, "x"];
const STRINGS = ["", "a", "x".repeat(64), "x".repeat(65), "x".repeat(128), "x".repeat(129), "é🙂"];
const TIMES = [
  "2026-03-20T11:00:00Z",
  "2026-03-20T11:00:00",
  "2026-03-20T12:04:59Z",
  "2026-03-20T12:05:00.001Z",
  "2026-03-20T13:00:00+01:00",
  "2026-02-31T00:00:00Z",
  "2026-03-20",
  " 2026-03-20T11:00:00Z ",
  "not a date",
  "2026-13-01T00:00:00Z",
];
const AMOUNTS = [0, 0.01, 12.5, 1_000_000, 1_000_000.01, -0.01, -0, 1e300];
const RISKS = [0, 0.5, 1, 1.0001, -0.1, undefined];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function field(r: () => number, typical: readonly unknown[]): unknown {
  const x = r();
  if (x < 0.1) return undefined; // key absent
  if (x < 0.25) return pick(r, OTHER);
  return pick(r, typical);
}

function randomEvent(r: () => number): unknown {
  if (r() < 0.03) return pick(r, OTHER);
  const e: Record<string, unknown> = {
    event_id: field(r, STRINGS),
    user_id: field(r, STRINGS),
    amount: field(r, AMOUNTS),
    timestamp: field(r, TIMES),
    merchant_category: field(r, [...STRINGS, null]),
    payment_method: field(r, [...STRINGS, null]),
    device_type: field(r, [...STRINGS, null]),
    location: field(r, [null, { country: "FR" }, { city: 3 }, { country: null, city: "x" }, {
      country: "US",
      extra: [1],
    }]),
    risk_score: field(r, [...RISKS, null]),
    extra: field(r, ["kept", { nested: true }]),
  };
  for (const k of Object.keys(e)) if (e[k] === undefined && r() < 0.9) delete e[k];
  // Valid events are the common case in production: make half of them valid where possible.
  if (r() < 0.5) {
    Object.assign(e, {
      event_id: `e${Math.floor(r() * 1e6)}`,
      user_id: "u1",
      amount: pick(r, [0, 12.5, 1_000_000]),
      timestamp: pick(r, TIMES.slice(0, 5)),
    });
  }
  return JSON.parse(JSON.stringify(e, (_, v) => (Number.isNaN(v) ? undefined : v)) ?? "null");
}

Deno.test("acceptEventFast agrees with validateEvent on random inputs", () => {
  const r = rng(20261128);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const value = randomEvent(r);
    const fast = acceptEventFast(value, NOW, FUTURE);
    const zod = validateEvent(value, { nowMs: NOW, maxFutureMs: FUTURE });
    const input = JSON.stringify(value);
    if ("reason" in zod) {
      assert.equal(fast, null, `fast path accepted an invalid event: ${input}`);
    } else {
      assert.ok(fast, `fast path did not accept a valid event: ${input}`);
      assert.deepEqual(fast, zod, `different result for ${input}`);
      accepted++;
    }
  }
  assert.ok(accepted > 1_000, `too few valid inputs generated: ${accepted}`);
});

Deno.test("acceptEventFast rejects non-finite numbers that JSON cannot carry", () => {
  const base = { event_id: "e", user_id: "u", timestamp: "2026-03-20T11:00:00Z" };
  for (const amount of [NaN, Infinity, -Infinity]) {
    assert.equal(acceptEventFast({ ...base, amount }, NOW, FUTURE), null);
    assert.ok("reason" in validateEvent({ ...base, amount }, { nowMs: NOW }));
  }
  assert.equal(acceptEventFast({ ...base, amount: 1, risk_score: NaN }, NOW, FUTURE), null);
});
