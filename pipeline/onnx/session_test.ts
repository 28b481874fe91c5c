import assert from "node:assert/strict";
import { ModelManifestSchema } from "../../schemas/manifest.ts";
import { ModelSessionError } from "../errors.ts";
import { OnnxSession } from "./session.ts";
import { logisticPackage } from "../../tests/support/edge.ts";

const FIXTURES = new URL("../../tests/fixtures/interop/", import.meta.url);

for (const kind of ["logistic_regression", "random_forest", "gradient_boosting"]) {
  Deno.test(`OnnxSession.score() reproduces scikit-learn's ${kind} probabilities`, async () => {
    const manifest = ModelManifestSchema.parse(
      JSON.parse(await Deno.readTextFile(new URL(`${kind}/manifest.json`, FIXTURES))),
    );
    const bytes = await Deno.readFile(new URL(`${kind}/model.onnx`, FIXTURES));
    const expected = JSON.parse(
      await Deno.readTextFile(new URL(`${kind}/expected.json`, FIXTURES)),
    );
    const session = await OnnxSession.create(bytes, manifest);
    try {
      const n = expected.rows.length;
      const { probabilities } = await session.score(Float32Array.from(expected.rows.flat()), n);
      for (let i = 0; i < n; i++) {
        assert.ok(
          Math.abs(probabilities[2 * i + 1] - expected.probabilities[i][1]) < 1e-4,
          `row ${i}`,
        );
      }
      const one = await session.scoreRow(Float32Array.from(expected.rows[3]));
      assert.ok(Math.abs(one[1] - expected.probabilities[3][1]) < 1e-4);
    } finally {
      await session.release();
    }
  });
}

Deno.test("OnnxSession.create() refuses bytes that are not a model, naming the model", async () => {
  const { manifest } = await logisticPackage({ name: "m", inputs: [{ name: "x" }], weights: [1] });
  await assert.rejects(
    () => OnnxSession.create(new TextEncoder().encode("not onnx"), manifest),
    (e: unknown) =>
      e instanceof ModelSessionError && e.code === "model_load_failed" && /'m'/.test(e.message),
  );
});

Deno.test("OnnxSession.create() refuses a manifest naming outputs the graph lacks", async () => {
  const pkg = await logisticPackage({ name: "m", inputs: [{ name: "x" }], weights: [1] });
  const manifest = {
    ...pkg.manifest,
    outputs: { label: "label", probabilities: "output_probability" },
  };
  await assert.rejects(
    () => OnnxSession.create(pkg.onnx, manifest),
    (e: unknown) => e instanceof ModelSessionError && /output_probability/.test(e.message),
  );
});

Deno.test("OnnxSession.release() refuses later runs", async () => {
  const pkg = await logisticPackage({ name: "m", inputs: [{ name: "x" }], weights: [1] });
  const s = await OnnxSession.create(pkg.onnx, pkg.manifest);
  await s.release();
  await assert.rejects(() => s.score(Float32Array.from([1]), 1), ModelSessionError);
});
