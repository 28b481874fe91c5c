import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { undocumentedRoutes } from "../schemas/api.ts";
import { ErrorResponseSchema } from "../schemas/prediction.ts";
import { createWorkerApp } from "./server.ts";
import { createIngestRoutes, MAX_BODY_BYTES, MAX_EVENTS_PER_REQUEST } from "./http.ts";
import { testEvent, TestPipeline } from "../tests/support/ingest_pipeline.ts";

function post(body: BodyInit | Uint8Array, headers: Record<string, string> = {}) {
  return new Request("http://x/ingest/events", { method: "POST", body: body as BodyInit, headers });
}

Deno.test("createIngestRoutes() answers 202 with accepted, duplicate and rejected counts for a JSON array", async () => {
  const pipeline = new TestPipeline();
  const app = createIngestRoutes({ pipeline });
  const body = `[${testEvent("a")},${testEvent("b")},${testEvent("a")},{"event_id":"c"}]`;
  const res = await app.request(post(body, { "content-type": "application/json" }));
  assert.equal(res.status, 202);
  const out = await res.json();
  assert.deepEqual(
    { accepted: out.accepted, duplicate: out.duplicate, rejected: out.rejected },
    { accepted: 2, duplicate: 1, rejected: 1 },
  );
  assert.equal(out.rejections[0].index, 3);
  assert.match(out.rejections[0].reason, /Invalid event/);
});

Deno.test("createIngestRoutes() takes NDJSON and keeps non-UTF-8 lines byte for byte", async () => {
  const pipeline = new TestPipeline();
  const app = createIngestRoutes({ pipeline });
  const enc = new TextEncoder();
  const bytes = new Uint8Array([
    ...enc.encode(testEvent("n1") + "\r\n\n"),
    0xff,
    0xfe,
    0x0a,
    ...enc.encode(testEvent("n2")),
  ]);
  const res = await app.request(post(bytes, { "content-type": "application/x-ndjson" }));
  assert.equal(res.status, 202);
  assert.deepEqual(pipeline.committed, ["n1", "n2"]);
  assert.deepEqual([...pipeline.deadLetters[0].payload], [0xff, 0xfe]);
  assert.equal(pipeline.deadLetters[0].reason, "Payload is not UTF-8");
});

Deno.test("createIngestRoutes() refuses more than 10 000 events or 5 MiB with 413", async () => {
  const app = createIngestRoutes({ pipeline: new TestPipeline() });
  const many = Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () => "{}").join("\n");
  const res = await app.request(post(many));
  assert.equal(res.status, 413);
  assert.equal(ErrorResponseSchema.parse(await res.json()).error.code, "payload_too_large");
  const big = await app.request(post("x".repeat(MAX_BODY_BYTES + 1)));
  assert.equal(big.status, 413);
});

Deno.test("createIngestRoutes() requires a valid API key when keys are configured", async () => {
  const app = createIngestRoutes({ pipeline: new TestPipeline(), apiKeys: ["k1", "k2"] });
  const missing = await app.request(post(testEvent("a")));
  assert.equal(missing.status, 401);
  assert.equal(ErrorResponseSchema.parse(await missing.json()).error.status, 401);
  assert.equal((await app.request(post(testEvent("a"), { "x-api-key": "nope" }))).status, 401);
  assert.equal((await app.request(post(testEvent("a"), { "x-api-key": "k2" }))).status, 202);
  assert.equal(
    (await app.request(post(testEvent("b"), { authorization: "Bearer k1" }))).status,
    202,
  );
});

Deno.test("createIngestRoutes() answers 400 for a broken JSON array and 503 while storage is down", async () => {
  const pipeline = new TestPipeline();
  const app = createIngestRoutes({ pipeline });
  const bad = await app.request(post("[{", { "content-type": "application/json" }));
  assert.equal(bad.status, 400);
  assert.equal(ErrorResponseSchema.parse(await bad.json()).error.code, "invalid_json");
  pipeline.down = true;
  const down = await app.request(post(testEvent("a")));
  assert.equal(down.status, 503);
  assert.equal(down.headers.get("retry-after"), "1");
  assert.equal(ErrorResponseSchema.parse(await down.json()).error.code, "service_unavailable");
  assert.equal(pipeline.committed.length, 0);
});

