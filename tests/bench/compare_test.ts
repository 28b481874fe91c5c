import assert from "node:assert/strict";
import { compareFigures, figureOfLine, figuresOf } from "./compare.ts";

Deno.test("figureOfLine() reads a throughput, else a latency, by the line's name", () => {
  assert.deepEqual(
    figureOfLine(
      "processBatch Postgres + Redis, 1 worker: 60000 events in 2.21 s = 27123 events/s",
    ),
    { name: "processBatch Postgres + Redis, 1 worker", value: 27123, higherIsBetter: true },
  );
  assert.deepEqual(
    figureOfLine("freshness at 5000 events/s for 10 s (Postgres + Redis): p50 4.1 ms, p99 11.5 ms"),
    {
      name: "freshness at 5000 events/s for 10 s (Postgres + Redis)",
      value: 11.5,
      higherIsBetter: false,
    },
  );
  assert.equal(
    figureOfLine("computeWindowFeatures (state of 812 bytes): 1.25 µs/call (ok)")?.value,
    1.25,
  );
  assert.equal(figureOfLine("Ready after 520 ms"), null);
  assert.equal(figureOfLine("no figure here: just words"), null);
});

Deno.test("figuresOf() reads the edge benchmark's JSON rows and text lines, first of a name wins", () => {
  const stdout = [
    "- /predict by entity_id: 15500 req/s (16 % of ceiling) | target ≥ 15 % | met: yes",
    JSON.stringify({
      rows: [{ name: "/predict/batch, 1000 instances", figure: "316000 instances/s" }],
    }),
    "- /predict by entity_id: 99 req/s",
  ].join("\n");
  assert.deepEqual(figuresOf(stdout).map((f) => [f.name, f.value]), [
    ["/predict by entity_id", 15500],
    ["/predict/batch, 1000 instances", 316000],
  ]);
});

Deno.test("compareFigures() pairs runs by name; above 1 is better for both kinds", () => {
  const f = (name: string, value: number, higherIsBetter = true) => ({
    name,
    value,
    higherIsBetter,
  });
  const { rows, onlyOne } = compareFigures(
    [[f("a", 100), f("lat", 10, false), f("old", 1)], [f("a", 300), f("lat", 30, false)]],
    [[f("a", 220), f("lat", 10, false), f("new", 1)], [f("a", 180), f("lat", 10, false)]],
  );
  assert.deepEqual(rows.map((r) => [r.name, r.ratio]), [["a", 1], ["lat", 2]]);
  assert.deepEqual(onlyOne, ["old (baseline only)", "new (current only)"]);
});
