/**
 * Runs the `ModelRegistry` contract against `LocalRegistry` in a fresh
 * temporary folder per test.
 *
 * @module
 */
import { LocalRegistry } from "../../registry/local.ts";
import { modelRegistryContract } from "./model_registry_contract.ts";

modelRegistryContract("LocalRegistry", async () => {
  const root = await Deno.makeTempDir({ prefix: "registry-contract-" });
  return {
    registry: new LocalRegistry({ root: `${root}/models` }),
    corrupt: async (name, version) => {
      const path = `${root}/models/${name}/${version}/model.onnx`;
      const bytes = await Deno.readFile(path);
      bytes[0] ^= 0xff;
      await Deno.writeFile(path, bytes);
    },
    close: () => Deno.remove(root, { recursive: true }),
  };
});
