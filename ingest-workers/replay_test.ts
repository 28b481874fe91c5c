import assert from "node:assert/strict";
import type { EventProducer, ProducerRecord } from "./port.ts";
import { replayFile } from "./replay.ts";

class RecordingProducer implements EventProducer {
  readonly kind = "memory";
  readonly records: ProducerRecord[] = [];
  sends = 0;
  send(records: ProducerRecord[]): Promise<void> {
    this.sends++;
    this.records.push(...records);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const text = (v: string | Uint8Array) => typeof v === "string" ? v : new TextDecoder().decode(v);

async function withFile(content: string, fn: (path: string) => Promise<void>) {
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(path, content);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

const lines = [
  `{"event_id":"1","user_id":"u1","amount":1,"timestamp":"2026-03-20T11:00:00+00:00"}`,
  `not json`,
  `{"event_id":"2","user_id":"u2","amount":2,"timestamp":"2026-03-20T12:00:00Z"}`,
].join("\r\n") + "\n\n";

Deno.test("replayFile() sends every line keyed by user_id, bytes unchanged", async () => {
  await withFile(lines, async (file) => {
    const producer = new RecordingProducer();
    const progress = await replayFile({ file, producer, batchSize: 2 });
    assert.equal(progress.sent, 3);
    assert.equal(producer.sends, 2);
    assert.deepEqual(producer.records.map((r) => r.key), ["u1", "unparseable", "u2"]);
    assert.equal(text(producer.records[1].value), "not json");
    assert.equal(text(producer.records[0].value), lines.split("\r\n")[0]);
  });
});

Deno.test("replayFile() --rebase-time shifts every timestamp so the newest is now", async () => {
  await withFile(lines, async (file) => {
    const producer = new RecordingProducer();
    const nowMs = Date.parse("2026-11-28T06:00:00Z");
    await replayFile({ file, producer, rebaseTime: true, nowMs });
    const times = [0, 2].map((i) => JSON.parse(text(producer.records[i].value)).timestamp);
    assert.deepEqual(times, ["2026-11-28T05:00:00.000Z", "2026-11-28T06:00:00.000Z"]);
  });
});

Deno.test("replayFile() with a rate sends in small batches", async () => {
  const many = Array.from({ length: 120 }, (_, i) => `{"event_id":"${i}","user_id":"u${i}"}`);
  await withFile(many.join("\n"), async (file) => {
    const producer = new RecordingProducer();
    await replayFile({ file, producer, ratePerSec: 1000 });
    assert.equal(producer.records.length, 120);
    assert.equal(producer.sends, 3); // 1000/s → batches of 1000/20 = 50
  });
});

Deno.test("replayFile() keys by the given entity and rebases the given time field", async () => {
  const readings = [
    `{"event_id":"r1","device_id":"d1","site_id":"s1","read_at":"2026-03-20T11:00:00Z"}`,
    `{"event_id":"r2","device_id":"d2","site_id":"s1","read_at":"2026-03-20T11:30:00"}`,
    `{"event_id":"r3","site_id":"s1","read_at":"2026-03-20T12:00:00Z"}`,
  ].join("\n");
  await withFile(readings, async (file) => {
    const producer = new RecordingProducer();
    await replayFile({
      file,
      producer,
      rebaseTime: true,
      nowMs: Date.parse("2026-11-28T06:00:00Z"),
      keyOf: (e) => typeof e.device_id === "string" ? e.device_id : undefined,
      timestampField: "read_at",
    });
    assert.deepEqual(producer.records.map((r) => r.key), ["d1", "d2", "unknown"]);
    assert.deepEqual(producer.records.map((r) => JSON.parse(text(r.value)).read_at), [
      "2026-11-28T05:00:00.000Z",
      "2026-11-28T05:30:00.000Z",
      "2026-11-28T06:00:00.000Z",
    ]);
  });
});
