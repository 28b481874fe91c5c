/**
 * `deno task ingest --file <jsonl> [--rebase-time] [--source NAME]
 * [--repo DIR | --example NAME]`: loads events of a repository source
 * through `processBatch` into the configured store (embedded PGlite under
 * DATA_DIR by default; DATABASE_URL and REDIS_URL for the real ones) and
 * prints the counts.
 *
 * @module
 */
import { resolveFeaturesConfig } from "../config.ts";
import { loadJsonl } from "../load_file.ts";
import { openFeatureRuntime } from "../runtime.ts";
import { resolveRepository } from "../definitions/mod.ts";
import { parseFlags, repositoryChoice, runCli } from "./_args.ts";

if (import.meta.main) {
  await runCli(async () => {
    const flags = parseFlags(Deno.args, ["rebase-time"]);
    const file = flags.values.file;
    if (!file) {
      throw new Error(
        "Usage: deno task ingest --file <events.jsonl> [--rebase-time] [--source NAME] " +
          "[--repo DIR | --example NAME]",
      );
    }
    const config = resolveFeaturesConfig();
    const repository = await resolveRepository(repositoryChoice(flags, config));
    const text = await Deno.readTextFile(file);
    const rt = await openFeatureRuntime(config, { skipWarm: true, repository });
    try {
      const t0 = performance.now();
      const totals = await loadJsonl(rt.pipeline, text, {
        rebase: flags.switches.has("rebase-time"),
        batchSize: config.batchSize,
        source: flags.values.source,
        origin: `file:${file}`,
      });
      const seconds = (performance.now() - t0) / 1000;
      if (totals.shiftMs !== 0) console.log(`rebased timestamps by ${totals.shiftMs / 1000} s`);
      console.log(
        `accepted ${totals.accepted}, duplicate ${totals.duplicate}, ` +
          `dead-lettered ${totals.dead_lettered} (${seconds.toFixed(2)} s)`,
      );
    } finally {
      await rt.close();
    }
  });
}
