import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { createWorkerApp } from "./server.ts";

Deno.test("createWorkerApp() GET /health shows the last error only to a key holder", async () => {
  const app = createWorkerApp({
    source: "kafka",
    registry: new Registry(),
    apiKeys: ["ops-key"],
    status: () => ({
      state: "degraded",
      sourceReady: false,
      lastError:
        "Cannot open feature pipeline: postgres://platform:s3cret@db.internal:5432/x refused",
    }),
  });
  const anonymous = await (await app.request("/health")).json();
  assert.deepEqual(anonymous, { status: "degraded" });
  const full = await (await app.request("/health", { headers: { "x-api-key": "ops-key" } })).json();
  assert.equal(full.state, "degraded");
  assert.match(full.last_error, /db\.internal/);
  assert.ok(!full.last_error.includes("s3cret"), full.last_error);
});
