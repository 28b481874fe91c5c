import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { ErrorResponseSchema } from "../schemas/prediction.ts";
import { testApp } from "../tests/support/edge_app.ts";
import { jsonPost, REFERENCE_FRAUD_REQUEST } from "../tests/support/edge.ts";

async function error(res: Response, status: number, code: string) {
  assert.equal(res.status, status);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const body = ErrorResponseSchema.parse(await res.json());
  assert.equal(body.error.code, code);
  assert.equal(body.error.status, status);
  assert.equal(body.request_id, res.headers.get("x-request-id"));
  return body;
}

Deno.test("createApp() answers every error with the one JSON error shape", async () => {
  await using t = await testApp({ bodyLimitBytes: 2048 });
  const r = (path: string, init?: RequestInit) => t.app.request(path, init);
  await error(await r("/predict", jsonPost("{not json")), 400, "invalid_json");
  await error(
    await r("/predict", { method: "POST", body: "{}", headers: { "content-type": "text/plain" } }),
    415,
    "unsupported_media_type",
  );
  await error(await r("/predict", { method: "POST", body: "{}" }), 415, "unsupported_media_type");
  await error(
    await r("/predict", jsonPost({ features: { x: "y".repeat(4096) } })),
    413,
    "payload_too_large",
  );
  const invalid = await error(
    await r("/predict", jsonPost({ features: [], return_probabilities: "yes" })),
    422,
    "validation_failed",
  );
  assert.deepEqual(invalid.error.details!.map((d) => d.path).sort(), [
    "features",
    "return_probabilities",
  ]);
  await error(
    await r("/predict", jsonPost({ ...REFERENCE_FRAUD_REQUEST, model_name: "nope" })),
    404,
    "model_not_found",
  );
  await error(
    await r("/predict", jsonPost({ ...REFERENCE_FRAUD_REQUEST, version: "99" })),
    404,
    "version_not_found",
  );
  await error(await r("/nowhere"), 404, "not_found");
  const wrong = await r("/predict", { method: "GET" });
  await error(wrong, 405, "method_not_allowed");
  assert.equal(wrong.headers.get("allow"), "POST");
  const wrong2 = await r("/health", { method: "DELETE" });
  await error(wrong2, 405, "method_not_allowed");
  assert.equal(wrong2.headers.get("allow"), "GET, HEAD");
});

Deno.test("createApp() enforces the body limit on chunked bodies without a length", async () => {
  await using t = await testApp({ bodyLimitBytes: 1024 });
  const chunk = new TextEncoder().encode(" ".repeat(600));
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(chunk);
      c.enqueue(chunk);
      c.close();
    },
  });
  const req = new Request("http://edge/predict", {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  const res = await t.app.request(req);
  await error(res, 413, "payload_too_large");
});

Deno.test("createApp() honours a well-formed X-Request-ID and replaces a bad one", async () => {
  await using t = await testApp();
  const good = await t.app.request("/health", { headers: { "x-request-id": "abc-123" } });
  assert.equal(good.headers.get("x-request-id"), "abc-123");
  const bad = await t.app.request("/health", { headers: { "x-request-id": "bad id\u0001" } });
  assert.match(bad.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  const res = await t.app.request(
    "/predict",
    jsonPost(REFERENCE_FRAUD_REQUEST, { "x-request-id": "req-42" }),
  );
  assert.equal((await res.json()).request_id, "req-42");
});

Deno.test("createApp() requires a configured API key on prediction routes only", async () => {
  await using t = await testApp({ apiKeys: ["k1-secret", "k2-secret"] });
  const none = await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST));
  await error(none, 401, "unauthorized");
  assert.match(none.headers.get("www-authenticate")!, /^Bearer/);
  await error(
    await t.app.request(
      "/predict",
      jsonPost(REFERENCE_FRAUD_REQUEST, { authorization: "Bearer k1-secreT" }),
    ),
    401,
    "unauthorized",
  );
  const ok = await t.app.request(
    "/predict",
    jsonPost(REFERENCE_FRAUD_REQUEST, { authorization: "Bearer k2-secret" }),
  );
  assert.equal(ok.status, 200);
  await error(await t.app.request("/models"), 401, "unauthorized");
  assert.equal((await t.app.request("/health")).status, 200);
  assert.equal((await t.app.request("/ready")).status, 200);
});

