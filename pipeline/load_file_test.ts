import assert from "node:assert/strict";
import { FeaturePipeline } from "./feature_pipeline.ts";
import { DEMO_VIEW } from "./features/mod.ts";
import { loadJsonlFile, rebaseLines } from "./load_file.ts";
import { MemoryOnlineCache } from "./online/mod.ts";
import { PgliteFeatureStore } from "./store/mod.ts";

Deno.test("rebaseLines() shifts every timestamp so the newest is now, keeping bad lines", () => {
  const now = Date.UTC(2026, 10, 28, 12, 0, 0);
  const { lines, shiftMs } = rebaseLines([
    '{"event_id":"a","timestamp":"2026-03-20T11:00:00+00:00"}',
    "not json",
    '{"event_id":"b","timestamp":"2026-03-19T11:00:00"}',
  ], now);
  assert.equal(JSON.parse(lines[0]).timestamp, new Date(now).toISOString());
  assert.equal(lines[1], "not json");
  assert.equal(Date.parse(JSON.parse(lines[2]).timestamp), now - 86_400_000);
  assert.equal(shiftMs, now - Date.UTC(2026, 2, 20, 11));
});

Deno.test("loadJsonlFile() streams a file in batches, rebasing like loadJsonl()", async () => {
  const dir = await Deno.makeTempDir();
  const store = new PgliteFeatureStore();
  const cache = new MemoryOnlineCache();
  try {
    await store.migrate();
    await store.registerView(DEMO_VIEW);
    const pipeline = new FeaturePipeline({ store, cache });
    const event = (i: number, t: string) =>
      JSON.stringify({ event_id: `f${i}`, user_id: "u1", amount: i, timestamp: t });
    const text = [
      event(1, "2026-01-01T00:00:00Z"),
      "",
      "not json",
      event(2, "2026-01-02T00:00:00Z"),
      event(3, "2026-01-03T00:00:00Z"),
    ].join("\r\n");
    await Deno.writeTextFile(`${dir}/e.jsonl`, text);
    const seen: number[] = [];
    const nowMs = Math.floor(Date.now() / 1000) * 1000;
    const totals = await loadJsonlFile(pipeline, `${dir}/e.jsonl`, {
      rebase: true,
      nowMs,
      batchSize: 2,
      onProgress: (_bytes, lines) => seen.push(lines),
    });
    assert.deepEqual(totals, {
      accepted: 3,
      duplicate: 0,
      dead_lettered: 1,
      shiftMs: nowMs - Date.parse("2026-01-03T00:00:00Z"),
    });
    assert.deepEqual(seen, [2, 4]);
    const online = await pipeline.getOnlineFeatures("u1", nowMs + 1000);
    assert.equal(online.features.transaction_count_24h, 1);
    assert.equal(online.features.amount_sum_24h, 3);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
