/**
 * Feature definitions and their pure computation, safe for the edge to
 * import (no I/O): the demo view, the online entity state the pipeline
 * writes to Redis, the read that computes windowed features from it at
 * request time, and the manifest transforms.
 *
 * @example
 * ```ts
 * import { computeWindowFeatures, DEMO_VIEW, parseOnlineState } from "./mod.ts";
 * import { redisKeys } from "../../schemas/pointer.ts";
 * const key = redisKeys.online(DEMO_VIEW.name, DEMO_VIEW.version, "user_1");
 * const state = parseOnlineState(await redis.get<string>(key));
 * const features = computeWindowFeatures(DEMO_VIEW, state, Date.now());
 * ```
 *
 * @module
 */
export {
  canonicalDefinition,
  DAY_MS,
  DEMO_VIEW,
  featureNames,
  type FeatureView,
  featureViewRef,
  getFeatureView,
  HOUR_MS,
  listFeatureViews,
  MINUTE_MS,
  type WindowAggregate,
  type WindowFeature,
  windowFeatureNames,
} from "./view.ts";
export {
  computeWindowFeatures,
  computeWindowFeaturesFromEvents,
  emptyOnlineState,
  mergeEvents,
  ONLINE_TTL_SECONDS,
  type OnlineEntityState,
  parseOnlineState,
  type TailEvent,
  type TileRow,
  type WindowEvent,
} from "./window.ts";
export { computeEventFeatures, toWindowEvent } from "./event.ts";
export {
  applyTransform,
  coerceEncoded,
  crc32,
  type RawValue,
  TransformError,
} from "./transforms.ts";
