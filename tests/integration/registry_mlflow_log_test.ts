/**
 * `logAndRegisterModel` and Python-logged models against the real MLflow
 * server: what the trainer's `--register` writes, and what a data scientist
 * logs with `mlflow.onnx.log_model`, both load through `MlflowRegistry`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { MlflowRegistry } from "../../registry/mlflow.ts";
import { logAndRegisterModel } from "../../registry/mlflow_train_log.ts";
import { serviceEnv } from "../_services.ts";
import { logSklearnModel, onnxPackage } from "../contracts/model_registry_fixtures.ts";

const unique = () => `log_${crypto.randomUUID().slice(0, 8)}`;

Deno.test("logAndRegisterModel() logs the run, the model directory and sets alias challenger", async () => {
  const env = await serviceEnv("mlflow");
  const name = unique();
  const pkg = onnxPackage(name);
  const result = await logAndRegisterModel({
    pkg,
    report: { params: { learning_rate: 0.1 }, metrics: { roc_auc: 0.91, confusion: { tp: 3 } } },
    config: { trackingUri: env.MLFLOW_TRACKING_URI, experimentName: "registry-tests" },
  });
  assert.equal(result.version, "1");
  assert.equal(result.modelUri, `models:/${name}/1`);

  const registry = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  assert.deepEqual(await registry.getAliases(name), { challenger: "1" });
  const loaded = await registry.getPackage(name, "challenger");
  assert.deepEqual(new Uint8Array(loaded.onnx), new Uint8Array(pkg.onnx));
  assert.equal(loaded.manifest.sha256, pkg.manifest.sha256);

  const run = await registry.client.get<{
    run: {
      info: { status: string; artifact_uri: string };
      data: {
        params?: { key: string; value: string }[];
        metrics?: { key: string; value: number }[];
      };
    };
  }>("runs/get", { run_id: result.runId });
  assert.equal(run.run.info.status, "FINISHED");
  const params = Object.fromEntries((run.run.data.params ?? []).map((p) => [p.key, p.value]));
  assert.equal(params.learning_rate, "0.1");
  assert.equal(params.inputs, "3");
  const metrics = Object.fromEntries((run.run.data.metrics ?? []).map((m) => [m.key, m.value]));
  assert.equal(metrics.roc_auc, 0.91);
  assert.equal(metrics["confusion.tp"], 3);

  const root = run.run.info.artifact_uri;
  const mlmodel = new TextDecoder().decode(
    (await registry.client.getArtifact(`${root}/model/MLmodel`))!,
  );
  assert.match(mlmodel, /^ {2}onnx:$/m);
  assert.match(mlmodel, /^ {4}data: model\.onnx$/m);
  assert.match(mlmodel, /"shape": \[-1, 3\]/);
  const report = JSON.parse(
    new TextDecoder().decode((await registry.client.getArtifact(`${root}/training_report.json`))!),
  );
  assert.equal(report.metrics.roc_auc, 0.91);
});

Deno.test("MlflowRegistry loads a model logged from Python with mlflow.onnx.log_model", async () => {
  const env = await serviceEnv("mlflow");
  const name = unique();
  const inModel = await logSklearnModel(env.MLFLOW_TRACKING_URI, { name, alias: "challenger" });
  const inRun = await logSklearnModel(env.MLFLOW_TRACKING_URI, {
    name,
    alias: "champion",
    manifestLocation: "run",
    seed: 8,
  });
  const registry = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  const challenger = await registry.getPackage(name, "challenger");
  assert.equal(challenger.manifest.version, inModel.version);
  assert.equal(challenger.manifest.sha256, inModel.sha256);
  assert.equal(challenger.manifest.framework, "sklearn");
  assert.equal(challenger.manifest.golden?.rows.length, 5);
  const champion = await registry.getPackage(name, "champion");
  assert.equal(champion.manifest.version, inRun.version);
  assert.equal(champion.manifest.sha256, inRun.sha256);
});
