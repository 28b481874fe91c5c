import assert from "node:assert/strict";
import type { EdgeApp } from "./app.ts";
import { testApp } from "../tests/support/edge_app.ts";
import { undocumentedRoutes } from "../schemas/api.ts";
import { InferResponseSchema, ModelConfigSchema, ModelMetadataSchema } from "./http/schemas.ts";
import {
  DEMO_INPUTS,
  jsonPost,
  readInferResponse,
  REFERENCE_FRAUD_REQUEST,
} from "../tests/support/edge.ts";

const row = Object.values(REFERENCE_FRAUD_REQUEST.features);
/** Three distinct rows in the model's input order. */
// Rows within the inputs' domains (hours 0–23, weekdays 0–6, flags 0/1, hashed codes), which
// /predict/batch refuses outside: hour, weekday, weekend, count, avg, amount, category, payment.
const ROWS = [row, [13, 5, 1, 4, 500, 55.5, 12, 2], [22, 0, 0, 9, 85, 42.5, 99, 9]];
const INFER = "/v2/models/fraud_detector/infer";

/** `/predict/batch` probabilities of `rows` (each row as named features). */
async function batchProbabilities(app: EdgeApp, rows: number[][]) {
  const instances = rows.map((r) => Object.fromEntries(DEMO_INPUTS.map((x, i) => [x.name, r[i]])));
  const res = await app.request(
    "/predict/batch",
    jsonPost({ instances, return_probabilities: true }),
  );
  assert.equal(res.status, 200);
  return (await res.json()).probabilities.flat() as number[];
}

/**
 * A JSON infer request sent as Triton's client sends it: no Content-Type (a
 * string body would get `text/plain` from `Request`, bytes get none).
 */
function bare(body: unknown): RequestInit {
  return { method: "POST", body: new TextEncoder().encode(JSON.stringify(body)) };
}

Deno.test("createApp() GET /v2 lists only the extensions the edge serves", async () => {
  await using t = await testApp();
  assert.deepEqual(await (await t.app.request("/v2/health/live")).json(), { live: true });
  assert.deepEqual(await (await t.app.request("/v2/health/ready")).json(), { ready: true });
  const server = await (await t.app.request("/v2")).json();
  assert.equal(server.name, "rtml-edge");
  assert.deepEqual(server.extensions, ["binary_tensor_data", "model_configuration"]);
});

Deno.test("createApp() GET /v2/models/{name} describes the model, by version too", async () => {
  await using t = await testApp();
  const meta = ModelMetadataSchema.parse(
    await (await t.app.request("/v2/models/fraud_detector")).json(),
  );
  assert.deepEqual(meta.versions, ["1"]);
  assert.deepEqual(meta.inputs, [{ name: "input", datatype: "FP32", shape: [-1, 8] }]);
  assert.deepEqual(meta.outputs.map((o) => o.name), ["label", "probabilities"]);
  assert.equal((await t.app.request("/v2/models/fraud_detector/versions/1")).status, 200);
  assert.deepEqual(await (await t.app.request("/v2/models/fraud_detector/ready")).json(), {
    name: "fraud_detector",
    ready: true,
  });
  assert.equal((await t.app.request("/v2/models/fraud_detector/versions/9/ready")).status, 404);
});

Deno.test("createApp() GET /v2/models/{name}/config gives inputs, outputs and max batch size", async () => {
  await using t = await testApp({ batchMax: 250 });
  for (
    const path of [
      "/v2/models/fraud_detector/config",
      "/v2/models/fraud_detector/versions/1/config",
    ]
  ) {
    const res = await t.app.request(path);
    assert.equal(res.status, 200, path);
    const config = ModelConfigSchema.parse(await res.json());
    assert.equal(config.max_batch_size, 250);
    assert.deepEqual(config.input, [{ name: "input", data_type: "TYPE_FP32", dims: [8] }]);
    assert.deepEqual(config.output.map((o) => [o.name, o.data_type, o.dims]), [
      ["label", "TYPE_INT64", [1]],
      ["probabilities", "TYPE_FP32", [2]],
    ]);
    assert.equal(
      config.parameters.features.string_value,
      DEMO_INPUTS.map((i) => i.name).join(","),
    );
  }
  const missing = await t.app.request("/v2/models/fraud_detector/versions/9/config");
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error, /9/);
});

