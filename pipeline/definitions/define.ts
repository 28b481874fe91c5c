/**
 * The typed definition API: identity functions that give editors the
 * types of each definition while it is written. Nothing is checked here;
 * `FeatureRepository.fromDefinition` validates a whole repository when it
 * is loaded and names every bad definition.
 *
 * @example
 * ```ts
 * export const device = defineEntity({ name: "device", keys: ["device_id"] });
 * export default defineRepository({ name: "sensors", entities: [device], sources, views });
 * ```
 *
 * @module
 */
import type {
  EntityDefinition,
  FeatureViewDefinitionInput,
  RepositoryDefinitionInput,
  SourceDefinitionInput,
} from "../../schemas/definitions.ts";
import type { z } from "zod";
import type { RequestFeatureDefinitionSchema } from "../../schemas/definitions.ts";

/** A request-time feature as written. */
export type RequestFeatureInput = z.input<typeof RequestFeatureDefinitionSchema>;

/** An entity: a name and its key field(s). */
export function defineEntity(def: EntityDefinition): EntityDefinition {
  return def;
}

/** A source: its event schema, id and time fields, and routing. */
export function defineSource(def: SourceDefinitionInput): SourceDefinitionInput {
  return def;
}

/** A feature view: windowed aggregates of one entity's events of one source. */
export function defineFeatureView(def: FeatureViewDefinitionInput): FeatureViewDefinitionInput {
  return def;
}

/** A request-time feature: a transform of request fields or of other features. */
export function defineRequestFeature(def: RequestFeatureInput): RequestFeatureInput {
  return def;
}

/** A whole repository (what a repository folder's `mod.ts` exports as `repository`). */
export function defineRepository(def: RepositoryDefinitionInput): RepositoryDefinitionInput {
  return def;
}
