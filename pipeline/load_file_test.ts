import assert from "node:assert/strict";
import { rebaseLines } from "./load_file.ts";

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
