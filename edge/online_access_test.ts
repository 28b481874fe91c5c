import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { Registry } from "prom-client";
import { FRAUD_VIEW } from "../tests/support/views.ts";
import { createLogger } from "./log.ts";
import { createEdgeMetrics } from "./metrics.ts";
import { OnlineAccess } from "./online_access.ts";
import type { OnlineFeatureReader } from "./online/mod.ts";

/** An `OnlineAccess` over `reader` with the given timeout, silent, with its own metrics. */
function accessOver(reader: OnlineFeatureReader, timeoutMs: number): OnlineAccess {
  return new OnlineAccess({
    reader,
    timeoutMs,
    metrics: createEdgeMetrics(new Registry()),
    logger: createLogger("silent"),
    now: Date.now,
  });
}

Deno.test("OnlineAccess times out every hanging read with one shared timer, and leaves none behind", async () => {
  // Reads of entity "slow-*" never answer; the others answer at once.
  const reader: OnlineFeatureReader = {
    kind: "test",
    read: (lookups) =>
      lookups[0].entityId.startsWith("slow")
        ? new Promise(() => {})
        : Promise.resolve(lookups.map(() => ({ values: { n: 1 }, asOfMs: null }))),
  };
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  try {
    const access = accessOver(reader, 200);
    const first = [
      access.read([{ view: FRAUD_VIEW, entityId: "slow-1", asOfMs: 0 }]),
      access.read([{ view: FRAUD_VIEW, entityId: "fast-1", asOfMs: 0 }]),
    ];
    await clock.tickAsync(100);
    const later = [
      access.read([{ view: FRAUD_VIEW, entityId: "slow-2", asOfMs: 0 }]),
      access.read([{ view: FRAUD_VIEW, entityId: "fast-2", asOfMs: 0 }]),
    ];
    let slow2Done = false;
    later[0].then(() => (slow2Done = true));
    await clock.tickAsync(100);
    assert.equal(await first[0], null);
    // The second hanging read has its own full timeout: still pending when the first expires.
    assert.equal(slow2Done, false);
    await clock.tickAsync(99);
    assert.equal(slow2Done, false);
    await clock.tickAsync(1);
    assert.equal(slow2Done, true);
    const [slow1, fast1, slow2, fast2] = await Promise.all([...first, ...later]);
    assert.equal(slow1, null);
    assert.equal(slow2, null);
    assert.deepEqual(fast1, [{ values: { n: 1 }, asOfMs: null }]);
    assert.deepEqual(fast2, [{ values: { n: 1 }, asOfMs: null }]);
    assert.equal(access.health().status, "degraded");
    assert.deepEqual(await access.read([{ view: FRAUD_VIEW, entityId: "fast-3", asOfMs: 0 }]), [{
      values: { n: 1 },
      asOfMs: null,
    }]);
    assert.equal(access.health().status, "ok");
    assert.equal(clock.countTimers(), 0, "no timer left behind");
  } finally {
    clock.uninstall();
  }
});

Deno.test("OnlineAccess keeps deadlines right while hundreds of reads settle around a hanging one", async () => {
  // One read hangs while 300 others, answered in a scrambled order, come
  // and go: the queue of waiters is cut and compacted under the hanging
  // read, which must still time out on its own deadline; a reader that
  // throws before returning a promise is an error, not a hang.
  const answers: (() => void)[] = [];
  const reader: OnlineFeatureReader = {
    kind: "test",
    read: (lookups) => {
      const id = lookups[0].entityId;
      if (id === "throws") throw new Error("no connection");
      if (id === "slow") return new Promise(() => {});
      return new Promise((resolve) =>
        answers.push(() =>
          resolve(lookups.map((l) => ({ values: { id: Number(l.entityId) }, asOfMs: null })))
        )
      );
    },
  };
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  try {
    const access = accessOver(reader, 1000);
    let slow: Promise<unknown> | undefined;
    let slowSettled = false;
    const fast: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) {
        fast.push(
          access.read([{ view: FRAUD_VIEW, entityId: String(round * 100 + i), asOfMs: 0 }]),
        );
      }
      // Behind the first 100 waiters, so their queue is cut and compacted under it.
      slow ??= access.read([{ view: FRAUD_VIEW, entityId: "slow", asOfMs: 0 }]).finally(
        () => (slowSettled = true),
      );
      const batch = answers.splice(0);
      for (let i = batch.length - 1; i >= 0; i -= 2) batch[i]();
      for (let i = batch.length - 2; i >= 0; i -= 2) batch[i]();
      await clock.tickAsync(10);
    }
    const results = await Promise.all(fast);
    results.forEach((r, i) => assert.deepEqual(r, [{ values: { id: i }, asOfMs: null }]));
    assert.equal(slowSettled, false, "the hanging read waits for its own deadline");
    await clock.tickAsync(1000 - 30 - 1);
    assert.equal(slowSettled, false, "still within its deadline");
    await clock.tickAsync(1);
    assert.equal(await slow, null);
    assert.equal(await access.read([{ view: FRAUD_VIEW, entityId: "throws", asOfMs: 0 }]), null);
    assert.match(access.health().last_error ?? "", /no connection/);
    assert.equal(clock.countTimers(), 0, "no timer left behind");
  } finally {
    clock.uninstall();
  }
});

