import assert from "node:assert/strict";
import { onnxPackage } from "../tests/contracts/model_registry_fixtures.ts";
import { compareInputs, describeInputChanges } from "./input_changes.ts";

Deno.test("compareInputs() names added, removed and changed inputs, not their order", () => {
  const a = onnxPackage("m", { inputNames: ["amount", "hour", "country"] }).manifest;
  const b = onnxPackage("m", { inputNames: ["hour", "amount", "device"] }).manifest;
  b.inputs[0] = {
    ...b.inputs[0],
    transform: { kind: "hour_of_day", source: "timestamp" },
  };
  const changes = compareInputs(a, b);
  assert.deepEqual(changes, [
    { input: "hour", change: "changed", fields: ["transform"] },
    { input: "device", change: "added" },
    { input: "country", change: "removed" },
  ]);
  assert.equal(
    describeInputChanges(changes),
    "adds device; removes country; changes hour (transform)",
  );
  const reordered = onnxPackage("m", { inputNames: ["hour", "amount", "country"] }).manifest;
  assert.deepEqual(compareInputs(a, reordered), []);
});

Deno.test("describeInputChanges() shortens long lists", () => {
  const a = onnxPackage("m", { graphFeatures: 1 }).manifest;
  const b = onnxPackage("m", { graphFeatures: 9 }).manifest;
  assert.equal(describeInputChanges(compareInputs(a, b), 3), "adds f1, f2, f3 and 5 more");
});
