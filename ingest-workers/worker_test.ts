import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { MemorySource } from "./memory.ts";
import { createIngestMetrics } from "./ingest_metrics.ts";
import { testEvent, TestPipeline } from "../tests/support/ingest_pipeline.ts";
import type { Lease, MessageSource, SourceListener } from "./port.ts";
import { IngestRetryableError } from "./errors.ts";
import { IngestWorker } from "./worker.ts";
import { until } from "../tests/support/wait.ts";

Deno.test("IngestWorker commits every valid event once and dead-letters invalid ones", async () => {
  const source = new MemorySource({ maxBatch: 3 });
  const pipeline = new TestPipeline();
  const worker = new IngestWorker({ source, pipeline });
  source.publish([
    testEvent("a"),
    testEvent("b"),
    testEvent("a"),
    "{not json",
    new Uint8Array([0xff, 0xfe, 0x7b]),
    JSON.stringify({ event_id: "c" }),
    testEvent("d"),
  ]);
  const run = worker.run();
  await until(() => source.pending === 0 && source.inFlight === 0, "drain");
  await worker.stop();
  await run;
  assert.deepEqual(pipeline.committed, ["a", "b", "d"]);
  assert.deepEqual(pipeline.deadLetters.map((d) => d.reason), [
    "Payload is not valid JSON",
    "Payload is not UTF-8",
    "Invalid event: user_id, amount, timestamp",
  ]);
  assert.equal(worker.state, "stopped");
});

Deno.test("IngestWorker does not ack while the pipeline is down and resumes by itself", async () => {
  const source = new MemorySource();
  const pipeline = new TestPipeline();
  const registry = new Registry();
  const metrics = createIngestMetrics(registry);
  const worker = new IngestWorker({
    source,
    pipeline,
    metrics,
    backoffInitialMs: 5,
    backoffMaxMs: 20,
  });
  pipeline.down = true;
  source.publish([testEvent("x"), testEvent("y")]);
  const run = worker.run();
  await until(() => pipeline.calls >= 3, "retries");
  assert.equal(worker.state, "degraded");
  assert.equal(source.pending + source.inFlight, 2);
  assert.match(await registry.metrics(), /ingest_degraded\{source="memory"\} 1/);
  pipeline.down = false;
  await until(() => pipeline.committed.length === 2, "recovery");
  await until(() => worker.state === "running", "running state");
  await worker.stop();
  await run;
  assert.deepEqual(pipeline.committed, ["x", "y"]);
  assert.match(await registry.metrics(), /ingest_degraded\{source="memory"\} 0/);
});

Deno.test("IngestWorker dead-letters a message that keeps failing after maxDeliveries", async () => {
  const source = new MemorySource();
  const pipeline = new TestPipeline();
  pipeline.poisonId = "bad";
  const worker = new IngestWorker({ source, pipeline, maxDeliveries: 3, backoffInitialMs: 1 });
  source.publish([testEvent("ok1"), testEvent("bad"), testEvent("ok2")]);
  const run = worker.run();
  await until(() => source.pending === 0 && source.inFlight === 0, "drain");
  await worker.stop();
  await run;
  assert.deepEqual(pipeline.committed, ["ok1", "ok2"]);
  assert.equal(pipeline.deadLetters.length, 1);
  assert.match(
    pipeline.deadLetters[0].reason,
    /^Gave up after 3 failed deliveries: Cannot process event 'bad'/,
  );
});

Deno.test("IngestWorker.stop() lets the batch in flight commit and ack", async () => {
  const source = new MemorySource();
  const inner = new TestPipeline();
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  let entered = false;
  const pipeline = {
    async processBatch(m: Parameters<TestPipeline["processBatch"]>[0]) {
      entered = true;
      await gate;
      return inner.processBatch(m);
    },
    deadLetter: inner.deadLetter.bind(inner),
  };
  const worker = new IngestWorker({ source, pipeline });
  source.publish([testEvent("p"), testEvent("q")]);
  const run = worker.run();
  await until(() => entered, "batch in flight");
  const stopping = worker.stop();
  assert.equal(worker.state, "stopping");
  release();
  await stopping;
  await run;
  assert.deepEqual(inner.committed, ["p", "q"]);
  assert.equal(source.inFlight, 0);
  assert.equal(source.pending, 0);
});

