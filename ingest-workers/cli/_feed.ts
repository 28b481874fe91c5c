/**
 * What the ingest commands (`worker`, `streams:create`, `replay`) share: the
 * repository source a stream carries (`--feature-source`, else
 * `INGEST_FEATURE_SOURCE`, else the repository's first), whose routing
 * names the streams when env does not.
 *
 * @module
 */
import type { SourceDefinition } from "../../schemas/definitions.ts";
import type { FeatureRepository } from "../../pipeline/definitions/mod.ts";
import { UsageError } from "../../pipeline/cli/command.ts";
import {
  commandRepository,
  REPOSITORY_OPTIONS,
  REPOSITORY_USAGE,
} from "../../pipeline/cli/repository.ts";
import { resolveFeaturesConfig } from "../../pipeline/mod.ts";
import { type IngestConfig, resolveIngestConfig } from "../config.ts";

/** The flags, for `parseCommand`'s options. */
export const FEED_OPTIONS = {
  "feature-source": { type: "string" },
  ...REPOSITORY_OPTIONS,
} as const;

/** Their lines in a usage text. */
export const FEED_USAGE =
  `  --feature-source NAME  the repository source the stream carries (default INGEST_FEATURE_SOURCE,
                         else the repository's first source); its routing names the streams
${REPOSITORY_USAGE}`;

/** A command's feed: the repository, the source and the ingest config its routing completes. */
export interface Feed {
  repository: FeatureRepository;
  source: SourceDefinition;
  config: IngestConfig;
}

/** Resolves the feed of `values` (the flags above) over `env`. */
export async function commandFeed(
  values: { "feature-source"?: string; repo?: string; example?: string },
  env: Record<string, string | undefined>,
): Promise<Feed> {
  const repository = await commandRepository(values, resolveFeaturesConfig(env));
  const chosen = values["feature-source"] ?? env.INGEST_FEATURE_SOURCE;
  const source = chosen === undefined ? repository.defaultSource : repository.source(chosen);
  if (!source) {
    throw new UsageError(
      `Unknown feature source '${chosen}': repository '${repository.name}' has ` +
        repository.sources.map((s) => s.name).join(", "),
    );
  }
  return { repository, source, config: resolveIngestConfig(env, source.routing) };
}
