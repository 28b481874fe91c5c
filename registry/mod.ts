/**
 * The model registry: where model packages live and which version each alias
 * (`champion`, `challenger`, ...) points to.
 *
 * - {@linkcode ModelRegistry} is the port; {@linkcode LocalRegistry} (a
 *   folder, the embedded default) and {@linkcode MlflowRegistry} (an MLflow 3
 *   tracking server over REST) are its adapters.
 * - `validatePackage` checks a version before anything is published;
 *   `ModelPublisher` puts packages and the model pointer into a
 *   `RegistryStore` (Upstash/Redis or memory); `SyncWorker` follows aliases
 *   by polling and webhooks; `RolloutController` advances canaries, promotes
 *   and rolls back from the edge's counters; `createSyncService` wires it all
 *   from config. CLIs: `cli/sync.ts`, `cli/model.ts`, `cli/evaluate.ts`.
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
export { sha256Hex } from "../pipeline/sha256.ts";
export { mlflowOptionsFrom, type RegistryConfig, resolveRegistryConfig } from "./config.ts";
export {
  type LogAndRegisterInput,
  logAndRegisterModel,
  type LogAndRegisterResult,
  type MlflowTrainLogConfig,
} from "./mlflow_train_log.ts";
export {
  validatePackage,
  type ValidationOptions,
  type ValidationReason,
  type ValidationResult,
} from "./validate.ts";
export { ModelPublisher, type ModelPublisherOptions } from "./publish.ts";
export { type SyncOutcome, SyncWorker, type SyncWorkerOptions } from "./sync.ts";
export { signMlflowWebhook, WebhookVerifier } from "./webhook.ts";
export { createRegistryMetrics, type RegistryMetrics } from "./registry_metrics.ts";
export {
  RolloutController,
  type RolloutControllerOptions,
  type RolloutDecision,
  type RolloutPolicy,
} from "./rollout_controller.ts";
export {
  evaluateChampionChallenger,
  type EvaluationPolicy,
  type EvaluationResult,
} from "./evaluate.ts";
export {
  createModelOperations,
  createSyncService,
  describeTarget,
  type ModelOperationsTarget,
  registryFromConfig,
  storeFromConfig,
} from "./wiring.ts";
export * from "./store/mod.ts";
export {
  type CanaryOptions,
  type ModelControl,
  type ModelListing,
  ModelOperations,
  type ModelOperationsDeps,
  type ModelStatus,
  type OperationResult,
  type PromoteOptions,
  type RollbackOptions,
} from "./operations.ts";
export { compareInputs, describeInputChanges, type InputChange } from "./input_changes.ts";
export { ADMIN_ERROR_STATUS, createModelAdminRoutes } from "./admin_http.ts";
export { HttpModelControl } from "./admin_client.ts";
export {
  controlFilePath,
  type PlatformControl,
  readControlFile,
  removeControlFile,
  writeControlFile,
} from "./control_file.ts";
