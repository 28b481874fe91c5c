import assert from "node:assert/strict";
import { testApp } from "./_test_support.ts";
import { undocumentedRoutes } from "../schemas/api.ts";
import { InferResponseSchema, ModelMetadataSchema } from "./http/schemas.ts";
import { DEMO_INPUTS, jsonPost, REFERENCE_FRAUD_REQUEST } from "./testing/mod.ts";

const row = Object.values(REFERENCE_FRAUD_REQUEST.features);

Deno.test("createApp() speaks the Open Inference Protocol v2 health and metadata endpoints", async () => {
  await using t = await testApp();
  assert.deepEqual(await (await t.app.request("/v2/health/live")).json(), { live: true });
  assert.deepEqual(await (await t.app.request("/v2/health/ready")).json(), { ready: true });
  const server = await (await t.app.request("/v2")).json();
  assert.equal(server.name, "rtml-edge");
  assert.deepEqual(server.extensions, []);
  const meta = ModelMetadataSchema.parse(
    await (await t.app.request("/v2/models/fraud_detector")).json(),
  );
  assert.deepEqual(meta.inputs, [{ name: "input", datatype: "FP32", shape: [-1, 8] }]);
  assert.deepEqual(meta.outputs.map((o) => o.name), ["label", "probabilities"]);
  const v1 = await t.app.request("/v2/models/fraud_detector/versions/1");
  assert.equal(v1.status, 200);
  assert.deepEqual(await (await t.app.request("/v2/models/fraud_detector/ready")).json(), {
    name: "fraud_detector",
    ready: true,
  });
  assert.equal((await t.app.request("/v2/models/fraud_detector/versions/9/ready")).status, 404);
  assert.equal((await t.app.request("/v2/models/unknown_model")).status, 404);
});

Deno.test("createApp() POST /v2/models/{name}/infer scores an FP32 [N, F] tensor", async () => {
  await using t = await testApp();
  const single = await (await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST))).json();
  const res = await t.app.request(
    "/v2/models/fraud_detector/infer",
    jsonPost({
      id: "req-1",
      inputs: [{
        name: "input",
        shape: [2, 8],
        datatype: "FP32",
        data: [...row, ...row.map(() => 0)],
      }],
    }),
  );
  assert.equal(res.status, 200);
  const body = InferResponseSchema.parse(await res.json());
  assert.equal(body.id, "req-1");
  assert.equal(body.model_version, "1");
  const [label, probs] = body.outputs;
  assert.deepEqual(label.shape, [2]);
  assert.equal(label.datatype, "INT64");
  assert.deepEqual(probs.shape, [2, 2]);
  assert.equal(probs.data[1], single.probabilities[1]);
  assert.equal(label.data[0], single.prediction);
  // Nested rows and a version path work too; outputs can be filtered.
  const nested = await t.app.request(
    "/v2/models/fraud_detector/versions/1/infer",
    jsonPost({
      inputs: [{ name: "input", shape: [1, 8], datatype: "FP32", data: [row] }],
      outputs: [{ name: "probabilities" }],
    }),
  );
  const nb = await nested.json();
  assert.equal(nb.outputs.length, 1);
  assert.equal(nb.outputs[0].data[1], single.probabilities[1]);
});

Deno.test("createApp() POST /v2/models/{name}/infer accepts one named input per feature", async () => {
  await using t = await testApp();
  const single = await (await t.app.request("/predict", jsonPost(REFERENCE_FRAUD_REQUEST))).json();
  const inputs = DEMO_INPUTS.map((inp, i) => ({
    name: inp.name,
    shape: [1],
    datatype: "FP32",
    data: [row[i]],
  }));
  const res = await t.app.request(
    "/v2/models/fraud_detector/infer",
    jsonPost({ inputs: inputs.reverse() }),
  );
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.outputs[1].data[1], single.probabilities[1]);
  const missing = await t.app.request(
    "/v2/models/fraud_detector/infer",
    jsonPost({ inputs: inputs.slice(1) }),
  );
  assert.equal(missing.status, 422);
  const err = await missing.json();
  assert.ok(err.error.details.some((d: { path: string }) => d.path === `inputs.${inputs[0].name}`));
});

Deno.test("createApp() POST /v2/models/{name}/infer rejects tensors of the wrong shape", async () => {
  await using t = await testApp();
  for (
    const input of [
      { name: "input", shape: [1, 7], datatype: "FP32", data: row.slice(1) },
      { name: "input", shape: [2, 8], datatype: "FP32", data: row },
      { name: "input", shape: [1, 8], datatype: "BOOL", data: row.map(() => true) },
    ]
  ) {
    const res = await t.app.request(
      "/v2/models/fraud_detector/infer",
      jsonPost({ inputs: [input] }),
    );
    assert.equal(res.status, 422, JSON.stringify(input.shape));
    assert.equal((await res.json()).error.code, "validation_failed");
  }
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
    ]
  ) {
    assert.ok(doc.paths[p], p);
  }
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
