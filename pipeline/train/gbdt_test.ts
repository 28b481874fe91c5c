import assert from "node:assert/strict";
import { predictGbdt, resolveGbdtParams, trainGbdt } from "./gbdt.ts";
import { rocAuc } from "./binary_metrics.ts";
import { seededRandom } from "./_random.ts";
import { TrainError } from "./errors.ts";
import { treeValue } from "./_tree.ts";

function noisy(rows: number, seed: number) {
  const random = seededRandom(seed);
  const x = new Float32Array(rows * 3);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    x[r * 3] = random();
    x[r * 3 + 1] = random();
    x[r * 3 + 2] = 1; // constant
    y[r] = x[r * 3] + 0.3 * (random() - 0.5) > 0.5 ? 1 : 0;
  }
  return { x, y };
}

Deno.test("trainGbdt() learns a threshold rule", () => {
  const { x, y } = noisy(400, 1);
  const model = trainGbdt(x, y, 3, { nTrees: 30 });
  const test = noisy(400, 2);
  assert.ok(rocAuc(test.y, predictGbdt(model, test.x)) > 0.9);
});

Deno.test("trainGbdt() is deterministic for a seed, with subsampling", () => {
  const { x, y } = noisy(300, 3);
  const a = trainGbdt(x, y, 3, { nTrees: 10, subsample: 0.6, seed: 5 });
  const b = trainGbdt(x, y, 3, { nTrees: 10, subsample: 0.6, seed: 5 });
  const c = trainGbdt(x, y, 3, { nTrees: 10, subsample: 0.6, seed: 6 });
  assert.deepEqual(a.trees, b.trees);
  assert.equal(a.baseScore, b.baseScore);
  assert.notDeepEqual(a.trees, c.trees);
});

Deno.test("trainGbdt() starts from the prior log-odds and never splits a constant feature", () => {
  const { x, y } = noisy(200, 4);
  const positives = y.reduce((s, v) => s + v, 0);
  const model = trainGbdt(x, y, 3, { nTrees: 5 });
  assert.equal(model.baseScore, Math.fround(Math.log(positives / (200 - positives))));
  assert.ok(model.trees.every((t) => !t.feature.includes(2)));
});

Deno.test("trainGbdt() respects depth and minimum leaf size", () => {
  const { x, y } = noisy(300, 5);
  const model = trainGbdt(x, y, 3, { nTrees: 8, maxDepth: 2, minLeaf: 40 });
  for (const tree of model.trees) {
    assert.ok(tree.feature.length <= 7);
    const counts = new Map<number, number>();
    for (let r = 0; r < 300; r++) {
      let node = 0;
      while (tree.feature[node] >= 0) {
        node = x[r * 3 + tree.feature[node]] <= tree.threshold[node]
          ? tree.left[node]
          : tree.right[node];
      }
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    for (const c of counts.values()) assert.ok(c >= 40, `leaf with ${c} rows`);
  }
});

Deno.test("trainGbdt() reports progress after every tree with a falling training loss", () => {
  const { x, y } = noisy(200, 6);
  const seen: number[] = [];
  trainGbdt(x, y, 3, { nTrees: 12 }, (p) => seen.push(p.trainLoss));
  assert.equal(seen.length, 12);
  assert.ok(seen[11] < seen[0]);
});

Deno.test("trainGbdt() leaf values equal a Newton step times the learning rate", () => {
  // One feature, two groups: a depth-1 tree separates them; leaf = lr · Σ(y − p) / Σ p(1 − p).
  const x = new Float32Array([0, 0, 0, 0, 1, 1, 1, 1]);
  const y = new Uint8Array([0, 0, 0, 1, 1, 1, 1, 0]);
  const model = trainGbdt(x, y, 1, { nTrees: 1, maxDepth: 1, learningRate: 0.1 });
  // Prior 0.5 → p = 0.5, h = 0.25 per row: left Σ(y − p) = −1, right +1 over 4 rows.
  assert.ok(Math.abs(treeValue(model.trees[0], x, 0, 1) - Math.fround(0.1 * (-1 / 1))) < 1e-7);
  assert.ok(Math.abs(treeValue(model.trees[0], x, 4, 1) - Math.fround(0.1 * (1 / 1))) < 1e-7);
});

Deno.test("resolveGbdtParams() rejects out-of-range parameters", () => {
  assert.throws(() => resolveGbdtParams({ nTrees: 0 }), TrainError);
  assert.throws(() => resolveGbdtParams({ maxDepth: 1.5 }), TrainError);
  assert.throws(() => resolveGbdtParams({ learningRate: -1 }), TrainError);
  assert.throws(() => resolveGbdtParams({ subsample: 1.5 }), TrainError);
  assert.equal(resolveGbdtParams().nTrees, 100);
});
