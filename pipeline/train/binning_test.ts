import assert from "node:assert/strict";
import { binMatrix, binOf, columnThresholds, midpointF32 } from "./binning.ts";

Deno.test("midpointF32() lies between neighbouring float32 values", () => {
  const a = Math.fround(0.1);
  const b = Math.fround(0.3);
  const t = midpointF32(a, b);
  assert.ok(a <= t && t < b);
  assert.equal(Math.fround(t), t);
  // Adjacent float32 values: the only float32 in [a, b) is a.
  const next = new Float32Array([1 + 2 ** -23])[0];
  assert.equal(midpointF32(1, next), 1);
});

Deno.test("columnThresholds() cuts between every distinct value when they fit", () => {
  const t = columnThresholds(new Float32Array([1, 1, 2, 3, 3, 3]), 255);
  assert.deepEqual([...t], [1.5, 2.5]);
  assert.equal(columnThresholds(new Float32Array([4, 4, 4]), 255).length, 0);
});

Deno.test("columnThresholds() uses at most maxBins − 1 quantile cuts", () => {
  const sorted = Float32Array.from({ length: 1000 }, (_, i) => i);
  const t = columnThresholds(sorted, 10);
  assert.equal(t.length, 9);
  assert.deepEqual([...t], [99.5, 199.5, 299.5, 399.5, 499.5, 599.5, 699.5, 799.5, 899.5]);
});

Deno.test("binMatrix() codes agree with x <= threshold", () => {
  const x = new Float32Array([5, 0, 1, 0, 3, 1, 9, 0]);
  const b = binMatrix(x, 4, 2);
  assert.deepEqual([...b.codes.subarray(0, 4)], [2, 0, 1, 3]);
  assert.deepEqual([...b.codes.subarray(4, 8)], [0, 0, 1, 0]);
  for (let r = 0; r < 4; r++) {
    const code = b.codes[r];
    const t = b.thresholds[0];
    if (code < t.length) assert.ok(x[r * 2] <= t[code]);
    if (code > 0) assert.ok(x[r * 2] > t[code - 1]);
    assert.equal(binOf(t, x[r * 2]), code);
  }
});
