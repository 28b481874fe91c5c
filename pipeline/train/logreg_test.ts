import assert from "node:assert/strict";
import { predictLogreg, resolveLogregParams, trainLogreg } from "./logreg.ts";
import { TrainError } from "./errors.ts";

Deno.test("trainLogreg() without penalty finds the maximum-likelihood fit", () => {
  // x = 0: one positive of two (p = 0.5); x = 10: three of four (p = 0.75).
  const x = new Float32Array([0, 0, 10, 10, 10, 10]);
  const y = new Uint8Array([0, 1, 1, 1, 0, 1]);
  const model = trainLogreg(x, y, 1, { l2: 0 });
  const p = predictLogreg(model, new Float32Array([0, 10]));
  assert.ok(Math.abs(p[0] - 0.5) < 1e-6, `${p[0]}`);
  assert.ok(Math.abs(p[1] - 0.75) < 1e-6, `${p[1]}`);
  assert.ok(Math.abs(model.weights[0] - Math.log(3) / 10) < 1e-6);
});

Deno.test("trainLogreg() shrinks weights as the L2 penalty grows", () => {
  const x = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]);
  const y = new Uint8Array([0, 0, 1, 0, 1, 0, 1, 1]);
  const weak = trainLogreg(x, y, 1, { l2: 0.01 });
  const strong = trainLogreg(x, y, 1, { l2: 100 });
  assert.ok(Math.abs(strong.weights[0]) < Math.abs(weak.weights[0]));
  assert.ok(weak.weights[0] > 0);
});

Deno.test("trainLogreg() folds standardisation into raw-input weights", () => {
  const x = new Float32Array([1000, 1, 2000, 0, 3000, 1, 4000, 0, 5000, 1]);
  const y = new Uint8Array([0, 1, 0, 1, 1]);
  const model = trainLogreg(x, y, 2, { l2: 1 });
  // Same fit on a rescaled first column: raw-input probabilities must not change.
  const scaled = x.map((v, i) => (i % 2 === 0 ? v / 1000 : v));
  const other = trainLogreg(scaled, y, 2, { l2: 1 });
  const a = predictLogreg(model, x);
  const b = predictLogreg(other, scaled);
  for (let i = 0; i < 5; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6);
});

Deno.test("trainLogreg() is deterministic and gives a constant feature weight 0", () => {
  const x = new Float32Array([1, 5, 2, 5, 3, 5, 4, 5]);
  const y = new Uint8Array([0, 1, 0, 1]);
  const a = trainLogreg(x, y, 2);
  const b = trainLogreg(x, y, 2);
  assert.deepEqual(a, b);
  assert.equal(a.weights[1], 0);
});

Deno.test("resolveLogregParams() rejects a negative penalty", () => {
  assert.throws(() => resolveLogregParams({ l2: -1 }), TrainError);
});
