import assert from "node:assert/strict";
import {
  averagePrecision,
  confusionMatrix,
  evaluateBinary,
  logLoss,
  recallAtPrecision,
  rocAuc,
} from "./binary_metrics.ts";

// The example of scikit-learn's docs: roc_auc_score = 0.75, average_precision_score = 0.8333.
const Y = [0, 0, 1, 1];
const S = [0.1, 0.4, 0.35, 0.8];
const close = (a: number, b: number, eps = 1e-12) =>
  assert.ok(Math.abs(a - b) <= eps, `${a} ≠ ${b}`);

Deno.test("rocAuc() matches the hand-computed value", () => {
  // Positive/negative pairs ranked correctly: (0.35>0.1), (0.8>0.1), (0.8>0.4) of 4.
  close(rocAuc(Y, S), 0.75);
});

Deno.test("rocAuc() counts tied scores as half a correct pair", () => {
  close(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]), (1 + 1 + 1 + 0.5) / 4);
  close(rocAuc([0, 1], [0.3, 0.3]), 0.5);
});

Deno.test("rocAuc() is NaN with one class and 1 for a perfect ranking", () => {
  assert.ok(Number.isNaN(rocAuc([1, 1], [0.2, 0.4])));
  close(rocAuc([0, 0, 1], [0.1, 0.2, 0.9]), 1);
});

Deno.test("averagePrecision() matches the hand-computed value", () => {
  // Thresholds 0.8: P=1 R=.5; 0.4: P=.5 R=.5; 0.35: P=2/3 R=1 → .5·1 + .5·2/3.
  close(averagePrecision(Y, S), 0.5 + 0.5 * (2 / 3));
});

Deno.test("recallAtPrecision() returns the best recall reaching the precision", () => {
  close(recallAtPrecision(Y, S, 0.9), 0.5);
  close(recallAtPrecision(Y, S, 0.6), 1);
  close(recallAtPrecision([0, 1], [0.9, 0.1], 0.9), 0);
});

Deno.test("logLoss() matches the hand-computed value and clips 0 and 1", () => {
  close(logLoss([1, 0], [0.8, 0.3]), -(Math.log(0.8) + Math.log(0.7)) / 2);
  assert.ok(Number.isFinite(logLoss([1, 0], [0, 1])));
});

Deno.test("confusionMatrix() predicts positive at probability ≥ threshold", () => {
  assert.deepEqual(confusionMatrix(Y, S, 0.35), { tn: 1, fp: 1, fn: 0, tp: 2 });
  assert.deepEqual(confusionMatrix(Y, S, 0.5), { tn: 2, fp: 0, fn: 1, tp: 1 });
});

Deno.test("evaluateBinary() derives precision, recall, F1 and accuracy from the confusion matrix", () => {
  const m = evaluateBinary(Y, S, 0.35);
  close(m.precision, 2 / 3);
  close(m.recall, 1);
  close(m.f1, 0.8);
  close(m.accuracy, 0.75);
  assert.equal(m.positives, 2);
  assert.equal(m.rows, 4);
  const none = evaluateBinary(Y, S, 0.99);
  assert.equal(none.precision, 0);
  assert.equal(none.f1, 0);
});
