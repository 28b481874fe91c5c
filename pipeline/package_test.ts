import assert from "node:assert/strict";
import { ModelManifestSchema } from "../schemas/manifest.ts";
import { buildDataset, parseCsv, selectRows, trainGbdt, trainLogreg } from "./train/mod.ts";
import {
  buildModelPackage,
  featureBaselines,
  fingerprintDataset,
  goldenRows,
  sha256Hex,
} from "./package.ts";

function data(rows = 60) {
  const lines = ["a,b,label"];
  for (let i = 0; i < rows; i++) lines.push(`${i},${(i * 7) % 5},${i % 3 === 0 ? 1 : 0}`);
  return buildDataset(parseCsv(lines.join("\n"), "mem.csv"), { label: "label" });
}

Deno.test("sha256Hex() matches the known digest of 'abc'", async () => {
  assert.equal(
    await sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("fingerprintDataset() is stable and changes when one value changes", async () => {
  const d = data();
  const a = await fingerprintDataset(d);
  assert.equal(a, await fingerprintDataset(data()));
  const changed = { ...d, x: d.x.slice() };
  changed.x[5] += 1;
  assert.notEqual(a, await fingerprintDataset(changed));
  // The canonical text is documented: header, then `values…,label` per row.
  const tiny = buildDataset(parseCsv("a,label\n1.5,0\n2,1\n", "t"), { label: "label" });
  assert.equal(await fingerprintDataset(tiny), await sha256Hex("a,label\n1.5,0\n2,1"));
});

Deno.test("featureBaselines() gives decile edges and frequencies summing to 1", () => {
  const b = featureBaselines(data(100));
  assert.deepEqual(b.a.edges, [9, 19, 29, 39, 49, 59, 69, 79, 89]);
  assert.deepEqual(b.a.frequencies, Array(10).fill(0.1));
  // Five values, 20 % each: duplicate deciles collapse; the bin above the maximum stays empty.
  assert.deepEqual(b.b.edges, [0, 1, 2, 3, 4]);
  assert.deepEqual(b.b.frequencies, [0.2, 0.2, 0.2, 0.2, 0.2, 0]);
  assert.ok(Math.abs(b.b.frequencies.reduce((s, v) => s + v, 0) - 1) < 1e-12);
});

Deno.test("goldenRows() takes the first rows and writes [1 − p, p]", () => {
  const g = goldenRows(data(), [0.25, 0.5, 0.9], 2);
  assert.deepEqual(g.rows, [[0, 0], [1, 2]]);
  assert.deepEqual(g.probabilities, [[0.75, 0.25], [0.5, 0.5]]);
});

Deno.test("buildModelPackage() writes a manifest valid per the schema with the ONNX sha256", async () => {
  const d = data();
  const train = selectRows(d, Array.from({ length: 40 }, (_, i) => i));
  const validation = selectRows(d, Array.from({ length: 20 }, (_, i) => 40 + i));
  for (
    const model of [trainGbdt(train.x, train.y, 2, { nTrees: 3 }), trainLogreg(train.x, train.y, 2)]
  ) {
    const pkg = await buildModelPackage({
      name: "m",
      model,
      data: d,
      train,
      validation,
      validationProbabilities: new Array(20).fill(0.3),
      threshold: 0.4,
      metrics: { roc_auc: 0.9 },
      createdAt: "2026-01-01T00:00:00.000Z",
    });
    const m = ModelManifestSchema.parse(pkg.manifest);
    assert.equal(m.sha256, await sha256Hex(pkg.onnx));
    assert.equal(m.framework, model.kind === "gbdt" ? "platform-gbdt" : "platform-logreg");
    assert.deepEqual(m.inputs.map((i) => i.name), ["a", "b"]);
    assert.deepEqual(m.outputs, { label: "label", probabilities: "probabilities" });
    assert.equal(m.threshold, 0.4);
    assert.equal(m.golden!.rows.length, 20);
    assert.equal(m.training_data.rows, 60);
    assert.equal(m.training_data.fingerprint, await fingerprintDataset(d));
    assert.deepEqual(Object.keys(m.baseline!), ["a", "b"]);
  }
});