Deno.test("createApp() sends CORS headers only to configured origins", async () => {
  await using t = await testApp({ corsOrigins: ["https://app.example"], corsCredentials: true });
  const pre = await t.app.request("/predict", {
    method: "OPTIONS",
    headers: { origin: "https://app.example", "access-control-request-method": "POST" },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "https://app.example");
  assert.equal(pre.headers.get("access-control-allow-credentials"), "true");
  assert.match(pre.headers.get("access-control-allow-methods")!, /POST/);
  const other = await t.app.request("/health", { headers: { origin: "https://evil.example" } });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
  const same = await t.app.request("/health", { headers: { origin: "https://app.example" } });
  assert.equal(same.headers.get("access-control-allow-origin"), "https://app.example");
  assert.equal(same.headers.get("vary"), "Origin");
});

Deno.test("createApp() writes structured JSON logs with the request id", async () => {
  await using t = await testApp({ onlineTimeoutMs: 10 }, {
    online: { kind: "down", read: () => Promise.reject(new Error("boom")) },
  });
  await t.app.request(
    "/predict",
    jsonPost({ entity_id: "u", features: { amount: 1 } }, { "x-request-id": "log-1" }),
  );
  const lines = t.logs.filter((l) => l.request_id === "log-1");
  assert.ok(lines.some((l) => l.level === "warn" && String(l.msg).includes("boom")));
  assert.ok(lines.some((l) => l.msg === "request" && l.status === 503 && l.route === "/predict"));
  for (const l of lines) assert.equal(typeof l.ts, "string");
});

Deno.test("createApp() GET /ready answers 503 with Retry-After until the model is warmed", async () => {
  const { LocalRegistry } = await import("../registry/mod.ts");
  const registry = new LocalRegistry({ root: await Deno.makeTempDir() });
  await using t = await testApp({}, {}, { registry, warm: false });
  const res = await t.app.request("/ready");
  await error(res, 503, "model_not_ready");
  assert.equal(res.headers.get("retry-after"), "1");
  await error(
    await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST)),
    404,
    "model_not_found",
  );
  const health = await (await t.app.request("/health")).json();
  assert.equal(health.status, "degraded");
  assert.equal(health.checks.models.status, "degraded");
  const { demoPackage } = await import("../tests/support/edge.ts");
  await registry.register(await demoPackage());
  await registry.setAlias("fraud_detector", "champion", "1");
  await t.app.warmup();
  const ready = await t.app.request("/ready");
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), {
    ready: true,
    model_name: "fraud_detector",
    model_version: "1",
  });
});

Deno.test("createApp() GET /metrics keeps the reference names and labels routes by template", async () => {
  await using t = await testApp();
  await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST));
  await t.app.request(
    "/predict/batch",
    jsonPost({ instances: [REFERENCE_FRAUD_REQUEST.features] }),
  );
  await t.app.request("/models/fraud_detector");
  await t.app.request("/models/some_other_name");
  const res = await t.app.request("/metrics");
  assert.match(res.headers.get("content-type")!, /text\/plain/);
  const text = await res.text();
  for (
    const name of [
      "ml_predictions_total",
      "ml_prediction_duration_seconds_bucket",
      "ml_batch_predictions_total",
      "ml_model_loads_total",
      "ml_active_models",
      "ml_api_requests_total",
      "ml_feature_cache_hits_total",
      "ml_feature_cache_misses_total",
      "ml_feature_age_seconds",
    ]
  ) assert.ok(text.includes(name), name);
  assert.match(
    text,
    /ml_predictions_total\{model_name="fraud_detector",model_version="1",status="success",variant="champion"\} 1/,
  );
  assert.match(
    text,
    /ml_api_requests_total\{route="\/models\/\{name\}",method="GET",status="200"\} 1/,
  );
  assert.match(
    text,
    /ml_api_requests_total\{route="\/models\/\{name\}",method="GET",status="404"\} 1/,
  );
  assert.ok(!text.includes("some_other_name"), "raw paths never become labels");
  assert.match(text, /ml_prediction_duration_seconds_bucket\{le="0.0005"/);
  assert.match(text, /ml_active_models 1/);
});

Deno.test("createApp() answers 404 for model names a registry would refuse", async () => {
  await using t = await testApp();
  for (const name of ["\u001a", "../etc", "a b", ".hidden"]) {
    const res = await t.app.request(
      "/predict",
      jsonPost({ ...REFERENCE_FRAUD_REQUEST, model_name: name }),
    );
    await error(res, 404, "model_not_found");
  }
});

Deno.test("createApp() GET /health gives the status only without an API key", async () => {
  await using t = await testApp({ apiKeys: ["k1-secret"] });
  const anonymous = await (await t.app.request("/health")).json();
  assert.deepEqual(Object.keys(anonymous), ["status"]);
  const wrong = await (await t.app.request("/health", {
    headers: { authorization: "Bearer nope" },
  })).json();
  assert.deepEqual(Object.keys(wrong), ["status"]);
  const full = await (await t.app.request("/health", {
    headers: { authorization: "Bearer k1-secret" },
  })).json();
  assert.equal(full.status, anonymous.status);
  assert.equal(full.checks.registry.kind, "local");
});

Deno.test("createApp() answers 408 to a /predict body that stops arriving", async () => {
  const clock = FakeTimers.withGlobal(globalThis).install({
    toFake: ["setInterval", "clearInterval", "Date"],
  });
  try {
    await using t = await testApp({ bodyTimeoutMs: 2000 });
    // Declared length, partial body: the fast path's native read would wait forever.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"features":'));
      },
    });
    const pending = t.app.request("/predict", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "500" },
      body,
    });
    await clock.tickAsync(3000);
    await error(await pending, 408, "request_timeout");
  } finally {
    clock.uninstall();
  }
});
