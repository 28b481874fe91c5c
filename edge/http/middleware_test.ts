import assert from "node:assert/strict";
import { testApp } from "../../tests/support/edge_app.ts";
import { methodLabel } from "./middleware.ts";

Deno.test("methodLabel() keeps standard methods and folds any other token", () => {
  for (const m of ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
    assert.equal(methodLabel(m), m);
  }
  assert.equal(methodLabel("FOO1"), "other");
  assert.equal(methodLabel("PROPFIND"), "other");
});

Deno.test("frame() counts requests with made-up methods under one series", async () => {
  await using t = await testApp();
  for (let i = 0; i < 20; i++) {
    const res = await t.app.request("/predict", { method: `X${i}` });
    assert.equal(res.status, 405);
    await res.body?.cancel();
  }
  const text = await t.app.metrics.registry.metrics();
  const lines = text.split("\n").filter((l) => l.startsWith("ml_api_requests_total{"));
  assert.deepEqual(lines, [
    'ml_api_requests_total{route="/predict",method="other",status="405"} 20',
  ]);
});
