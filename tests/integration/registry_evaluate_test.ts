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

Deno.test("model:evaluate --labels scores both models on point-in-time rows from Postgres", async () => {
  const env = await serviceEnv("mlflow", "postgres");
  const { FeaturePipeline, MemoryOnlineCache, PostgresFeatureStore, loadExample } = await import(
    "../../pipeline/mod.ts"
  );
  const DEMO_VIEW = loadExample("fraud").view("user_transactions")!;
  const run = crypto.randomUUID().slice(0, 8);
  const store = new PostgresFeatureStore(env.DATABASE_URL);
  const dir = await Deno.makeTempDir({ prefix: "registry-evaluate-pit-" });
  try {
    await store.migrate();
    await store.registerView(DEMO_VIEW);
    const pipeline = new FeaturePipeline({ store, cache: new MemoryOnlineCache() });
    const base = Date.parse("2026-06-01T12:00:00Z");
    const events: Record<string, unknown>[] = [];
    const labels = ["entity_id,timestamp,label,event_id"];
    for (let u = 0; u < 40; u++) {
      const user = `eval_${run}_${u}`;
      const burst = u % 4 === 0;
      const times = burst
        ? [6, 5, 4, 3, 2, 1].map((m) => base - m * 5 * 60_000)
        : [3, 2, 1].map((d) => base - d * 86_400_000);
      times.push(base);
      times.forEach((t, i) =>
        events.push({
          event_id: `${user}_${i}`,
          user_id: user,
          amount: 10 + ((u * 37 + i * 11) % 90),
          timestamp: new Date(t).toISOString(),
          merchant_category: "grocery",
        })
      );
      labels.push(
        `${user},${new Date(base).toISOString()},${burst ? 1 : 0},${user}_${times.length - 1}`,
      );
    }
    const result = await pipeline.processBatch(events.map((e) => ({ payload: JSON.stringify(e) })));
    assert.equal(result.accepted, events.length);
    await Deno.writeTextFile(`${dir}/labels.csv`, labels.join("\n") + "\n");

    const name = `eval_pit_${run}`;
    const view = { name: DEMO_VIEW.name, version: DEMO_VIEW.version, entity_key: "user_id" };
    const inputNames = ["amount_log", "transaction_count_24h", "amount_sum_24h"];
    const mlflow = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
    const champion = onnxPackage(name, {
      weights: [1, 0, 0],
      bias: 0,
      inputNames,
      featureView: view,
    });
    champion.manifest.inputs[0].transform = { kind: "log1p", source: "amount" };
    await mlflow.register(champion);
    await mlflow.register(
      onnxPackage(name, { weights: [0, 1, 0], bias: -3, inputNames, featureView: view }),
    );
    await mlflow.setAlias(name, "champion", "1");
    await mlflow.setAlias(name, "challenger", "2");
    const service = createSyncService(
      resolveRegistryConfig({
        MLFLOW_TRACKING_URI: env.MLFLOW_TRACKING_URI,
        REGISTRY_MODELS: name,
      }),
      { log: () => {} },
    );
    const outcome = await runEvaluate(
      parseEvaluateArgs(["--model", name, "--labels", `${dir}/labels.csv`, "--dry-run"]),
      service,
      () => new PostgresFeatureStore(env.DATABASE_URL),
    );
    assert.equal(outcome.rows, 40);
    assert.equal(outcome.positives, 10);
    assert.equal(outcome.challenger.pr_auc, 1);
    assert.ok(outcome.champion.pr_auc < 0.6, `champion PR AUC ${outcome.champion.pr_auc}`);
    assert.equal(outcome.promote, true);
    assert.deepEqual(await mlflow.getAliases(name), { champion: "1", challenger: "2" }, "dry run");
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
