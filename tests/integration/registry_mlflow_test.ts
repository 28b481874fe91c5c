/**
 * Runs the `ModelRegistry` contract against `MlflowRegistry` on the real
 * MLflow server started by `deno task services:up`.
 *
 * @module
 */
import { MlflowRegistry } from "../../registry/mlflow.ts";
import { serviceEnv } from "../_services.ts";
import { modelRegistryContract } from "../contracts/model_registry_contract.ts";

modelRegistryContract("MlflowRegistry", async () => {
  const env = await serviceEnv();
  const registry = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  return {
    registry,
    // Overwrite the stored model.onnx through the artifact proxy, as a broken
    // upload or a tampered store would.
    corrupt: async (name, version) => {
      const found = await registry.resolveVersion(name, version);
      const dir = await registry.downloadUri(found);
      await registry.client.putArtifact(`${dir}/model.onnx`, "corrupted bytes");
    },
    close: () => Promise.resolve(),
  };
});
