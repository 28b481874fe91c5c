import assert from "node:assert/strict";
import { binIndex } from "./drift_bins.ts";

Deno.test("binIndex() puts a value equal to an edge in the bin that edge closes", () => {
  const edges = [1, 2, 3];
  assert.equal(binIndex(edges, -10), 0);
  assert.equal(binIndex(edges, 1), 0);
  assert.equal(binIndex(edges, 1.5), 1);
  assert.equal(binIndex(edges, 2), 1);
  assert.equal(binIndex(edges, 3), 2);
  assert.equal(binIndex(edges, 3.01), 3);
  assert.equal(binIndex([], 5), 0);
});
