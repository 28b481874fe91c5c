import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { registerProcessMetrics } from "./process_metrics.ts";

Deno.test("registerProcessMetrics() reports a non-zero resident memory and event loop lag", async () => {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const text = await registry.metrics();
  const rss = Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1]);
  assert.ok(rss > 1_000_000, `rss ${rss}`);
  assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  assert.equal(text.match(/^# TYPE process_resident_memory_bytes /gm)?.length, 1);
});
