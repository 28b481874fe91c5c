/**
 * scikit-learn models exported with skl2onnx (`zipmap=False`), committed as
 * model packages under `tests/fixtures/interop/` by `make_fixtures.py`, load
 * in onnxruntime-web and reproduce scikit-learn's probabilities to 1e-5.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { ModelManifestSchema } from "../../schemas/manifest.ts";
import { sha256Hex } from "../../pipeline/package.ts";

ort.env.wasm.numThreads = 1;

const ROOT = new URL("../fixtures/interop/", import.meta.url);
const KINDS = ["random_forest", "gradient_boosting", "logistic_regression"];
const TOLERANCE = 1e-5;

interface Expected {
  rows: number[][];
  probabilities: number[][];
}

async function loadFixture(kind: string) {
  const dir = new URL(`${kind}/`, ROOT);
  const onnx = await Deno.readFile(new URL("model.onnx", dir));
  const manifest = ModelManifestSchema.parse(
    JSON.parse(await Deno.readTextFile(new URL("manifest.json", dir))),
  );
  const expected: Expected = JSON.parse(await Deno.readTextFile(new URL("expected.json", dir)));
  return { onnx, manifest, expected };
}

async function run(onnx: Uint8Array, inputName: string, rows: number[][], width: number) {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const x = new Float32Array(rows.flat());
    const out = await session.run({
      [inputName]: new ort.Tensor("float32", x, [rows.length, width]),
    });
    return out;
  } finally {
    await session.release();
  }
}

for (const kind of KINDS) {
  Deno.test(`interop ${kind} fixture is a valid package under 200 KB`, async () => {
    const { onnx, manifest, expected } = await loadFixture(kind);
    assert.ok(onnx.byteLength < 200 * 1024, `${kind} is ${onnx.byteLength} bytes`);
    assert.equal(await sha256Hex(onnx), manifest.sha256);
    assert.equal(manifest.framework, "sklearn");
    assert.deepEqual(manifest.outputs, { label: "label", probabilities: "probabilities" });
    assert.equal(expected.rows.length, 50);
    assert.ok(expected.rows.every((r) => r.length === manifest.inputs.length));
  });

  Deno.test(`interop ${kind} reproduces scikit-learn probabilities to 1e-5 in onnxruntime-web`, async () => {
    const { onnx, manifest, expected } = await loadFixture(kind);
    const out = await run(onnx, manifest.input_name, expected.rows, manifest.inputs.length);
    const probs = out[manifest.outputs.probabilities];
    const labels = out[manifest.outputs.label];
    assert.deepEqual(probs.dims, [50, 2]);
    assert.equal(labels.type, "int64");
    const p = probs.data as Float32Array;
    let worst = 0;
    expected.probabilities.forEach(([p0, p1], i) => {
      worst = Math.max(worst, Math.abs(p[2 * i] - p0), Math.abs(p[2 * i + 1] - p1));
    });
    assert.ok(worst <= TOLERANCE, `${kind}: largest difference ${worst}`);
    const l = labels.data as BigInt64Array;
    expected.probabilities.forEach(([p0, p1], i) => {
      if (Math.abs(p1 - p0) > 1e-6) assert.equal(Number(l[i]), p1 > p0 ? 1 : 0, `row ${i}`);
    });
  });

  Deno.test(`interop ${kind} golden rows in the manifest match the model`, async () => {
    const { onnx, manifest } = await loadFixture(kind);
    const golden = manifest.golden!;
    assert.equal(golden.rows.length, 20);
    const out = await run(onnx, manifest.input_name, golden.rows, manifest.inputs.length);
    const p = out.probabilities.data as Float32Array;
    golden.probabilities.forEach(([p0, p1], i) => {
      assert.ok(Math.abs(p[2 * i] - p0) <= TOLERANCE && Math.abs(p[2 * i + 1] - p1) <= TOLERANCE);
    });
  });
}