Deno.test("createApp() answers errors on /v2 routes as {error} with the status and X-Request-ID", async () => {
  await using t = await testApp({ apiKeys: ["k1"] });
  const auth = { authorization: "Bearer k1" };
  const cases: [string, RequestInit, number, RegExp][] = [
    ["/v2/models/unknown_model", { headers: auth }, 404, /^Model not found 'unknown_model'$/],
    [INFER, { method: "POST", body: "{}" }, 401, /^Missing API key/],
    [
      "/v2/models/fraud_detector/infer",
      { method: "PUT", headers: auth },
      405,
      /Method not allowed/,
    ],
    [
      "/v2/repository/index",
      { method: "POST", headers: auth },
      404,
      /^Not found: \/v2\/repository/,
    ],
    [
      INFER,
      { ...bare({ inputs: "x" }), headers: auth },
      422,
      /^Invalid inference request: inputs:/,
    ],
    [
      INFER,
      { ...bare(""), body: new TextEncoder().encode("{"), headers: auth },
      400,
      /^Invalid JSON body/,
    ],
  ];
  for (const [path, init, status, message] of cases) {
    const res = await t.app.request(path, {
      ...init,
      headers: { ...init.headers as Record<string, string>, "x-request-id": "req-42" },
    });
    assert.equal(res.status, status, path);
    assert.equal(res.headers.get("x-request-id"), "req-42");
    assert.equal(res.headers.get("content-type"), "application/json");
    const body = await res.json();
    assert.deepEqual(Object.keys(body), ["error"], path);
    assert.match(body.error, message);
  }
  // Every other route keeps the platform's error shape.
  const other = await t.app.request("/models/unknown_model", { headers: auth });
  assert.equal((await other.json()).error.code, "model_not_found");
});

