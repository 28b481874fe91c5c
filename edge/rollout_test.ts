import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { RolloutCounters, type RolloutSink } from "./rollout.ts";

class Sink implements RolloutSink {
  batches: { key: string; fields: Record<string, number> }[][] = [];
  fail = false;
  write(increments: { key: string; fields: Record<string, number> }[]) {
    if (this.fail) return Promise.reject(new Error("down"));
    this.batches.push(increments);
    return Promise.resolve();
  }
}

const T0 = 1_774_008_000_000; // a multiple of 10 s

Deno.test("RolloutCounters.record() fills per-bucket latency counts in 10-second buckets", async () => {
  let now = T0;
  const sink = new Sink();
  const c = new RolloutCounters({ sink, now: () => now });
  c.record("m", "champion", 0.3, false);
  c.record("m", "champion", 0.7, false);
  c.record("m", "champion", 30, true);
  c.record("m", "challenger", 400, false);
  now += 10_000;
  c.record("m", "champion", 1, false);
  await c.flush();
  const bucket = T0 / 10_000;
  const byKey = Object.fromEntries(sink.batches[0].map((b) => [b.key, b.fields]));
  assert.deepEqual(byKey[`rollout:m:champion:${bucket}`], {
    requests: 3,
    errors: 1,
    latency_sum_us: 31_000,
    "le_0.5": 1,
    le_1: 1,
    le_50: 1,
  });
  assert.deepEqual(byKey[`rollout:m:challenger:${bucket}`], {
    requests: 1,
    latency_sum_us: 400_000,
    le_inf: 1,
  });
  assert.deepEqual(byKey[`rollout:m:champion:${bucket + 1}`].le_1, 1);
  await c.close();
});

Deno.test("RolloutCounters flushes at most once a second by default and keeps counts a failed flush lost", async () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "Date"], now: T0 });
  try {
    const sink = new Sink();
    const c = new RolloutCounters({ sink }); // the default interval: 1 s
    c.shadow("m", "challenger", true);
    await c.flush();
    c.shadow("m", "challenger", false);
    await clock.tickAsync(999);
    assert.equal(sink.batches.length, 1, "no second write within the interval");
    await clock.tickAsync(1);
    assert.equal(sink.batches.length, 2, "the second write once the interval is over");
    assert.deepEqual(sink.batches[1][0].fields, { shadow_compared: 1 });
    sink.fail = true;
    c.shadow("m", "challenger", false);
    await c.flush();
    sink.fail = false;
    c.shadow("m", "challenger", false);
    await c.flush();
    const last = sink.batches.at(-1)!;
    assert.deepEqual(last[0].fields, { shadow_compared: 2 }, "the lost count is in the next write");
    await c.close();
  } finally {
    clock.uninstall();
  }
});
