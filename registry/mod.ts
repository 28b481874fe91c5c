/**
 * The model registry: where model packages live and which version each alias
 * (`champion`, `challenger`, ...) points to.
 *
 * - {@linkcode ModelRegistry} is the port; {@linkcode LocalRegistry} (a
 *   folder, the embedded default) and {@linkcode MlflowRegistry} (an MLflow 3
 *   tracking server over REST) are its adapters.
 * - Every adapter verifies the sha256 of `model.onnx` on load and refuses a
 *   corrupt or mismatched package with a {@linkcode RegistryError}.
 *
 * @example
 * ```ts
 * import { LocalRegistry } from "./mod.ts";
 * const registry = new LocalRegistry({ root: ".data/registry" });
 * const champion = await registry.getPackage("fraud_detector", "champion");
 * ```
 *
 * @module
 */
export type { ModelPackage, ModelRegistry, ModelVersionInfo } from "./port.ts";
export { RegistryError, type RegistryErrorCode } from "./errors.ts";
export { LocalRegistry, type LocalRegistryOptions } from "./local.ts";
export { MlflowRegistry, type MlflowRegistryOptions } from "./mlflow.ts";
export { sha256Hex } from "./_package.ts";
