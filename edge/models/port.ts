/**
 * The `ModelSource` port: where the edge finds which versions of a model to
 * serve (aliases and traffic split) and the packages themselves.
 *
 * @module
 */
import type { TrafficSplit } from "../../schemas/pointer.ts";
import type { ModelPackage } from "../../schemas/manifest.ts";

/** How one model is routed right now. */
export interface ModelRoute {
  /** Changes whenever aliases, versions or traffic change. */
  revision: string;
  /** Alias → version (`champion`, `challenger`, ...). */
  aliases: Record<string, string>;
  /** Versions the source can serve, oldest first. */
  versions: string[];
  /** Split between champion and challenger. */
  traffic: TrafficSplit;
}

/** Where models come from. Adapters: `registry.ts` (any `ModelRegistry`), `upstash.ts` (pointer). */
export interface ModelSource {
  /** Short name for health and logs (`local`, `pointer`). */
  readonly kind: string;
  /** Names of the models the source knows. */
  listModels(): Promise<string[]>;
  /** The current route of a model. Throws `model_not_found` when unknown. */
  getRoute(name: string): Promise<ModelRoute>;
  /** The package of one concrete version, sha256 verified. */
  getPackage(name: string, version: string): Promise<ModelPackage>;
}