Deno.test("createApp() POST /v2/models/{name}/infer takes JSON without a Content-Type", async () => {
  await using t = await testApp();
  const expected = await batchProbabilities(t.app, ROWS);
  const res = await t.app.request(
    INFER,
    bare({
      id: "req-1",
      parameters: { custom: "kept", priority: 2 },
      inputs: [{ name: "input", shape: [3, 8], datatype: "FP32", data: ROWS.flat() }],
    }),
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  const body = InferResponseSchema.parse(await res.json());
  assert.equal(body.id, "req-1");
  assert.equal(body.model_name, "fraud_detector");
  assert.equal(body.model_version, "1");
  assert.deepEqual(body.parameters, { custom: "kept", priority: 2 });
  const [label, probs] = body.outputs;
  assert.deepEqual([label.name, label.datatype, label.shape], ["label", "INT64", [3]]);
  assert.deepEqual([probs.name, probs.datatype, probs.shape], ["probabilities", "FP32", [3, 2]]);
  assert.deepEqual(probs.data, expected);
  assert.deepEqual(label.data, [0, 1, 2].map((i) => (expected[2 * i + 1] >= 0.5 ? 1 : 0)));
});

Deno.test("createApp() POST /v2/.../versions/{v}/infer takes nested rows and returns the outputs asked", async () => {
  await using t = await testApp();
  const expected = await batchProbabilities(t.app, ROWS.slice(0, 2));
  const res = await t.app.request(
    "/v2/models/fraud_detector/versions/1/infer",
    jsonPost({
      inputs: [{ name: "input", shape: [2, 8], datatype: "FP32", data: ROWS.slice(0, 2) }],
      outputs: [{ name: "probabilities" }],
    }),
  );
  const body = await res.json();
  assert.equal(res.status, 200);
  assert.deepEqual(body.outputs.map((o: { name: string }) => o.name), ["probabilities"]);
  assert.deepEqual(body.outputs[0].data, expected);
  assert.equal(body.parameters, undefined);
});

Deno.test("createApp() POST /v2/models/{name}/infer returns outputs in binary when asked", async () => {
  await using t = await testApp();
  const expected = await batchProbabilities(t.app, ROWS);
  const input = { name: "input", shape: [3, 8], datatype: "FP32", data: ROWS.flat() };
  // All outputs binary (what tritonclient asks when it names no output).
  const all = await t.app.request(
    INFER,
    bare({ inputs: [input], parameters: { binary_data_output: true } }),
  );
  assert.equal(all.status, 200);
  assert.equal(all.headers.get("content-type"), "application/octet-stream");
  const a = await readInferResponse(all);
  assert.equal(a.json.parameters, undefined);
  assert.deepEqual(a.outputs.map((o) => [o.name, o.binary]), [["label", true], [
    "probabilities",
    true,
  ]]);
  assert.deepEqual(a.outputs[1].values, expected);
  assert.deepEqual(a.outputs[0].values, [0, 1, 2].map((i) => (expected[2 * i + 1] >= 0.5 ? 1 : 0)));
  // Per output: binary_data overrides binary_data_output.
  const mixed = await t.app.request(
    INFER,
    bare({
      inputs: [input],
      parameters: { binary_data_output: true },
      outputs: [{ name: "probabilities", parameters: { binary_data: false } }, { name: "label" }],
    }),
  );
  const m = await readInferResponse(mixed);
  assert.deepEqual(m.outputs.map((o) => [o.name, o.binary]), [["probabilities", false], [
    "label",
    true,
  ]]);
  assert.deepEqual(m.outputs[0].values, expected);
});

Deno.test("createApp() POST /v2/models/{name}/infer accepts one named input per feature", async () => {
  await using t = await testApp();
  const expected = await batchProbabilities(t.app, ROWS.slice(0, 2));
  const inputs = DEMO_INPUTS.map((inp, i) => ({
    name: inp.name,
    shape: [2],
    datatype: "FP32",
    data: [ROWS[0][i], ROWS[1][i]],
  }));
  const res = await t.app.request(INFER, jsonPost({ inputs: inputs.toReversed() }));
  assert.equal(res.status, 200);
  assert.deepEqual((await res.json()).outputs[1].data, expected);
  const missing = await t.app.request(INFER, jsonPost({ inputs: inputs.slice(1) }));
  assert.equal(missing.status, 422);
  assert.equal(
    (await missing.json()).error,
    `Missing input '${inputs[0].name}' of model 'fraud_detector'`,
  );
});

Deno.test("createApp() POST /v2/models/{name}/infer names the input and what was expected", async () => {
  await using t = await testApp({ batchMax: 4 });
  const ok = { name: "input", shape: [1, 8], datatype: "FP32", data: row };
  const cases: [unknown[], RegExp][] = [
    [
      [{ ...ok, name: "nope" }],
      /^Unknown input 'nope' of model 'fraud_detector': expected 'input' FP32 \[-1, 8\]/,
    ],
    [
      [{ ...ok, shape: [1, 7], data: row.slice(1) }],
      /^Input 'input' has shape \[1, 7\]; model 'fraud_detector' expects \[-1, 8\]$/,
    ],
    [[{ ...ok, shape: [2, 8] }], /^Input 'input' has shape \[2, 8\] \(16 values\) but holds 8$/],
    [
      [{ ...ok, datatype: "FP64" }],
      /^Input 'input' has datatype FP64; model 'fraud_detector' expects FP32$/,
    ],
    [
      [{ ...ok, datatype: "BOOL", data: row.map(() => true) }],
      /has datatype BOOL; .* expects FP32$/,
    ],
    [[{ ...ok, data: row.map(String) }], /^Input 'input' data must hold only numbers$/],
    [
      [{ ...ok, shape: [5, 8], data: Array(5).fill(row).flat() }],
      /^At most 4 rows per request, got 5$/,
    ],
    [[{ ...ok, shape: [0, 8], data: [] }], /^The inputs hold no rows$/],
    [[{ ...ok, data: row.map(() => 1e39) }], /^Values must be finite float32 numbers$/],
  ];
  for (const [inputs, message] of cases) {
    const res = await t.app.request(INFER, bare({ inputs }));
    assert.equal(res.status, 422, String(message));
    assert.match((await res.json()).error, message);
  }
  const output = await t.app.request(INFER, bare({ inputs: [ok], outputs: [{ name: "score" }] }));
  assert.equal(output.status, 422);
  assert.equal(
    (await output.json()).error,
    "Unknown output 'score' of model 'fraud_detector': expected 'label', 'probabilities'",
  );
});

Deno.test("createApp() POST /v2/models/{name}/infer keeps the body limit and content types", async () => {
  await using t = await testApp({ bodyLimitBytes: 2048 });
  const big = {
    inputs: [{ name: "input", shape: [100, 8], datatype: "FP32", data: Array(800).fill(1.25) }],
  };
  const tooBig = await t.app.request(INFER, bare(big));
  assert.equal(tooBig.status, 413);
  assert.equal((await tooBig.json()).error, "Request body exceeds 2048 bytes");
  const text = await t.app.request(INFER, {
    method: "POST",
    body: "{}",
    headers: { "content-type": "text/plain" },
  });
  assert.equal(text.status, 415);
  assert.match((await text.json()).error, /^Unsupported content type: text\/plain; expected/);
});

Deno.test("createApp() GET /openapi.json documents every route from the zod schemas", async () => {
  await using t = await testApp();
  const doc = await (await t.app.request("/openapi.json")).json();
  assert.equal(doc.openapi, "3.1.0");
  const predict = doc.paths["/predict"].post;
  const req = predict.requestBody.content["application/json"].schema;
  assert.ok(req.properties.features);
  assert.ok(req.properties.entity_id);
  assert.ok(predict.responses["200"].content["application/json"].schema.properties.features_used);
  assert.equal(
    predict.responses["422"].content["application/json"].schema.$ref,
    "#/components/schemas/ErrorResponse",
  );
  for (
    const p of [
      "/predict/batch",
      "/health",
      "/ready",
      "/models/{name}",
      "/v2/models/{name}/infer",
      "/v2/health/ready",
      "/v2/models/{name}/config",
      "/v2/models/{name}/versions/{version}/config",
    ]
  ) {
    assert.ok(doc.paths[p], p);
  }
  const infer = doc.paths["/v2/models/{name}/infer"].post;
  assert.ok(infer.requestBody.content["application/octet-stream"]);
  assert.ok(infer.responses["200"].content["application/octet-stream"]);
  assert.equal(
    infer.responses["422"].content["application/json"].schema.$ref,
    "#/components/schemas/V2Error",
  );
});

Deno.test("createApp() documents every route it serves in /openapi.json", async () => {
  await using t = await testApp();
  const doc = await (await t.app.request("/openapi.json")).json();
  assert.deepEqual(undocumentedRoutes(t.app.routes, doc), []);
  const examples = doc.paths["/predict"].post.requestBody.content["application/json"].examples;
  assert.deepEqual(examples.fraud_transaction.value, REFERENCE_FRAUD_REQUEST);
  assert.ok(examples.legitimate_transaction.value.features.amount);
});

Deno.test("createApp() GET /docs serves Swagger UI from the npm package, no external URL", async () => {
  await using t = await testApp();
  const html = await (await t.app.request("/docs")).text();
  assert.match(html, /<script src="\/docs\/swagger-ui-bundle.js">/);
  assert.ok(!/https?:\/\//.test(html), "no external URL");
  const js = await t.app.request("/docs/swagger-ui-bundle.js");
  assert.match(js.headers.get("content-type")!, /javascript/);
  assert.match(await js.text(), /SwaggerUIBundle/);
  const init = await (await t.app.request("/docs/init.js")).text();
  assert.match(init, /url: "\/openapi.json"/);
  assert.equal((await t.app.request("/docs/swagger-ui.css")).status, 200);
});
