import assert from "node:assert/strict";
import { ConfigError } from "../schemas/errors.ts";
import { resolveEdgeConfig } from "./config.ts";

Deno.test("resolveEdgeConfig() applies the documented defaults", () => {
  const c = resolveEdgeConfig({});
  assert.equal(c.defaultModel, "fraud_detector");
  assert.equal(c.defaultVersion, "champion");
  assert.equal(c.modelSource, "local");
  assert.equal(c.onlineTimeoutMs, 50);
  assert.equal(c.bodyLimitBytes, 1_048_576);
  assert.equal(c.batchMax, 1000);
  assert.equal(c.pointerPollMs, 1000);
  assert.equal(c.onlineStore, "none");
  assert.equal(c.rolloutCounters, false);
  assert.deepEqual(c.apiKeys, []);
  assert.equal(c.chunkedPredict, true);
});

Deno.test("resolveEdgeConfig() frames /predict as chunked off Deno Deploy unless told otherwise", () => {
  assert.equal(resolveEdgeConfig({ DENO_DEPLOYMENT_ID: "abc" }).chunkedPredict, false);
  assert.equal(
    resolveEdgeConfig({ DENO_DEPLOYMENT_ID: "abc", EDGE_CHUNKED_PREDICT: "true" }).chunkedPredict,
    true,
  );
  assert.equal(resolveEdgeConfig({ EDGE_CHUNKED_PREDICT: "0" }).chunkedPredict, false);
  assert.throws(() => resolveEdgeConfig({ EDGE_CHUNKED_PREDICT: "maybe" }), /EDGE_CHUNKED_PREDICT/);
});

Deno.test("resolveEdgeConfig() reads lists, traffic and Upstash settings", () => {
  const c = resolveEdgeConfig({
    EDGE_API_KEYS: "a, b",
    EDGE_CORS_ORIGINS: "https://x.example",
    EDGE_TRAFFIC: "fraud_detector=canary:10,other=shadow",
    UPSTASH_REDIS_REST_URL: "http://127.0.0.1:58079",
    UPSTASH_REDIS_REST_TOKEN: "t",
    EDGE_MODEL_SOURCE: "pointer",
    EDGE_FEATURE_CACHE_TTL_MS: "0",
  });
  assert.deepEqual(c.apiKeys, ["a", "b"]);
  assert.deepEqual(c.traffic.fraud_detector, { mode: "canary", challenger_percent: 10 });
  assert.deepEqual(c.traffic.other, { mode: "shadow", challenger_percent: 0 });
  assert.equal(c.onlineStore, "upstash");
  assert.equal(c.rolloutCounters, true);
  assert.equal(c.featureCacheTtlMs, 0);
  assert.deepEqual(c.upstash, { url: "http://127.0.0.1:58079", token: "t" });
});

Deno.test("resolveEdgeConfig() fails fast listing every problem", () => {
  let error: unknown;
  try {
    resolveEdgeConfig({
      EDGE_ONLINE_TIMEOUT_MS: "soon",
      EDGE_BATCH_MAX: "0",
      EDGE_MODEL_SOURCE: "pointer",
      EDGE_TRAFFIC: "m=half",
      EDGE_CORS_ORIGINS: "*",
      EDGE_CORS_CREDENTIALS: "true",
    });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError);
  const paths = error.details.map((d) => d.path).sort();
  assert.deepEqual(paths, [
    "EDGE_BATCH_MAX",
    "EDGE_CORS_ORIGINS",
    "EDGE_ONLINE_TIMEOUT_MS",
    "EDGE_TRAFFIC",
    "UPSTASH_REDIS_REST_URL",
  ]);
  assert.match(error.message, /^Invalid edge configuration: /);
});
