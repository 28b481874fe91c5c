import assert from "node:assert/strict";
import { MemorySource } from "./memory.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("MemorySource.pull() returns batches in order up to maxBatch", async () => {
  const s = new MemorySource({ maxBatch: 2 });
  s.publish(["1", "2", "3"]);
  const a = await s.pull(new AbortController().signal);
  assert.deepEqual(a!.messages.map((m) => text(m.payload)), ["1", "2"]);
  await a!.ack();
  const b = await s.pull(new AbortController().signal);
  assert.deepEqual(b!.messages.map((m) => text(m.payload)), ["3"]);
});

Deno.test("MemorySource nack redelivers before newer messages", async () => {
  const s = new MemorySource({ maxBatch: 2 });
  s.publish(["1", "2", "3"]);
  const a = await s.pull(new AbortController().signal);
  await a!.nack("down");
  const again = await s.pull(new AbortController().signal);
  assert.deepEqual(again!.messages.map((m) => text(m.payload)), ["1", "2"]);
  await assert.rejects(() => a!.ack(), /already acked or nacked/);
});

Deno.test("MemorySource.pull() resolves null when aborted while waiting", async () => {
  const s = new MemorySource();
  const ac = new AbortController();
  const p = s.pull(ac.signal);
  ac.abort();
  assert.equal(await p, null);
});

Deno.test("MemorySource.publish() refuses messages beyond capacity", () => {
  const s = new MemorySource({ capacity: 2 });
  assert.equal(s.publish(["1", "2", "3"]), 2);
  assert.equal(s.pending, 2);
});
