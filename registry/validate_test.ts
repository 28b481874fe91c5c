import assert from "node:assert/strict";
import { onnxPackage } from "../tests/contracts/model_registry_fixtures.ts";
import { sha256Hex } from "../pipeline/sha256.ts";
import type { ModelPackage } from "./port.ts";
import { validatePackage } from "./validate.ts";

const fast = { smokeRuns: 20 };

function withManifest(pkg: ModelPackage, patch: Partial<ModelPackage["manifest"]>): ModelPackage {
  return { onnx: pkg.onnx, manifest: { ...pkg.manifest, ...patch } };
}

Deno.test("validatePackage() accepts a package whose golden rows reproduce", async () => {
  const result = await validatePackage(onnxPackage("v_ok"), fast);
  assert.equal(result.ok, true, result.message ?? "");
  assert.ok(result.maxGoldenError !== undefined && result.maxGoldenError <= 1e-5);
  assert.equal(result.latency?.runs, 20);
});

Deno.test("validatePackage() refuses bytes that do not match the sha256", async () => {
  const pkg = onnxPackage("v_sha");
  const onnx = Uint8Array.from(pkg.onnx);
  onnx[onnx.length - 1] ^= 1;
  const result = await validatePackage({ manifest: pkg.manifest, onnx }, fast);
  assert.equal(result.reason, "sha256_mismatch");
  assert.equal(
    result.message,
    "Cannot validate model 'v_sha' version 0: artifact sha256 does not match",
  );
});

Deno.test("validatePackage() refuses bytes onnxruntime cannot load", async () => {
  const onnx = new TextEncoder().encode("definitely not onnx");
  const pkg = withManifest(onnxPackage("v_garbage"), { sha256: await sha256Hex(onnx) });
  const result = await validatePackage({ ...pkg, onnx }, fast);
  assert.equal(result.reason, "onnx_load_failed");
});

Deno.test("validatePackage() refuses a graph whose input width differs from the manifest", async () => {
  const result = await validatePackage(
    onnxPackage("v_width", { graphFeatures: 4, manifestInputs: 3 }),
    fast,
  );
  assert.equal(result.reason, "input_mismatch");
  assert.match(result.message!, /\[N, 3\]/);
});

Deno.test("validatePackage() refuses a manifest naming outputs the graph lacks", async () => {
  const pkg = onnxPackage("v_out");
  const result = await validatePackage(
    withManifest(pkg, { outputs: { label: "label", probabilities: "output_probability" } }),
    fast,
  );
  assert.equal(result.reason, "output_mismatch");
});

Deno.test("validatePackage() refuses golden rows that do not reproduce", async () => {
  const result = await validatePackage(onnxPackage("v_skew", { goldenSkew: 1e-3 }), fast);
  assert.equal(result.reason, "golden_mismatch");
  assert.match(result.message!, /golden row 0/);
});

Deno.test("validatePackage() refuses a package without golden rows unless allowed", async () => {
  const pkg = withManifest(onnxPackage("v_nogold"), { golden: undefined });
  assert.equal((await validatePackage(pkg, fast)).reason, "golden_missing");
  assert.equal((await validatePackage(pkg, { ...fast, requireGolden: false })).ok, true);
});

Deno.test("validatePackage() refuses an unknown feature view or a conflicting transform", async () => {
  const unknown = onnxPackage("v_fv", {
    featureView: { name: "nope", version: 1, entity_key: "user_id" },
  });
  assert.equal((await validatePackage(unknown, fast)).reason, "feature_view_mismatch");
  const view = { name: "user_transactions", version: 1, entity_key: "user_id" };
  const pkg = onnxPackage("v_fv2", {
    featureView: view,
    inputNames: ["amount_log", "hour_of_day", "f2"],
  });
  assert.equal((await validatePackage(pkg, fast)).ok, true);
  const conflicting = withManifest(pkg, {
    inputs: [
      { name: "amount_log", dtype: "float32", transform: { kind: "identity", source: "amount" } },
      ...pkg.manifest.inputs.slice(1),
    ],
  });
  const result = await validatePackage(conflicting, fast);
  assert.equal(result.reason, "feature_view_mismatch");
  assert.match(result.message!, /amount_log/);
  const wrongKey = withManifest(pkg, { feature_view: { ...view, entity_key: "card_id" } });
  assert.equal((await validatePackage(wrongKey, fast)).reason, "feature_view_mismatch");
});

Deno.test("validatePackage() refuses a model slower than the latency budget", async () => {
  const result = await validatePackage(onnxPackage("v_slow"), {
    smokeRuns: 5,
    latencyBudgetMs: 0.000001,
  });
  assert.equal(result.reason, "latency_budget_exceeded");
});
