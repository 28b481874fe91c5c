import assert from "node:assert/strict";
import fc from "fast-check";
import * as ort from "onnxruntime-web";
import { gbdtToOnnx } from "../onnx/mod.ts";
import { gbdtRawScores, trainGbdt } from "../train/mod.ts";
import { explainerFromOnnx, MODE, type TreeEnsemble, TreeShapExplainer } from "./mod.ts";

/** Random rows (a few distinct values per feature, so trees reuse features) and labels. */
const datasetArb = fc.integer({ min: 2, max: 6 }).chain((width) =>
  fc.record({
    width: fc.constant(width),
    rows: fc.array(
      fc.array(fc.integer({ min: -4, max: 4 }), { minLength: width, maxLength: width }),
      {
        minLength: 12,
        maxLength: 60,
      },
    ),
    depth: fc.integer({ min: 1, max: 6 }),
    trees: fc.integer({ min: 1, max: 12 }),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
);

function labelsOf(rows: number[][], seed: number): Uint8Array {
  // A label that depends on several features and their interaction, plus one forced flip per class.
  const y = Uint8Array.from(
    rows,
    (r, i) => ((r[0] * r[1 % r.length] + (r.at(-1) ?? 0) + seed + i) % 3 === 0 ? 1 : 0),
  );
  y[0] = 1;
  y[1] = 0;
  return y;
}

Deno.test("TreeShapExplainer base value plus contributions equals the margin of every row (property)", () => {
  fc.assert(
    fc.property(datasetArb, ({ width, rows, depth, trees, seed }) => {
      const x = Float32Array.from(rows.flat());
      const y = labelsOf(rows, seed);
      const model = trainGbdt(x, y, width, {
        nTrees: trees,
        maxDepth: depth,
        seed,
        subsample: 0.8,
      });
      const explainer = explainerFromOnnx(gbdtToOnnx(model), { inputName: "input", width });
      const raw = gbdtRawScores(model, x);
      const phi = new Float64Array(width);
      // The batch form gives the same values as row by row.
      const many = new Float64Array(rows.length * width);
      const margins = new Float64Array(rows.length);
      explainer.explainMany(x, rows.length, many, margins);
      for (let r = 0; r < rows.length; r++) {
        const margin = explainer.explain(x.subarray(r * width, (r + 1) * width), phi);
        let sum = explainer.baseValue;
        for (const c of phi) sum += c;
        assert.ok(Math.abs(sum - raw[r]) <= 1e-5, `row ${r}: ${sum} vs ${raw[r]}`);
        assert.ok(Math.abs(margin - raw[r]) <= 1e-5);
        assert.deepEqual(many.subarray(r * width, (r + 1) * width), phi);
        assert.equal(margins[r], margin);
      }
    }),
    { numRuns: 150 },
  );
});

Deno.test("TreeShapExplainer margin maps to the probability onnxruntime computes", async () => {
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
  const width = 4;
  const rows = Array.from({ length: 200 }, (_, i) => [i % 7, (i * 3) % 5, (i * 7) % 11, i % 2]);
  const x = Float32Array.from(rows.flat());
  const y = labelsOf(rows, 3);
  const model = trainGbdt(x, y, width, { nTrees: 30, maxDepth: 4 });
  const bytes = gbdtToOnnx(model);
  const explainer = explainerFromOnnx(bytes, { inputName: "input", width });
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const out = await session.run({ input: new ort.Tensor("float32", x, [rows.length, width]) });
  const p = out.probabilities.data as Float32Array;
  const phi = new Float64Array(width);
  for (let r = 0; r < rows.length; r++) {
    const margin = explainer.explain(x.subarray(r * width, (r + 1) * width), phi);
    assert.ok(Math.abs(explainer.score(margin) - p[2 * r + 1]) < 1e-6, `row ${r}`);
  }
  await session.release();
});

/**
 * Exact Shapley values by enumerating coalitions, with the path-dependent
 * value function: an unknown feature's split is averaged by cover.
 */
function bruteForce(e: TreeEnsemble, x: number[]): number[] {
  const f = e.width;
  const value = (known: number): number => {
    const walk = (n: number): number => {
      if (e.feature[n] < 0) return e.value[n];
      const k = e.feature[n];
      if (known & (1 << k)) return x[k] <= e.threshold[n] ? walk(e.yes[n]) : walk(e.no[n]);
      return (e.cover[e.yes[n]] * walk(e.yes[n]) + e.cover[e.no[n]] * walk(e.no[n])) / e.cover[n];
    };
    let s = e.base;
    for (const r of e.roots) s += walk(r);
    return s;
  };
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const phi = new Array(f).fill(0);
  for (let i = 0; i < f; i++) {
    for (let s = 0; s < 1 << f; s++) {
      if (s & (1 << i)) continue;
      let size = 0;
      for (let b = 0; b < f; b++) if (s & (1 << b)) size++;
      const w = (fact(size) * fact(f - size - 1)) / fact(f);
      phi[i] += w * (value(s | (1 << i)) - value(s));
    }
  }
  return phi;
}

/** A random tree of `depth` levels over `width` features, with covers that add up. */
function randomTree(rand: () => number, width: number, depth: number, into: TreeEnsemble): number {
  const grow = (d: number, cover: number): number => {
    const i = into.feature.length;
    const leaf = d === depth || cover < 2 || rand() < 0.2;
    (into.feature as unknown as number[]).push(leaf ? -1 : Math.floor(rand() * width));
    (into.threshold as unknown as number[]).push(Math.floor(rand() * 5) - 2 + 0.5);
    (into.value as unknown as number[]).push(leaf ? rand() * 2 - 1 : 0);
    (into.cover as unknown as number[]).push(cover);
    (into.yes as unknown as number[]).push(-1);
    (into.no as unknown as number[]).push(-1);
    if (!leaf) {
      const left = 1 + Math.floor(rand() * (cover - 1));
      (into.yes as unknown as number[])[i] = grow(d + 1, left);
      (into.no as unknown as number[])[i] = grow(d + 1, cover - left);
    }
    return i;
  };
  return grow(0, 1000);
}

Deno.test("TreeShapExplainer equals exact Shapley values by coalition enumeration", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer(),
      (width, depth, trees, seed) => {
        let state = seed >>> 0 || 1;
        const rand = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
        const plain = {
          width,
          roots: [] as number[],
          feature: [],
          threshold: [],
          value: [],
          cover: [],
          yes: [],
          no: [],
        } as unknown as TreeEnsemble & { roots: number[] };
        for (let t = 0; t < trees; t++) plain.roots.push(randomTree(rand, width, depth, plain));
        const n = (plain.feature as unknown as number[]).length;
        const e: TreeEnsemble = {
          width,
          roots: Int32Array.from(plain.roots),
          feature: Int32Array.from(plain.feature),
          threshold: Float64Array.from(plain.threshold),
          mode: new Uint8Array(n).fill(MODE.LEQ),
          missingTrue: new Uint8Array(n),
          yes: Int32Array.from(plain.yes),
          no: Int32Array.from(plain.no),
          value: Float64Array.from(plain.value),
          cover: Float64Array.from(plain.cover),
          base: 0.25,
          output: "log_odds",
        };
        const x = Array.from({ length: width }, () => Math.floor(rand() * 5) - 2);
        const expected = bruteForce(e, x);
        // Every path: tables per outcome combination (small trees), per-leaf tables, recursion.
        for (const [tableMaxSplits, leafTables] of [[10, true], [0, true], [0, false]] as const) {
          const explainer = new TreeShapExplainer(e, { tableMaxSplits, leafTables });
          const phi = new Float64Array(width);
          const margin = explainer.explain(x, phi);
          for (let i = 0; i < width; i++) {
            assert.ok(
              Math.abs(phi[i] - expected[i]) < 1e-9,
              `feature ${i}: ${phi[i]} vs ${expected[i]}`,
            );
          }
          assert.ok(Math.abs(margin - explainer.margin(x)) < 1e-9);
          const many = new Float64Array(width);
          const margins = new Float64Array(1);
          explainer.explainMany(x, 1, many, margins);
          assert.deepEqual([...many, margins[0]], [...phi, margin]);
        }
      },
    ),
    { numRuns: 300 },
  );
});
