/**
 * `model:evaluate` on real MLflow: the decision and both metric sets are
 * logged as a run, and a better challenger is promoted in MLflow.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseEvaluateArgs, runEvaluate } from "../../registry/cli/evaluate.ts";
import { resolveRegistryConfig } from "../../registry/config.ts";
import { MlflowRegistry } from "../../registry/mlflow.ts";
import { createSyncService } from "../../registry/wiring.ts";
import { serviceEnv } from "../_services.ts";
import { onnxPackage } from "../contracts/model_registry_fixtures.ts";

Deno.test("model:evaluate logs the decision to MLflow and promotes a better challenger", async () => {
  const env = await serviceEnv("mlflow");
  const name = `eval_${crypto.randomUUID().slice(0, 8)}`;
  const mlflow = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  await mlflow.register(onnxPackage(name, { weights: [0.5, 0.5, 0.5], bias: 0 }));
  await mlflow.register(onnxPackage(name, { weights: [-1, 0, 1], bias: 0 }));
  await mlflow.setAlias(name, "champion", "1");
  await mlflow.setAlias(name, "challenger", "2");
  const dir = await Deno.makeTempDir({ prefix: "registry-evaluate-" });
  try {
    const lines = ["f0,f1,f2,is_fraud"];
    for (let i = 0; i < 300; i++) {
      const f = [((i * 37) % 100) / 50 - 1, ((i * 11) % 100) / 50 - 1, ((i * 73) % 100) / 50 - 1];
      lines.push(`${f.join(",")},${f[2] - f[0] > 0.5 ? 1 : 0}`);
    }
    await Deno.writeTextFile(`${dir}/holdout.csv`, lines.join("\n") + "\n");
    const service = createSyncService(
      resolveRegistryConfig({
        MLFLOW_TRACKING_URI: env.MLFLOW_TRACKING_URI,
        REGISTRY_MODELS: name,
      }),
      { log: () => {} },
    );
    const result = await runEvaluate(
      parseEvaluateArgs(["--model", name, "--data", `${dir}/holdout.csv`]),
      service,
    );
    assert.equal(result.promote, true, result.reasons.join("; "));
    assert.deepEqual(await mlflow.getAliases(name), { champion: "2", previous_champion: "1" });

    const experiment = await mlflow.client.get<{ experiment: { experiment_id: string } }>(
      "experiments/get-by-name",
      { experiment_name: "platform-models" },
    );
    const runs = await mlflow.client.post<{
      runs?: {
        data: {
          params?: { key: string; value: string }[];
          metrics?: { key: string; value: number }[];
        };
      }[];
    }>("runs/search", {
      experiment_ids: [experiment.experiment.experiment_id],
      filter: `tags.\`platform.model\` = '${name}' and tags.\`platform.kind\` = 'evaluate'`,
    });
    assert.equal(runs.runs?.length, 1);
    const params = Object.fromEntries(runs.runs![0].data.params!.map((p) => [p.key, p.value]));
    assert.equal(params.decision, "promote");
    assert.equal(params.champion_version, "1");
    const metrics = Object.fromEntries(runs.runs![0].data.metrics!.map((m) => [m.key, m.value]));
    assert.equal(metrics["challenger.pr_auc"], result.challenger.pr_auc);
    assert.equal(metrics["champion.pr_auc"], result.champion.pr_auc);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
