import assert from "node:assert/strict";
import { stratifiedSplit } from "./split.ts";
import { TrainError } from "./errors.ts";

const labels = (zeros: number, ones: number) => {
  const y = [...Array(zeros).fill(0), ...Array(ones).fill(1)];
  // Interleave so classes are not contiguous.
  return y.map((_, i) => y[(i * 7) % y.length]);
};

Deno.test("stratifiedSplit() keeps each class's share on both sides", () => {
  const y = labels(400, 100);
  const { train, validation } = stratifiedSplit(y);
  assert.equal(validation.length, 100);
  assert.equal(train.length, 400);
  assert.equal([...validation].filter((i) => y[i] === 1).length, 20);
  assert.equal([...train].filter((i) => y[i] === 1).length, 80);
});

Deno.test("stratifiedSplit() covers every row exactly once, ascending", () => {
  const y = labels(37, 11);
  const { train, validation } = stratifiedSplit(y, { seed: 3, validationFraction: 0.3 });
  const all = [...train, ...validation].sort((a, b) => a - b);
  assert.deepEqual(all, y.map((_, i) => i));
  assert.deepEqual([...train], [...train].sort((a, b) => a - b));
});

Deno.test("stratifiedSplit() is deterministic for a seed and changes with it", () => {
  const y = labels(200, 50);
  const a = stratifiedSplit(y, { seed: 42 });
  const b = stratifiedSplit(y, { seed: 42 });
  const c = stratifiedSplit(y, { seed: 43 });
  assert.deepEqual(a, b);
  assert.notDeepEqual([...a.validation], [...c.validation]);
});

Deno.test("stratifiedSplit() holds out at least one row of a small class and keeps one for training", () => {
  const { train, validation } = stratifiedSplit([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  assert.equal(validation.filter((i) => i >= 8).length, 1);
  assert.equal(train.filter((i) => i >= 8).length, 1);
});

Deno.test("stratifiedSplit() rejects a fraction outside (0, 1)", () => {
  assert.throws(() => stratifiedSplit([0, 1], { validationFraction: 1 }), TrainError);
});
