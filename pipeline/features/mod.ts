/**
 * Feature computation, pure and safe for the edge to import (no I/O): views
 * compiled from definitions, the online entity state the pipeline writes to
 * Redis, the read that computes windowed features from it at request time,
 * the offline computation from raw events, the request-time transforms and
 * the one row assembler every caller builds model rows with.
 *
 * @example
 * ```ts
 * import { computeWindowFeatures, parseOnlineState } from "./mod.ts";
 * import { redisKeys } from "../../schemas/pointer.ts";
 * const key = redisKeys.online(view.name, view.version, "user_1");
 * const state = parseOnlineState(await redis.get<string>(key));
 * const features = computeWindowFeatures(view, state, Date.now());
 * ```
 *
 * @module
 */
export {
  canonicalDefinition,
  compileView,
  DAY_MS,
  DEFAULT_TAIL_MS,
  entityIdOf,
  type FeatureView,
  HOUR_MS,
  MINUTE_MS,
  stableStringify,
  viewManifestEntry,
  type WindowAggregate,
  type WindowFeature,
  windowFeatureNames,
} from "./view.ts";
export {
  addToRow,
  computeWindowFeatures,
  computeWindowFeaturesFromEvents,
  emptyOnlineState,
  emptyRow,
  mergeEvents,
  mergeRow,
  ONLINE_TTL_SECONDS,
  type OnlineEntityState,
  parseOnlineState,
  type TailEvent,
  type TileRow,
  type WindowEvent,
} from "./window.ts";
export {
  eventInputs,
  type GrainPlan,
  type InputValue,
  type PlanInput,
  planOf,
  positions,
  type SlotLayout,
  type SlotOp,
  type ViewPlan,
} from "./plan.ts";
export { toWindowEvent } from "./event.ts";
export { compileFilter, type EventPredicate, filterFields } from "./filter.ts";
export {
  applyCombine,
  applyTransform,
  crc32,
  type RawValue,
  SCALAR_KINDS,
  TIME_KINDS,
  transformDomain,
  TransformError,
} from "./transforms.ts";
export {
  type Assembled,
  type AssembleOptions,
  type OutOfRange,
  RowAssembler,
  type RowModel,
  type RowSource,
} from "./row.ts";
