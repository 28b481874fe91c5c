import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import type { EdgeApp } from "./app.ts";
import { testApp } from "../tests/support/edge_app.ts";
import {
  binaryInferRequest,
  DEMO_INPUTS,
  jsonPost,
  readInferResponse,
  REFERENCE_FRAUD_REQUEST,
} from "../tests/support/edge.ts";

const row = Object.values(REFERENCE_FRAUD_REQUEST.features);
// Rows within the inputs' domains (hours 0–23, weekdays 0–6, flags 0/1, hashed codes), which
// /predict/batch refuses outside: hour, weekday, weekend, count, avg, amount, category, payment.
const ROWS = [row, [13, 5, 1, 4, 500, 55.5, 12, 2], [22, 0, 0, 9, 85, 42.5, 99, 9]];
const FLAT = Float32Array.from(ROWS.flat());
const INFER = "/v2/models/fraud_detector/infer";

async function batchProbabilities(app: EdgeApp, rows: number[][]) {
  const instances = rows.map((r) => Object.fromEntries(DEMO_INPUTS.map((x, i) => [x.name, r[i]])));
  const res = await app.request(
    "/predict/batch",
    jsonPost({ instances, return_probabilities: true }),
  );
  return (await res.json()).probabilities.flat() as number[];
}

async function compress(
  bytes: Uint8Array,
  format: CompressionFormat,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("createApp() POST /v2/models/{name}/infer reads binary tensors at any alignment", async () => {
  await using t = await testApp();
  const expected = await batchProbabilities(t.app, ROWS);
  // Padding moves the tensor bytes to each offset modulo 4.
  for (const pad of [0, 1, 2, 3]) {
    const req = binaryInferRequest(
      [{ name: "input", shape: [3, 8], values: FLAT }],
      { id: `pad-${pad}`, parameters: { binary_data_output: true } },
      pad,
    );
    const res = await t.app.request(INFER, req);
    assert.equal(res.status, 200, `pad ${pad}`);
    assert.equal(res.headers.get("content-type"), "application/octet-stream");
    const { json, outputs } = await readInferResponse(res);
    assert.equal(json.id, `pad-${pad}`);
    assert.deepEqual(outputs[1].values, expected, `pad ${pad}`);
    assert.deepEqual(outputs[0].values, [0, 1, 2].map((i) => expected[2 * i + 1] >= 0.5 ? 1 : 0));
  }
});

Deno.test("createApp() POST /v2/.../versions/{v}/infer answers binary inputs in JSON unless asked", async () => {
  await using t = await testApp();
  const expected = await batchProbabilities(t.app, ROWS);
  const res = await t.app.request(
    "/v2/models/fraud_detector/versions/1/infer",
    binaryInferRequest([{ name: "input", shape: [3, 8], values: FLAT }]),
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("inference-header-content-length"), null);
  const { outputs } = await readInferResponse(res);
  assert.deepEqual(outputs.map((o) => o.binary), [false, false]);
  assert.deepEqual(outputs[1].values, expected);
});

Deno.test("createApp() POST /v2/models/{name}/infer reads one binary input per feature", async () => {
  await using t = await testApp();
  const expected = await batchProbabilities(t.app, ROWS);
  const tensors = DEMO_INPUTS.map((inp, c) => ({
    name: inp.name,
    shape: [3],
    values: Float32Array.from(ROWS.map((r) => r[c])),
  }));
  const res = await t.app.request(INFER, binaryInferRequest(tensors.toReversed()));
  assert.equal(res.status, 200);
  assert.deepEqual((await readInferResponse(res)).outputs[1].values, expected);
});

Deno.test("createApp() POST /v2/models/{name}/infer checks binary tensors against the model", async () => {
  await using t = await testApp();
  const cases: [Parameters<typeof binaryInferRequest>[0], RegExp][] = [
    [
      [{ name: "input", shape: [1, 8], values: FLAT.subarray(0, 7) }],
      /^Input 'input' has shape \[1, 8\] \(8 values\) but holds 7$/,
    ],
    [
      [{ name: "input", shape: [1, 8], values: FLAT.subarray(0, 8), datatype: "FP64" }],
      /^Input 'input' has datatype FP64; model 'fraud_detector' expects FP32$/,
    ],
    [
      [{ name: "x", shape: [1, 8], values: FLAT.subarray(0, 8) }],
      /^Unknown input 'x' of model 'fraud_detector'/,
    ],
  ];
  for (const [tensors, message] of cases) {
    const res = await t.app.request(INFER, binaryInferRequest(tensors));
    assert.equal(res.status, 422, String(message));
    assert.match((await res.json()).error, message);
  }
  const req = binaryInferRequest([{ name: "input", shape: [1, 8], values: FLAT.subarray(0, 8) }]);
  const odd = await t.app.request(INFER, {
    ...req,
    body: new Uint8Array([...req.body, 0]),
  });
  assert.equal(odd.status, 400);
  assert.deepEqual(await odd.json(), {
    error: "33 bytes follow the JSON header but the inputs' binary_data_size add up to 32",
  });
  const header = await t.app.request(INFER, {
    ...req,
    headers: { ...req.headers, "inference-header-content-length": "12x" },
  });
  assert.equal(header.status, 400);
  assert.match((await header.json()).error, /^Invalid Inference-Header-Content-Length: '12x'/);
});

Deno.test("createApp() POST /v2/models/{name}/infer decodes gzip and deflate request bodies", async () => {
  await using t = await testApp();
  const expected = await batchProbabilities(t.app, ROWS);
  const req = binaryInferRequest([{ name: "input", shape: [3, 8], values: FLAT }]);
  for (const format of ["gzip", "deflate"] as const) {
    const res = await t.app.request(INFER, {
      ...req,
      body: await compress(req.body, format),
      headers: { ...req.headers, "content-encoding": format },
    });
    assert.equal(res.status, 200, format);
    assert.deepEqual((await readInferResponse(res)).outputs[1].values, expected, format);
  }
  const br = await t.app.request(INFER, {
    ...req,
    headers: { ...req.headers, "content-encoding": "br" },
  });
  assert.equal(br.status, 415);
  assert.equal(
    (await br.json()).error,
    "Unsupported Content-Encoding: br; expected gzip, deflate or identity",
  );
  const corrupt = await t.app.request(INFER, {
    ...req,
    headers: { ...req.headers, "content-encoding": "gzip" },
  });
  assert.equal(corrupt.status, 400);
  assert.match((await corrupt.json()).error, /^Cannot decode the gzip request body: /);
});

Deno.test("createApp() POST /v2/models/{name}/infer holds the body limit on decoded and streamed bodies", async () => {
  await using t = await testApp({ bodyLimitBytes: 4096 });
  // 2 KiB on the wire, 1 MiB once decoded.
  const bomb = new Uint8Array(gzipSync(new Uint8Array(1 << 20)));
  assert.ok(bomb.length < 4096);
  const res = await t.app.request(INFER, {
    method: "POST",
    body: bomb,
    headers: { "content-encoding": "gzip" },
  });
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error, "Request body exceeds 4096 bytes");
  // No Content-Length: the limit holds while reading.
  const streamed = await t.app.request(INFER, {
    method: "POST",
    body: new Blob([new Uint8Array(10_000)]).stream(),
  });
  assert.equal(streamed.status, 413);
  await streamed.body?.cancel();
});

Deno.test("createApp() lets browsers send and read Inference-Header-Content-Length", async () => {
  await using t = await testApp({ corsOrigins: ["https://app.example"] });
  const origin = "https://app.example";
  const pre = await t.app.request(INFER, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST" },
  });
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get("access-control-allow-headers")!, /inference-header-content-length/);
  const req = binaryInferRequest([{ name: "input", shape: [1, 8], values: FLAT.subarray(0, 8) }], {
    parameters: { binary_data_output: true },
  });
  const res = await t.app.request(INFER, { ...req, headers: { ...req.headers, origin } });
  assert.equal(res.status, 200);
  assert.match(
    res.headers.get("access-control-expose-headers")!,
    /inference-header-content-length/,
  );
  await res.body?.cancel();
});
