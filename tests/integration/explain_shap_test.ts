/**
 * The platform's explanations against Python's `shap` (pinned in
 * `explain_shap/requirements.txt`, installed into a cached virtualenv on
 * first use): `shap.TreeExplainer` on the demo champion (the platform's own
 * GBDT, read from its ONNX bytes in Python) and on the committed skl2onnx
 * and onnxmltools fixtures (`tests/fixtures/explain/`: scikit-learn gradient
 * boosting and random forest, LightGBM, whose originals `make_fixtures.py`
 * rebuilds), and `shap.LinearExplainer` at the training
 * means on the logistic regression fixture. The same fixtures' margins must
 * also give the probabilities onnxruntime computes.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { explainerForModel, explainerFromOnnx } from "../../pipeline/explain/mod.ts";
import {
  buildDemoTrainingSet,
  CHAMPION_FEATURES,
  loadDemoEvents,
} from "../../pipeline/examples/fraud/training.ts";
import { trainModel } from "../../pipeline/train/mod.ts";
import { pythonVenv } from "../_python_venv.ts";

const HERE = new URL("./explain_shap/", import.meta.url).pathname;
const FIXTURES = new URL("../fixtures/explain/", import.meta.url).pathname;
const TOLERANCE = 1e-5;

interface Reference {
  expected_value: number;
  values: number[][];
}

/** Rows across each input's training range (deterministic), after the golden rows. */
function spread(ranges: { min: number; max: number }[], n: number): number[][] {
  let state = 12345;
  const next = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  return Array.from(
    { length: n },
    () => ranges.map((r) => Math.fround(r.min + Math.round(next() * 100) / 100 * (r.max - r.min))),
  );
}

async function reference(python: string, spec: unknown): Promise<Record<string, Reference>> {
  const child = new Deno.Command(python, {
    args: [`${HERE}shap_reference.py`],
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(spec)));
  await writer.close();
  const out = await child.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function assertMatches(
  name: string,
  explainer: { baseValue: number; width: number; explain(r: number[], o: Float64Array): number },
  rows: number[][],
  ref: Reference,
): void {
  assert.ok(
    Math.abs(explainer.baseValue - ref.expected_value) <= TOLERANCE,
    `${name} base value ${explainer.baseValue} vs shap ${ref.expected_value}`,
  );
  const phi = new Float64Array(explainer.width);
  rows.forEach((row, r) => {
    explainer.explain(row, phi);
    for (let f = 0; f < explainer.width; f++) {
      assert.ok(
        Math.abs(phi[f] - ref.values[r][f]) <= TOLERANCE,
        `${name} row ${r} input ${f}: ${phi[f]} vs shap ${ref.values[r][f]}`,
      );
    }
  });
}

Deno.test("explanations equal Python shap's on the demo champion and the skl2onnx and onnxmltools fixtures", async () => {
  const python = await pythonVenv("explain-shap", `${HERE}requirements.txt`);
  const set = buildDemoTrainingSet(await loadDemoEvents());
  const { pkg } = await trainModel({
    data: set.table,
    label: "label",
    name: "fraud_detector",
    views: set.views,
    inputs: set.championInputs,
    features: [...CHAMPION_FEATURES],
  });
  const tmp = await Deno.makeTempDir({ prefix: "explain-shap-" });
  try {
    await Deno.writeFile(`${tmp}/demo.onnx`, pkg.onnx);
    const demoRows = [
      ...pkg.manifest.golden!.rows,
      ...spread(pkg.manifest.inputs.map((i) => i.training_range!), 80),
    ];
    const fixtures = JSON.parse(await Deno.readTextFile(`${FIXTURES}rows.json`)) as {
      rows: number[][];
      training_mean: number[];
    };
    const refs = await reference(python, {
      fixtures: FIXTURES,
      onnx: [{ name: "demo", path: `${tmp}/demo.onnx`, rows: demoRows }],
    });

    assertMatches("demo champion", explainerForModel(pkg.onnx, pkg.manifest), demoRows, refs.demo);
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = "error";
    const width = fixtures.training_mean.length;
    for (const name of ["sklearn_gbdt", "sklearn_rf", "sklearn_logreg", "lightgbm_gbdt"]) {
      const bytes = await Deno.readFile(`${FIXTURES}${name}.onnx`);
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
      const explainer = explainerFromOnnx(bytes, {
        inputName: session.inputNames[0],
        width,
        means: fixtures.training_mean,
      });
      assertMatches(name, explainer, fixtures.rows, refs[name]);
      // The explained margin is the one onnxruntime turns into the served probability.
      const x = Float32Array.from(fixtures.rows.flat());
      const out = await session.run({
        [session.inputNames[0]]: new ort.Tensor("float32", x, [fixtures.rows.length, width]),
      });
      const p = out.probabilities.data as Float32Array;
      const phi = new Float64Array(width);
      fixtures.rows.forEach((row, r) => {
        const score = explainer.score(explainer.explain(row, phi));
        assert.ok(
          Math.abs(score - p[2 * r + 1]) < 1e-5,
          `${name} row ${r}: ${score} vs ${p[2 * r + 1]}`,
        );
      });
      await session.release();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
