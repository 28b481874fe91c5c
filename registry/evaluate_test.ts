import assert from "node:assert/strict";
import { onnxPackage } from "../tests/contracts/model_registry_fixtures.ts";
import { parseEvaluateArgs, runEvaluate } from "./cli/evaluate.ts";
import { resolveRegistryConfig } from "./config.ts";
import { LocalRegistry } from "./local.ts";
import { MemoryRegistryStore } from "./store/memory.ts";
import { createSyncService } from "./wiring.ts";

/** 400 rows whose label follows f2 − f0 (with a little noise), as CSV. */
function heldOut(): string {
  const lines = ["f0,f1,f2,is_fraud"];
  let s = 7;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 400; i++) {
    const f = [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1];
    const y = f[2] - f[0] + (rand() - 0.5) * 0.3 > 0.6 ? 1 : 0;
    lines.push(`${f.map((v) => v.toFixed(4)).join(",")},${y}`);
  }
  return lines.join("\n") + "\n";
}

async function setup(challengerWeights: number[]) {
  const root = await Deno.makeTempDir({ prefix: "evaluate-test-" });
  const registry = new LocalRegistry({ root: `${root}/models` });
  await registry.register(onnxPackage("m", { weights: [0.5, 0.5, 0.5], bias: 0 }));
  await registry.register(onnxPackage("m", { weights: challengerWeights, bias: 0 }));
  await registry.setAlias("m", "champion", "1");
  await registry.setAlias("m", "challenger", "2");
  await Deno.writeTextFile(`${root}/holdout.csv`, heldOut());
  const service = createSyncService(resolveRegistryConfig({ REGISTRY_MODELS: "m" }), {
    registry,
    store: new MemoryRegistryStore(),
    log: () => {},
  });
  const args = parseEvaluateArgs(["--model", "m", "--data", `${root}/holdout.csv`]);
  return { registry, service, args, cleanup: () => Deno.remove(root, { recursive: true }) };
}

Deno.test("runEvaluate() promotes a challenger better on PR AUC and recall at precision", async () => {
  const t = await setup([-1, 0, 1]);
  try {
    const result = await runEvaluate(t.args, t.service);
    assert.equal(result.promote, true, result.reasons.join("; "));
    assert.ok(result.challenger.pr_auc > result.champion.pr_auc + 0.005);
    assert.equal(result.rows, 400);
    assert.deepEqual(await t.registry.getAliases("m"), { champion: "2", previous_champion: "1" });
  } finally {
    await t.cleanup();
  }
});

Deno.test("runEvaluate() keeps the champion on a tie, even with zero margins", async () => {
  const t = await setup([1, 1, 1]);
  try {
    const args = { ...t.args, policy: { ...t.args.policy, minPrAucGain: 0, minRecallGain: 0 } };
    const result = await runEvaluate(args, t.service);
    assert.equal(result.champion.pr_auc, result.challenger.pr_auc);
    assert.equal(result.promote, false);
    assert.match(result.reasons[0], /PR AUC gain 0\.0000/);
    assert.deepEqual(await t.registry.getAliases("m"), { champion: "1", challenger: "2" });
  } finally {
    await t.cleanup();
  }
});

Deno.test("parseEvaluateArgs() requires --data and bounded thresholds", () => {
  assert.throws(() => parseEvaluateArgs(["--model", "m"]), /Missing --labels/);
  assert.throws(() => parseEvaluateArgs(["--data", "a.csv", "--labels", "b.csv"]), /give one/);
  assert.throws(() => parseEvaluateArgs(["--data", "x.csv", "--precision", "2"]), /--precision/);
});

Deno.test("inputMatrix() reads numbers, booleans, transforms and defaults", async () => {
  const { inputMatrix } = await import("./evaluate.ts");
  const pkg = onnxPackage("m", { inputNames: ["a", "is_weekend", "amount_log"] });
  pkg.manifest.inputs[2].transform = { kind: "log1p", source: "amount" };
  pkg.manifest.inputs[0].default = 7;
  // CSV cells are text, parsed by each input's type; JSON values must have the right type.
  const csv = inputMatrix(pkg.manifest, [{ a: "1.5", is_weekend: "False", amount: "0" }], {
    text: true,
  });
  assert.deepEqual(Array.from(csv), [1.5, 0, 0]);
  const json = inputMatrix(pkg.manifest, [{ is_weekend: true, amount: Math.E - 1 }]);
  assert.deepEqual(Array.from(json), [7, 1, 1]);
  assert.throws(
    () => inputMatrix(pkg.manifest, [{ a: "1.5", is_weekend: true, amount: 0 }]),
    /row 1\.a: Expected a number/,
  );
  assert.throws(
    () => inputMatrix({ ...pkg.manifest, inputs: [{ name: "zz", dtype: "float32" }] }, [{}]),
    /row 1\.zz: Missing/,
  );
});
