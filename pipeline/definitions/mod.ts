/**
 * Feature definitions as code: the typed definition API, the loader of
 * feature repositories (a folder, or a shipped example) and the compiled
 * {@linkcode FeatureRepository} every part of the platform reads.
 *
 * @example
 * ```ts
 * import { resolveRepository } from "./mod.ts";
 * const repo = await resolveRepository({ example: "sensors" });
 * repo.viewsOfSource("sensor_readings").map((v) => v.name); // ["device_readings", "site_readings"]
 * ```
 *
 * @module
 */
export {
  defineEntity,
  defineFeatureView,
  defineRepository,
  defineRequestFeature,
  defineSource,
  type RequestFeatureInput,
} from "./define.ts";
export {
  FeatureRepository,
  MAX_ENTITY_ID_LENGTH,
  type ModelFeatures,
  type RouteKind,
} from "./repository.ts";
export {
  DEFAULT_EXAMPLE,
  EXAMPLES,
  loadExample,
  loadRepository,
  type RepositoryChoice,
  resolveRepository,
} from "./load.ts";
export { manifestRowModel, manifestViews } from "./manifest.ts";
