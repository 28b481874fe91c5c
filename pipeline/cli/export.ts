/**
 * `deno task features:export --labels <file> --out <file.parquet|.csv>
 * [--source NAME] [--repo DIR | --example NAME]`: point-in-time feature
 * rows for each labelled point (entity keys or an event id, and a time),
 * with progress on stderr.
 *
 * @module
 */
import { resolveFeaturesConfig } from "../config.ts";
import { exportTrainingSet, readLabelsFile } from "../export.ts";
import { resolveRepository } from "../definitions/mod.ts";
import { openFeatureRuntime } from "../runtime.ts";
import { parseFlags, repositoryChoice, runCli } from "./_args.ts";

if (import.meta.main) {
  await runCli(async () => {
    const flags = parseFlags(Deno.args, []);
    const { labels: labelsPath, out } = flags.values;
    if (!labelsPath || !out) {
      throw new Error(
        "Usage: deno task features:export --labels <file> --out <file.parquet|.csv> " +
          "[--source NAME] [--repo DIR | --example NAME]",
      );
    }
    const config = resolveFeaturesConfig();
    const repository = await resolveRepository(repositoryChoice(flags, config));
    const labels = await readLabelsFile(repository, labelsPath);
    const rt = await openFeatureRuntime(config, { repository, skipWarm: true });
    try {
      const t0 = performance.now();
      const enc = new TextEncoder();
      const n = await exportTrainingSet(rt.store, repository, labels, out, {
        source: flags.values.source,
        onProgress: (done, total) =>
          Deno.stderr.writeSync(enc.encode(`\rexported ${done}/${total} rows`)),
      });
      const s = (performance.now() - t0) / 1000;
      console.error("");
      console.log(`wrote ${n} rows to ${out} in ${s.toFixed(2)} s (${Math.round(n / s)} rows/s)`);
    } finally {
      await rt.close();
    }
  });
}
