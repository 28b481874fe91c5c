import assert from "node:assert/strict";
import { resolveConsoleConfig } from "./config.ts";

Deno.test("resolveConsoleConfig() requires the admin token and lists every problem", () => {
  assert.throws(
    () => resolveConsoleConfig({ CONSOLE_METRICS_URLS: "edge:8000", CONSOLE_PORT: "x" }),
    (e: Error) =>
      /CONSOLE_ADMIN_TOKEN: Required/.test(e.message) && /CONSOLE_PORT/.test(e.message) &&
      /name=http\(s\):\/\/url, got 'edge:8000'/.test(e.message),
  );
  assert.throws(() => resolveConsoleConfig({ CONSOLE_ADMIN_TOKEN: "short" }), /at least 16/);
});

Deno.test("resolveConsoleConfig() reads the metrics URLs as name=url pairs", () => {
  const c = resolveConsoleConfig({
    CONSOLE_ADMIN_TOKEN: "a-long-enough-token",
    CONSOLE_METRICS_URLS: "edge=http://127.0.0.1:8000/metrics, kafka=http://127.0.0.1:9101/metrics",
  });
  assert.deepEqual(c.metricsUrls, [
    { name: "edge", url: "http://127.0.0.1:8000/metrics" },
    { name: "kafka", url: "http://127.0.0.1:9101/metrics" },
  ]);
  assert.equal(c.port, 8300);
  assert.equal(c.host, "127.0.0.1");
});
