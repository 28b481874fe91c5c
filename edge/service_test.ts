import assert from "node:assert/strict";
import { isoOf } from "./service.ts";

Deno.test("isoOf() formats like Date.toISOString, also when the instant repeats or goes back", () => {
  for (const ms of [0, 1, 1, 1_700_000_000_123, 1_700_000_000_123, 1_700_000_000_124, 5, 5.7]) {
    assert.equal(isoOf(ms), new Date(ms).toISOString());
  }
  assert.throws(() => isoOf(Number.NaN), RangeError);
});
