/**
 * `RegistryModelSource`: serves models straight from a `ModelRegistry`
 * (the `LocalRegistry` folder in the embedded default). A plain registry
 * has no traffic split: it comes from `trafficOf` (the embedded platform
 * reads the pointer its model operations move), else from the edge config.
 *
 * @module
 */
import type { TrafficSplit } from "../../schemas/pointer.ts";
import { PlatformError } from "../../schemas/errors.ts";
import type { ModelPackage } from "../../schemas/manifest.ts";
import type { ModelRegistry } from "../../registry/port.ts";
import { EdgeError } from "../errors.ts";
import type { ModelRoute, ModelSource } from "./port.ts";

const SINGLE: TrafficSplit = { mode: "single", challenger_percent: 0 };

/**
 * The live traffic split of a model given its aliases, or undefined to fall
 * back to the configured one.
 */
export type TrafficLookup = (
  name: string,
  aliases: Record<string, string>,
) => Promise<TrafficSplit | undefined>;

/** Options of {@linkcode RegistryModelSource}. */
export interface RegistryModelSourceOptions {
  /** Fixed splits per model (`EDGE_TRAFFIC`). */
  traffic?: Record<string, TrafficSplit>;
  /** Live splits, asked on every route check before `traffic`. */
  trafficOf?: TrafficLookup;
  kind?: string;
}

/** A model source over a registry adapter. */
export class RegistryModelSource implements ModelSource {
  readonly kind: string;
  readonly #registry: ModelRegistry;
  readonly #traffic: Record<string, TrafficSplit>;
  readonly #trafficOf?: TrafficLookup;

  constructor(registry: ModelRegistry, options: RegistryModelSourceOptions = {}) {
    this.#registry = registry;
    this.#traffic = options.traffic ?? {};
    this.#trafficOf = options.trafficOf;
    this.kind = options.kind ?? "local";
  }

  listModels(): Promise<string[]> {
    return this.#registry.listModels();
  }

  async getRoute(name: string): Promise<ModelRoute> {
    const [versions, aliases] = await Promise.all([
      translate(() => this.#registry.listVersions(name)),
      translate(() => this.#registry.getAliases(name)),
    ]);
    const traffic = (await this.#trafficOf?.(name, aliases)) ?? this.#traffic[name] ?? SINGLE;
    const list = versions.map((v) => v.version);
    const shas = versions.map((v) => `${v.version}:${v.sha256}`).join(",");
    return {
      revision: `${shas}|${JSON.stringify(aliases)}|${traffic.mode}:${traffic.challenger_percent}`,
      aliases,
      versions: list,
      traffic,
    };
  }

  getPackage(name: string, version: string): Promise<ModelPackage> {
    return translate(() => this.#registry.getPackage(name, version));
  }
}

/** Translates registry errors into edge errors, keeping not-found codes. */
async function translate<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof EdgeError) throw error;
    if (error instanceof PlatformError) {
      if (error.code === "model_not_found" || error.code === "version_not_found") {
        throw new EdgeError(error.code, error.message, { cause: error });
      }
      if (error.code === "invalid_request") {
        throw new EdgeError("version_not_found", error.message, { cause: error });
      }
      throw new EdgeError("model_load_failed", error.message, { cause: error });
    }
    throw new EdgeError("model_load_failed", `Cannot read the model registry: ${error}`, {
      cause: error,
    });
  }
}
