/**
 * Models at the edge: the {@linkcode ModelSource} port with its adapters
 * ({@linkcode RegistryModelSource} over any registry, the embedded default;
 * {@linkcode UpstashPointerSource} following the Redis model pointer) and the
 * {@linkcode ModelStore} of warmed sessions.
 *
 * @module
 */
export type { ModelRoute, ModelSource } from "./port.ts";
export {
  RegistryModelSource,
  type RegistryModelSourceOptions,
  type TrafficLookup,
} from "./registry.ts";
export { type PointerRedis, UpstashPointerSource } from "./upstash.ts";
export { type LoadedModel, ModelStore, type ModelStoreOptions, resolveSelector } from "./store.ts";
