/**
 * Contract suite of the `MessageSource` port, run against every adapter
 * (memory, Kafka, Kinesis, Pub/Sub). Each adapter test supplies a fixture
 * that creates a fresh stream and publishes raw payloads to it.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Lease, MessageSource } from "../../ingest-workers/port.ts";

/** A fresh stream for one test case. */
export interface SourceFixture {
  /** A new source (a new worker) on the fixture's stream and group. */
  source(): MessageSource;
  /** Produces raw payloads to the stream. */
  publish(payloads: (string | Uint8Array)[]): Promise<void>;
  /** Whether unacked messages survive `close()` and reach the next source. */
  durable: boolean;
  cleanup(): Promise<void>;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Pulls until `count` payloads were seen, acking or nacking each lease. */
async function drain(
  source: MessageSource,
  count: number,
  settle: (l: Lease) => Promise<void> = (l) => l.ack(),
  timeoutMs = 30_000,
): Promise<string[]> {
  const seen: string[] = [];
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    while (seen.length < count && !ac.signal.aborted) {
      const lease = await source.pull(ac.signal);
      if (!lease) break;
      seen.push(...lease.messages.map((m) => text(m.payload)));
      await settle(lease);
    }
  } finally {
    clearTimeout(timer);
  }
  return seen;
}

/** Registers the contract tests for one adapter. */
export function messageSourceContract(
  name: string,
  makeFixture: () => Promise<SourceFixture>,
): void {
  const test = (what: string, fn: (f: SourceFixture) => Promise<void>) =>
    Deno.test({
      name: `${name} ${what}`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const f = await makeFixture();
        try {
          await fn(f);
        } finally {
          await f.cleanup();
        }
      },
    });

  test("delivers every published message with its bytes, ids and metadata", async (f) => {
    const s = f.source();
    await s.start();
    const payloads = Array.from({ length: 25 }, (_, i) => `m${i}`);
    await f.publish([...payloads, new Uint8Array([0xff, 0x00, 0xfe])]);
    const seen: Uint8Array[] = [];
    const ids = new Set<string>();
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 30_000);
    while (seen.length < 26) {
      const lease = await s.pull(ac.signal);
      if (!lease) break;
      for (const m of lease.messages) {
        seen.push(m.payload);
        ids.add(m.id);
        assert.equal(typeof m.meta.source, "string");
      }
      await lease.ack();
    }
    clearTimeout(timer);
    await s.close();
    // Order holds only per partition or shard, so compare as sets of exact bytes.
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    const want = [
      ...payloads.map((p) => new TextEncoder().encode(p)),
      new Uint8Array([0xff, 0x00, 0xfe]),
    ];
    assert.deepEqual(seen.map(hex).sort(), want.map(hex).sort());
    assert.equal(ids.size, 26);
  });

  test("redelivers a nacked lease", async (f) => {
    const s = f.source();
    await s.start();
    await f.publish(["a", "b", "c"]);
    let nacked = false;
    const seen = await drain(s, 6, (l) => {
      if (nacked) return l.ack();
      nacked = true;
      return l.nack("test");
    });
    await s.close();
    // Everything in the nacked lease came again, and nothing is missing.
    assert.deepEqual([...new Set(seen)].sort(), ["a", "b", "c"]);
    assert.ok(seen.length > 3, `expected a redelivery, saw ${seen.join(",")}`);
  });

  test("retry() keeps the other messages done and brings the failed one back", async (f) => {
    const s = f.source();
    await s.start();
    await f.publish(["r1", "r2", "r3"]);
    const seen: string[] = [];
    let retried = false;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 30_000);
    while (!ac.signal.aborted) {
      const lease = await s.pull(ac.signal);
      if (!lease) break;
      const r2 = lease.messages.find((m) => text(m.payload) === "r2");
      seen.push(...lease.messages.map((m) => text(m.payload)));
      if (r2 && !retried) {
        retried = true;
        assert.ok(lease.retry, "sources implement retry()");
        await lease.retry(new Set([r2.id]), "test", 100);
      } else await lease.ack();
      if (retried && seen.filter((x) => x === "r2").length === 2 && seen.includes("r1")) {
        if (seen.includes("r3")) break;
      }
    }
    clearTimeout(timer);
    await s.close();
    // r2 came twice; r1 (and r3 on unordered sources) never again after the retry.
    assert.equal(seen.filter((x) => x === "r2").length, 2, seen.join(","));
    assert.equal(seen.filter((x) => x === "r1").length, 1, seen.join(","));
    assert.ok(seen.includes("r3"));
  });

  test("does not redeliver acked messages to the next consumer", async (f) => {
    if (!f.durable) return; // memory: nothing outlives the process; stated in the fixture
    const first = f.source();
    await first.start();
    await f.publish(["x1", "x2", "x3"]);
    assert.deepEqual((await drain(first, 3)).sort(), ["x1", "x2", "x3"]);
    await first.close();
    const second = f.source();
    await second.start();
    await f.publish(["x4"]);
    assert.deepEqual(await drain(second, 1), ["x4"]);
    await second.close();
  });

  test("hands unacked messages to the next consumer after close", async (f) => {
    if (!f.durable) return;
    const first = f.source();
    await first.start();
    await f.publish(["y1", "y2"]);
    const ac = new AbortController();
    const lease = await first.pull(ac.signal);
    assert.ok(lease && lease.messages.length > 0);
    await first.close();
    const second = f.source();
    await second.start();
    const seen = await drain(second, 2);
    await second.close();
    assert.deepEqual([...new Set(seen)].sort(), ["y1", "y2"]);
  });

  test("pull() resolves null once aborted", async (f) => {
    const s = f.source();
    await s.start();
    const ac = new AbortController();
    const p = s.pull(ac.signal);
    setTimeout(() => ac.abort(), 50);
    assert.equal(await p, null);
    await s.close();
  });
}
