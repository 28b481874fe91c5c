/**
 * The feature pipeline: raw events from any source become exact sliding-
 * window features, durable in Postgres (or embedded PGlite) and fresh in
 * the online cache (Redis or memory) the edge reads; plus offline values,
 * point-in-time training sets and the HTTP API of the features.
 *
 * @example
 * ```ts
 * import { FeaturePipeline, MemoryOnlineCache, PgliteFeatureStore } from "./mod.ts";
 * const store = new PgliteFeatureStore();
 * await store.migrate();
 * const pipeline = new FeaturePipeline({ store, cache: new MemoryOnlineCache() });
 * await pipeline.processBatch([{ payload: '{"event_id":"e1","user_id":"u1","amount":5,"timestamp":"2026-03-20T11:00:00Z"}' }]);
 * ```
 *
 * @module
 */
export {
  type BatchResult,
  type EntityFeatures,
  FeaturePipeline,
  type FeaturePipelineOptions,
  horizonMs,
  type PipelineMessage,
} from "./feature_pipeline.ts";
export { FEATURE_STATS_WINDOW, FeatureMetrics } from "./metrics.ts";
export {
  FeatureRequestError,
  FeatureViewError,
  isTransientDriverError,
  PoisonMessageError,
  RetryableError,
} from "./errors.ts";
export { type FeaturesConfig, resolveFeaturesConfig } from "./config.ts";
export {
  type FeatureRuntime,
  openFeatureRuntime,
  type OpenFeatureRuntimeOptions,
} from "./runtime.ts";
export * from "./features/mod.ts";
export * from "./store/mod.ts";
export * from "./online/mod.ts";