Deno.test("IngestWorker with concurrency 2 commits every event once", async () => {
  const source = new MemorySource({ maxBatch: 7 });
  const pipeline = new TestPipeline();
  const worker = new IngestWorker({ source, pipeline, concurrency: 2 });
  const ids = Array.from({ length: 100 }, (_, i) => `c${i}`);
  source.publish(ids.map((id) => testEvent(id)));
  const run = worker.run();
  await until(() => source.pending === 0 && source.inFlight === 0, "drain");
  await worker.stop();
  await run;
  assert.deepEqual([...pipeline.committed].sort(), [...ids].sort());
});

/** MemorySource whose messages starting with "BAD" come out flagged undecodable, as Kafka's would. */
class FlaggingSource implements MessageSource {
  readonly kind = "memory";
  readonly inner = new MemorySource();
  listener?: SourceListener;
  start = () => this.inner.start();
  isReady = () => this.inner.isReady();
  close = () => this.inner.close();
  setListener(l: SourceListener) {
    this.listener = l;
  }
  async pull(signal: AbortSignal): Promise<Lease | null> {
    const lease = await this.inner.pull(signal);
    if (!lease) return null;
    const messages = lease.messages.map((m) =>
      new TextDecoder().decode(m.payload).startsWith("BAD")
        ? { ...m, undecodable: "zstd: data decompresses to more than 1024 bytes" }
        : m
    );
    return { ...lease, messages, ack: lease.ack, nack: lease.nack, retry: lease.retry };
  }
}

Deno.test("IngestWorker retries an undecodable message with backoff, then dead-letters it with its metadata", async () => {
  const source = new FlaggingSource();
  const pipeline = new TestPipeline();
  const registry = new Registry();
  const worker = new IngestWorker({
    source,
    pipeline,
    metrics: createIngestMetrics(registry),
    maxDeliveries: 3,
    backoffInitialMs: 20,
  });
  source.inner.publish([testEvent("ok1"), "BAD batch", testEvent("ok2")], { offset: "7" });
  const run = worker.run();
  await until(() => pipeline.committed.length === 2, "the good messages");
  await until(() => worker.state === "degraded", "degraded while retrying");
  assert.match(worker.lastError!, /decompresses to more than 1024 bytes/);
  assert.match(await registry.metrics(), /ingest_degraded\{source="memory"\} 1/);
  await until(() => pipeline.deadLetters.length === 1, "the dead letter");
  const [dead] = pipeline.deadLetters;
  assert.match(dead.reason, /^Gave up after 3 failed deliveries: zstd: data decompresses/);
  assert.equal(dead.meta?.offset, "7");
  assert.equal(new TextDecoder().decode(dead.payload), "BAD batch");
  await until(() => worker.state === "running", "running again");
  assert.match(await registry.metrics(), /ingest_degraded\{source="memory"\} 0/);
  await worker.stop();
  await run;
  assert.deepEqual(pipeline.committed, ["ok1", "ok2"]);
});

Deno.test("IngestWorker reports degraded while its source says it is failing", async () => {
  const source = new FlaggingSource();
  const worker = new IngestWorker({ source, pipeline: new TestPipeline() });
  const run = worker.run();
  await until(() => worker.state === "running", "running");
  source.listener!.failing("Kafka consumer crashed", new Error("broker gone"));
  assert.equal(worker.state, "degraded");
  assert.equal(worker.lastError, "Kafka consumer crashed: broker gone");
  source.listener!.recovered();
  assert.equal(worker.state, "running");
  await worker.stop();
  await run;
});

Deno.test("IngestWorker is running again once its source starts, with nothing to process yet", async () => {
  const source = new FlaggingSource();
  let failures = 1;
  source.start = () =>
    failures-- > 0
      ? Promise.reject(new IngestRetryableError("Cannot reach broker: refused"))
      : Promise.resolve();
  const worker = new IngestWorker({ source, pipeline: new TestPipeline(), backoffInitialMs: 5 });
  const run = worker.run();
  await until(() => failures < 0 && worker.state === "running", "running after the retry");
  assert.equal(worker.lastError, "Cannot start memory source: Cannot reach broker: refused");
  await worker.stop();
  await run;
});
