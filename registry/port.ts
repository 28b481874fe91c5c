/**
 * The `ModelRegistry` port: where model packages live and which version each
 * alias points to. Adapters: `local.ts` (a folder, the embedded default) and
 * `mlflow.ts` (an MLflow tracking server).
 *
 * @module
 */
import type { ModelManifest, ModelPackage } from "../schemas/manifest.ts";

export type { ModelPackage } from "../schemas/manifest.ts";

/** A version as listed by a registry. */
export interface ModelVersionInfo {
  name: string;
  version: string;
  created_at: string;
  sha256: string;
  /** Aliases currently pointing at this version. */
  aliases: string[];
}

/** The port every registry adapter implements. */
export interface ModelRegistry {
  /** Names of the registered models. */
  listModels(): Promise<string[]>;
  /** Versions of one model, oldest first. Throws `model_not_found` when unknown. */
  listVersions(name: string): Promise<ModelVersionInfo[]>;
  /** Alias → version of one model. */
  getAliases(name: string): Promise<Record<string, string>>;
  /**
   * Loads a package by version number, alias or `latest`, verifying its
   * sha256. Throws `model_not_found`, `version_not_found` or
   * `artifact_corrupt`.
   */
  getPackage(name: string, selector: string): Promise<ModelPackage>;
  /**
   * Stores a new package. The registry assigns the next version number
   * (ignoring `manifest.version`) and returns the stored manifest.
   */
  register(pkg: ModelPackage): Promise<ModelManifest>;
  /** Points `alias` of model `name` at `version`. */
  setAlias(name: string, alias: string, version: string): Promise<void>;
  /** Removes an alias. */
  deleteAlias(name: string, alias: string): Promise<void>;
}
