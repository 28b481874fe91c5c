/**
 * The edge prediction service: a Hono app that scores requests with ONNX
 * models in `onnxruntime-web` (WASM, one thread), features from the request
 * merged over online features read through `@upstash/redis`, a prediction
 * cache, A/B and shadow routing, Prometheus metrics, the Open Inference
 * Protocol v2 and a self-served OpenAPI document.
 *
 * Build it with {@linkcode createApp} from its dependencies; `deploy.ts` is
 * the Deno Deploy entry that resolves {@linkcode EdgeConfig} from env once.
 *
 * @example
 * ```ts
 * import { createApp, defaultEdgeConfig, RegistryModelSource } from "./mod.ts";
 * import { LocalRegistry } from "../registry/mod.ts";
 *
 * const app = createApp({
 *   config: defaultEdgeConfig(),
 *   models: new RegistryModelSource(new LocalRegistry({ root: ".data/registry" })),
 * });
 * Deno.serve(app.fetch);
 * ```
 *
 * @module
 */
export { type Clock, createApp, EDGE_VERSION, type EdgeApp, type EdgeDeps } from "./app.ts";
export type { OpenApiSource } from "./http/routes.ts";
export { defaultEdgeConfig, type EdgeConfig, resolveEdgeConfig } from "./config.ts";
export { EdgeError, type EdgeErrorCode } from "./errors.ts";
export { createLogger, type Logger, type LogLevel } from "./log.ts";
export { createEdgeMetrics, type EdgeMetrics } from "./metrics.ts";
export {
  type LoadedModel,
  type ModelRoute,
  type ModelSource,
  ModelStore,
  RegistryModelSource,
  UpstashPointerSource,
} from "./models/mod.ts";
export {
  type KeyValueGetter,
  MemoryKeyValue,
  MemoryOnlineReader,
  type OnlineFeatureReader,
  type OnlineFeatures,
  UpstashOnlineReader,
} from "./online/mod.ts";
export { OnnxSession } from "../pipeline/onnx/session.ts";
export { RolloutCounters, type RolloutSink, UpstashRolloutSink } from "./rollout.ts";
export { buildEdgeDeps } from "./wiring.ts";
