/**
 * Loading a feature repository: a folder whose `mod.ts` exports the
 * repository definition (`export const repository = defineRepository(...)`
 * or a default export), or one of the shipped examples by name. Examples
 * are imported statically, so an edge isolate without a filesystem can
 * resolve them too.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DefinitionError } from "../errors.ts";
import { repository as fraud } from "../examples/fraud/mod.ts";
import { repository as recommendations } from "../examples/recommendations/mod.ts";
import { repository as sensors } from "../examples/sensors/mod.ts";
import { FeatureRepository } from "./repository.ts";

/** The shipped example repositories, by name. */
export const EXAMPLES: Readonly<Record<string, unknown>> = Object.freeze({
  fraud,
  sensors,
  recommendations,
});

/** The example used when neither a folder nor an example is named. */
export const DEFAULT_EXAMPLE = "fraud";

const loaded = new Map<string, FeatureRepository>();

/** A shipped example repository by name (compiled once). */
export function loadExample(name: string): FeatureRepository {
  const hit = loaded.get(`example:${name}`);
  if (hit) return hit;
  const def = EXAMPLES[name];
  if (!def) {
    throw new DefinitionError(
      `Cannot find example '${name}': expected one of ${Object.keys(EXAMPLES).join(", ")}`,
    );
  }
  const repo = FeatureRepository.fromDefinition(def, `example:${name}`);
  loaded.set(`example:${name}`, repo);
  return repo;
}

/**
 * Loads the repository in folder `dir` (its `mod.ts`, or `dir` itself when
 * it names a `.ts` file). Throws a `DefinitionError` naming the folder when
 * it cannot be imported or exports no repository, and listing every
 * problem of an invalid one.
 */
export async function loadRepository(dir: string): Promise<FeatureRepository> {
  const path = isAbsolute(dir) ? dir : resolve(dir);
  const file = path.endsWith(".ts") || path.endsWith(".js") ? path : `${path}/mod.ts`;
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    throw new DefinitionError(`Cannot load feature repository '${dir}': ${detail}`, { cause });
  }
  const def = mod.repository ?? mod.default;
  if (def === undefined) {
    throw new DefinitionError(
      `Cannot load feature repository '${dir}': ${file} exports neither 'repository' nor a default`,
    );
  }
  return FeatureRepository.fromDefinition(def, dir);
}

/** Where to load a repository from: a folder, or an example (default `fraud`). */
export interface RepositoryChoice {
  /** Folder of a repository (`--repo`, `FEATURE_REPO`). */
  repo?: string;
  /** Name of a shipped example (`--example`, `FEATURE_EXAMPLE`). */
  example?: string;
}

/** Loads the chosen repository; naming both a folder and an example is an error. */
export async function resolveRepository(choice: RepositoryChoice): Promise<FeatureRepository> {
  if (choice.repo && choice.example) {
    throw new DefinitionError(
      `Cannot load both feature repository '${choice.repo}' and example '${choice.example}': choose one`,
    );
  }
  if (choice.repo) return await loadRepository(choice.repo);
  return loadExample(choice.example ?? DEFAULT_EXAMPLE);
}
