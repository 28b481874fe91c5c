import assert from "node:assert/strict";
import { allowed, importGraph, specifiersOf } from "./import_graph.ts";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("importGraph() finds no import running up a layer and no two folders importing each other", async () => {
  const graph = await importGraph(ROOT);
  assert.deepEqual(
    graph.upward.map((e) => `${e.file} -> ${e.specifier}`),
    [],
    "imports of a folder above (or of a sibling in the same layer)",
  );
  assert.deepEqual(graph.twoWay, []);
  // The graph is not empty: the walk found the folders and their imports.
  assert.ok(graph.edges["edge -> pipeline"] > 0);
  assert.ok(graph.edges["pipeline -> schemas"] > 0);
});

Deno.test("importGraph() with the unit tests beside the code: still no upward import (test support lives in tests/)", async () => {
  const graph = await importGraph(ROOT, { tests: true });
  assert.deepEqual(graph.upward.map((e) => `${e.file} -> ${e.specifier}`), []);
  assert.deepEqual(graph.twoWay, []);
});

Deno.test("allowed() keeps the layering: down only, siblings of a layer apart", () => {
  assert.ok(allowed("edge", "pipeline"));
  assert.ok(allowed("registry", "schemas"));
  assert.ok(!allowed("pipeline", "registry"));
  assert.ok(!allowed("registry", "edge"));
  assert.ok(!allowed("registry", "ingest-workers"));
  assert.ok(!allowed("ingest-workers", "registry"));
  assert.ok(allowed("deploy", "edge"));
});

Deno.test("specifiersOf() reads static, type-only, re-export, side-effect and dynamic imports", () => {
  const source = `import { a } from "./a.ts";
import type { B } from "../b.ts";
export { c } from "./c.ts";
export * from "./d.ts";
import "./e.ts";
const f = await import("./f.ts");
// import { g } from "./g.ts";
/** import { h } from "./h.ts"; */
import {
  i,
  j,
} from "./ij.ts";`;
  assert.deepEqual(specifiersOf(source), [
    "./a.ts",
    "../b.ts",
    "./c.ts",
    "./d.ts",
    "./e.ts",
    "./f.ts",
    "./ij.ts",
  ]);
});
