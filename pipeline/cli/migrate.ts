/**
 * `deno task db:migrate`: applies the committed migrations
 * (`pipeline/migrations/`, written by `deno task db:generate`) to the
 * feature store the environment selects. Every other entry point applies
 * them at start too; this task is for doing it ahead (a deploy step).
 *
 * @module
 */
import { redactUrl } from "../../schemas/redact.ts";
import { resolveFeaturesConfig } from "../config.ts";
import { openFeatureStore } from "../runtime.ts";
import { MIGRATIONS_FOLDER } from "../store/_migrations.ts";
import { helpOnly, runCommand } from "./command.ts";

const USAGE = `Usage: deno task db:migrate
  Applies the migrations in pipeline/migrations/ to the feature store: Postgres at DATABASE_URL,
  else the embedded PGlite under DATA_DIR (default .data). Applied ones are skipped.
Env: DATABASE_URL, DATA_DIR`;

/** The migration tags drizzle-kit has written, oldest first. */
export async function migrationTags(folder = MIGRATIONS_FOLDER): Promise<string[]> {
  const journal = JSON.parse(await Deno.readTextFile(`${folder}/meta/_journal.json`)) as {
    entries: { tag: string }[];
  };
  return journal.entries.map((e) => e.tag);
}

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    helpOnly(USAGE, Deno.args);
    const config = resolveFeaturesConfig();
    const where = config.databaseUrl ? redactUrl(config.databaseUrl) : `${config.dataDir}/pglite`;
    const store = await openFeatureStore(config);
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    const tags = await migrationTags();
    console.log(
      `Feature store at ${where} is at migration ${tags.at(-1)} (${tags.length} applied)`,
    );
  });
}