Deno.test("createWorkerApp() documents every route it serves, POST /ingest/{path} included", async () => {
  const pipeline = new TestPipeline();
  const ingest = createIngestRoutes({ pipeline });
  const app = createWorkerApp({
    source: "http",
    registry: new Registry(),
    status: () => ({ state: "running", sourceReady: true }),
    ingestRoutes: () => ingest,
  });
  const doc = await (await app.request("/openapi.json")).json();
  const served = [...app.routes, ...ingest.routes];
  assert.deepEqual(undocumentedRoutes(served, doc), []);
  assert.ok(doc.paths["/ingest/{path}"].post.responses["202"]);
});

async function gzipped(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("createIngestRoutes() takes gzip and zstd NDJSON bodies", async () => {
  const { compress, init } = await import("@bokuweb/zstd-wasm");
  await init();
  const pipeline = new TestPipeline();
  const app = createIngestRoutes({ pipeline });
  const ndjson = { "content-type": "application/x-ndjson" };
  const gz = await app.request(
    post(await gzipped(`${testEvent("g1")}\n${testEvent("g2")}\n`), {
      ...ndjson,
      "content-encoding": "gzip",
    }),
  );
  assert.equal(gz.status, 202);
  const zst = compress(new TextEncoder().encode(`${testEvent("z1")}\n${testEvent("z2")}`), 3);
  const zs = await app.request(post(zst, { ...ndjson, "content-encoding": "zstd" }));
  assert.equal(zs.status, 202);
  assert.deepEqual(pipeline.committed, ["g1", "g2", "z1", "z2"]);
});

Deno.test("createIngestRoutes() refuses a zip bomb by its decoded size, while reading", async () => {
  const { compress, init } = await import("@bokuweb/zstd-wasm");
  await init();
  const pipeline = new TestPipeline();
  const app = createIngestRoutes({ pipeline });
  const huge = "\n".repeat(64 * 1024 * 1024); // 64 MiB decoded, a few KiB on the wire
  for (
    const [encoding, body] of [
      ["gzip", await gzipped(huge)],
      ["zstd", compress(new TextEncoder().encode(huge), 3)],
    ] as const
  ) {
    assert.ok(body.length < MAX_BODY_BYTES / 50, `${encoding} bomb is small on the wire`);
    const res = await app.request(post(body, { "content-encoding": encoding }));
    assert.equal(res.status, 413, encoding);
    const error = ErrorResponseSchema.parse(await res.json()).error;
    assert.equal(error.code, "payload_too_large");
    assert.match(error.message, /once decoded/);
  }
  assert.equal(pipeline.calls, 0);
});

Deno.test("createIngestRoutes() answers 400 for a corrupt body and 415 for an unknown encoding", async () => {
  const app = createIngestRoutes({ pipeline: new TestPipeline() });
  const corrupt = await app.request(post("not gzip", { "content-encoding": "gzip" }));
  assert.equal(corrupt.status, 400);
  assert.equal(ErrorResponseSchema.parse(await corrupt.json()).error.code, "invalid_encoding");
  const br = await app.request(post(testEvent("a"), { "content-encoding": "br" }));
  assert.equal(br.status, 415);
  assert.match(ErrorResponseSchema.parse(await br.json()).error.message, /'br' is not supported/);
});

Deno.test("createWorkerApp() answers unknown routes with JSON and every response with X-Request-ID", async () => {
  const { createWorkerApp } = await import("./server.ts");
  const { Registry } = await import("prom-client");
  const app = createWorkerApp({
    source: "http",
    registry: new Registry(),
    status: () => ({ state: "running", sourceReady: true }),
  });
  const missing = await app.request("/nope");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "not_found");
  assert.ok(missing.headers.get("x-request-id"));
  const health = await app.request("/health", { headers: { "x-request-id": "abc-1" } });
  assert.equal(health.headers.get("x-request-id"), "abc-1");
  await health.body?.cancel();
});
