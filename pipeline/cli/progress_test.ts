import assert from "node:assert/strict";
import { Progress } from "./progress.ts";

Deno.test("Progress counts and summarises without drawing when not live", () => {
  const progress = new Progress({ label: "ingest", unit: "events", total: 1000, live: false });
  progress.update(400, { count: 7 });
  progress.update(1000, { count: 12 });
  progress.stop();
  assert.equal(progress.count, 12);
  assert.match(progress.summary(), /^12 events in \d+\.\d\d s \([\d,]+\/s\)$/);
});
