import assert from "node:assert/strict";
import { BodyReader } from "../../pipeline/http_guard.ts";
import { defaultEdgeConfig } from "../config.ts";
import { createLogger } from "../log.ts";
import type { EdgeMetrics } from "../metrics.ts";
import type { PredictionService } from "../service.ts";
import { testApp } from "../../tests/support/edge_app.ts";
import { REFERENCE_FRAUD_REQUEST } from "../../tests/support/edge.ts";
import { fastPredictRoute } from "./fast_predict.ts";

const NOW = Date.parse("2026-03-20T12:00:00Z");
const clock = { now: () => NOW };

function post(body: string, headers: Record<string, string> = {}, path = "/predict") {
  return new Request(`http://localhost${path}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** The same request with a `Content-Length` (fast path) and without it (routed by Hono). */
function pair(body: string, headers: Record<string, string> = {}) {
  const length = String(new TextEncoder().encode(body).length);
  return {
    fast: post(body, { ...headers, "content-length": length }),
    routed: post(body, headers),
  };
}

async function snapshot(res: Response) {
  const text = await res.text();
  const body = text ? JSON.parse(text) : text;
  if (body && typeof body === "object") {
    delete body.latency_ms; // timing differs between the two calls
    if (typeof body.request_id === "string" && !body.request_id.startsWith("rid")) {
      body.request_id = "(generated)";
    }
  }
  const headers = Object.fromEntries(
    [...res.headers].filter(([k]) => k !== "x-request-id" || res.headers.get(k)!.startsWith("rid")),
  );
  return { status: res.status, headers, body };
}

const deps = {
  config: defaultEdgeConfig(),
  service: {} as PredictionService,
  metrics: {} as EdgeMetrics,
  logger: createLogger("silent"),
  bodies: new BodyReader({ maxBytes: defaultEdgeConfig().bodyLimitBytes }),
};

Deno.test("fastPredictRoute() takes only plain POST /predict with a JSON body of known length", () => {
  const route = fastPredictRoute({
    ...deps,
    service: { predict: () => new Promise(() => {}) } as never,
  });
  const body = JSON.stringify(REFERENCE_FRAUD_REQUEST);
  const len = { "content-length": String(body.length) };
  assert.ok(route(post(body, len)) instanceof Promise);
  assert.equal(route(post(body, len, "/predict?x=1")), undefined);
  assert.equal(route(post(body, len, "/predict/")), undefined);
  assert.equal(route(post(body, len, "/predict/batch")), undefined);
  assert.equal(route(post(body, len, "/x/predict")), undefined);
  assert.equal(route(post(body)), undefined);
  assert.equal(route(post(body, { ...len, origin: "https://app.test" })), undefined);
  assert.equal(route(post(body, { ...len, "content-type": "text/plain" })), undefined);
  assert.equal(route(post(body, { "content-length": "1.5" })), undefined);
  assert.equal(route(post(body, { "content-length": String(10 ** 9) })), undefined);
  assert.equal(route(new Request("http://localhost/predict")), undefined);
});

Deno.test("fastPredictRoute() answers exactly as the routed path: bodies, errors, headers, metrics", async () => {
  const ref = JSON.stringify(REFERENCE_FRAUD_REQUEST);
  const cases: [string, Record<string, string>][] = [
    [ref, { "x-request-id": "rid-1" }],
    [ref, {}],
    [JSON.stringify({ ...REFERENCE_FRAUD_REQUEST, return_probabilities: false }), {}],
    [JSON.stringify({ features: { amount: 5 } }), { "x-request-id": "rid-2" }],
    [JSON.stringify({ features: [1, 2] }), { "x-request-id": "rid-3" }],
    [JSON.stringify({ features: { a: {} }, model_name: "" }), { "x-request-id": "rid-4" }],
    [JSON.stringify({ ...REFERENCE_FRAUD_REQUEST, model_name: "nope" }), {
      "x-request-id": "rid-5",
    }],
    [JSON.stringify({ ...REFERENCE_FRAUD_REQUEST, timestamp: "yesterday" }), {}],
    ["{not json", { "x-request-id": "rid-6" }],
    ["", { "x-request-id": "rid-7" }],
    ["[]", { "x-request-id": "rid-8" }],
    [ref, { "x-request-id": "bad id with spaces" }],
  ];
  const configs = [
    { apiKeys: [], chunkedPredict: true },
    { apiKeys: ["k1", "k2"], chunkedPredict: true },
    { apiKeys: [], chunkedPredict: false },
  ];
  for (const { apiKeys, chunkedPredict } of configs) {
    await using t = await testApp({ apiKeys, chunkedPredict }, { clock });
    const auths: Record<string, string>[] = apiKeys.length
      ? [{}, { authorization: "Bearer k2" }, { authorization: "Bearer nope" }]
      : [{}];
    for (const auth of auths) {
      for (const [body, headers] of cases) {
        const { fast, routed } = pair(body, { ...headers, ...auth });
        const a = await snapshot(await t.app.fetch(fast));
        const b = await snapshot(await t.app.fetch(routed));
        assert.deepEqual(a, b, `${body} ${JSON.stringify({ ...headers, ...auth })}`);
        // Only a 200 is framed as chunked, and only when configured.
        const framing = a.status === 200 && chunkedPredict ? "chunked" : undefined;
        assert.equal(a.headers["transfer-encoding"], framing, `${body} ${a.status}`);
      }
    }
    // Every request was counted twice under the same labels: once per path.
    const text = await t.app.metrics.registry.metrics();
    const counts = text.split("\n").filter((l) => l.startsWith("ml_api_requests_total{"));
    assert.ok(counts.length >= 3, text);
    for (const line of counts) assert.equal(Number(line.split(" ").at(-1)) % 2, 0, line);
  }
});

Deno.test("createApp() registers POST /predict on its Hono app too: the dispatcher and Hono answer alike", async () => {
  await using t = await testApp({}, { clock });
  assert.ok(t.app.hono.routes.some((r) => r.method === "POST" && r.path === "/predict"));
  assert.deepEqual(t.app.routes, t.app.hono.routes);
  const body = JSON.stringify(REFERENCE_FRAUD_REQUEST);
  const { fast } = pair(body, { "x-request-id": "rid-h" });
  const viaDispatcher = await snapshot(await t.app.fetch(fast.clone()));
  const viaHono = await snapshot(await t.app.hono.fetch(fast));
  assert.equal(viaDispatcher.status, 200);
  assert.deepEqual(viaDispatcher, viaHono);
  // request() goes through the dispatcher, as Hono's app.request() does.
  const viaRequest = await t.app.request("/predict", {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "x-request-id": "rid-h" },
  });
  assert.deepEqual(await snapshot(viaRequest), viaDispatcher);
});
