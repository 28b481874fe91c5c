/**
 * The feature pipeline: raw events from any source become exact sliding-
 * window features, durable in Postgres (or embedded PGlite) and fresh in
 * the online cache (Redis, Upstash or memory) the edge reads; plus offline
 * values, point-in-time training sets and the HTTP API of the features.
 *
 * Everything is driven by a feature repository (`definitions/`): entities,
 * sources with their event schema and routing, feature views with filters
 * and windowed aggregates, request-time features. The fraud demo and the
 * sensor example are repositories in `examples/`.
 *
 * How a batch flows (`FeaturePipeline.processBatch`):
 * 1. decode UTF-8 and JSON, validate against the message's source
 *    (`schemas/event.ts`), refuse text Postgres cannot store; failures
 *    become dead letters (reason + base64);
 * 2. dedupe by (source, event id) in the batch, then in ONE transaction
 *    insert the events (`ON CONFLICT DO NOTHING`) with their entity index
 *    rows and the dead letters, and add the ones inserted to their views'
 *    tiles (one multi-row upsert merging slot by slot); the online states
 *    are read meanwhile (one MGET);
 * 3. merge the accepted events into each (view, entity) online state and
 *    write them back with one compare-and-set script per view (TTL 31
 *    days); entities whose state is missing, replayed or changed by another
 *    worker are rebuilt from Postgres, so the online state converges to the
 *    truth whatever the failures and the number of workers;
 * 4. metrics (`features_*`).
 *
 * The online state (`OnlineEntityState`, see `features/window.ts`) holds
 * tiles per tile size for events older than `newest - tailMs` and the newer
 * events raw, so `computeWindowFeatures` is exact for any request time T ≥
 * `newest - tailMs` (10 minutes: the 5-minute future tolerance plus clock
 * skew). Offline values and exports are computed from raw events and are
 * exact for any T.
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
  entityViews,
  FeaturePipeline,
  type FeaturePipelineOptions,
  horizonMs,
  type PipelineMessage,
  toStoredEvent,
} from "./feature_pipeline.ts";
export { FEATURE_STATS_WINDOW, FeatureMetrics } from "./feature_metrics.ts";
export {
  DefinitionError,
  FeatureRequestError,
  FeatureStoreLockedError,
  FeatureViewError,
  isTransientDriverError,
  ModelSessionError,
  RetryableError,
} from "./errors.ts";
export { type FeaturesConfig, resolveFeaturesConfig } from "./config.ts";
export {
  type FeatureRuntime,
  type OpenedOnlineCache,
  openFeatureRuntime,
  type OpenFeatureRuntimeOptions,
  openOnlineCache,
} from "./runtime.ts";
export { createFeatureApp, type FeatureAppDeps, type FeatureReader } from "./http.ts";
export {
  BadContentLengthError,
  bearerToken,
  BodyReader,
  type BodyReaderOptions,
  BodyTimeoutError,
  BodyTooLargeError,
  constantTimeEqual,
  matchesAnyKey,
} from "./http_guard.ts";
export { loadJsonl, type LoadJsonlOptions, type LoadTotals, rebaseLines } from "./load_file.ts";
export {
  type LabelRow,
  pointInTimeFromEvents,
  type PointInTimeOptions,
  pointInTimeRows,
  type TimedEvent,
  type TrainingRecord,
} from "./training_set.ts";
export * from "./definitions/mod.ts";
export * from "./features/mod.ts";
export * from "./store/mod.ts";
export * from "./online/mod.ts";
