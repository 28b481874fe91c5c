/**
 * The `--repo DIR | --example NAME` flags every pipeline command shares:
 * which feature repository it loads.
 *
 * @module
 */
import { type FeatureRepository, resolveRepository } from "../definitions/mod.ts";

/** The flags, for {@linkcode parseCommand}'s options. */
export const REPOSITORY_OPTIONS = {
  repo: { type: "string" },
  example: { type: "string" },
} as const;

/** Their line in a usage text. */
export const REPOSITORY_USAGE =
  "  --repo DIR | --example NAME   the feature repository (its mod.ts), or a shipped example\n" +
  "                                (fraud, sensors, recommendations); default FEATURE_REPO / FEATURE_EXAMPLE, else fraud";

/**
 * The repository a command loads: `--repo DIR` or `--example NAME` when
 * given, else `FEATURE_REPO` / `FEATURE_EXAMPLE` from the configuration
 * (default the `fraud` example).
 */
export async function commandRepository(
  values: { repo?: string; example?: string },
  config: { repository: { repo?: string; example?: string } },
): Promise<FeatureRepository> {
  const { repo, example } = values;
  return await resolveRepository(
    repo !== undefined || example !== undefined ? { repo, example } : config.repository,
  );
}