/** An `OnlineAccess` whose warnings and metrics are kept for the test to read. */
function observedAccess(reader: OnlineFeatureReader, timeoutMs: number) {
  const registry = new Registry();
  const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
  const access = new OnlineAccess({
    reader,
    timeoutMs,
    metrics: createEdgeMetrics(registry),
    logger: { enabled: () => true, log: (_level, msg, fields) => warnings.push({ msg, fields }) },
    now: Date.now,
  });
  const errors = async () => {
    const metric = await registry.getSingleMetric("ml_online_store_errors_total")!.get();
    return metric.values.map((v) => ({ ...v.labels, n: v.value }));
  };
  return { access, warnings, errors };
}

Deno.test("OnlineAccess gives an in-process reader no deadline: a read held up by a busy thread returns", async () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  try {
    // The answer comes 500 ms late, as when the thread is busy for that long.
    const reader: OnlineFeatureReader = {
      kind: "memory",
      inProcess: true,
      read: (lookups) =>
        new Promise((resolve) =>
          setTimeout(() => resolve(lookups.map(() => ({ values: { n: 7 }, asOfMs: null }))), 500)
        ),
    };
    const { access, warnings, errors } = observedAccess(reader, 50);
    const read = access.read([{ view: FRAUD_VIEW, entityId: "u1", asOfMs: 0 }]);
    await clock.tickAsync(500);
    assert.deepEqual(await read, [{ values: { n: 7 }, asOfMs: null }]);
    assert.deepEqual(await errors(), []);
    assert.deepEqual(warnings, []);
    assert.equal(access.health().status, "ok");
  } finally {
    clock.uninstall();
  }
});

Deno.test("OnlineAccess says which store timed out and why: no answer, or a thread busy past the deadline", async () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  try {
    const reader: OnlineFeatureReader = { kind: "upstash", read: () => new Promise(() => {}) };
    const { access, warnings, errors } = observedAccess(reader, 50);
    // The timer runs on time: the store did not answer.
    const slow = access.read([{ view: FRAUD_VIEW, entityId: "u1", asOfMs: 0 }], "req-1");
    await clock.tickAsync(50);
    assert.equal(await slow, null);
    // The thread is blocked for 300 ms: the timer runs 250 ms past the deadline.
    const blocked = access.read([{ view: FRAUD_VIEW, entityId: "u2", asOfMs: 0 }], "req-2");
    clock.jump(300);
    assert.equal(await blocked, null);
    assert.deepEqual(await errors(), [
      { store: "upstash", reason: "timeout", n: 1 },
      { store: "upstash", reason: "event_loop_blocked", n: 1 },
    ]);
    assert.equal(warnings[0].msg, "Online read from 'upstash' timed out: no answer within 50 ms");
    assert.deepEqual(warnings[0].fields, {
      request_id: "req-1",
      store: "upstash",
      reason: "timeout",
    });
    assert.match(
      warnings[1].msg,
      /^Online read from 'upstash' given up after 300 ms: this thread was busy 250 ms past the 50 ms deadline/,
    );
    assert.equal(warnings[1].fields?.reason, "event_loop_blocked");
    assert.equal(access.health().status, "degraded");
  } finally {
    clock.uninstall();
  }
});
