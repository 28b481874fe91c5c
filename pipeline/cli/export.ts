/**
 * `deno task features:export --labels <file> --out <file.parquet|.csv>
 * [--source NAME] [--repo DIR | --example NAME]`: point-in-time feature
 * rows for each labelled point (entity keys or an event id, and a time),
 * with a progress bar on a terminal and one summary line.
 *
 * @module
 */
import { resolveFeaturesConfig } from "../config.ts";
import { exportTrainingSet, readLabelsFile } from "../export.ts";
import { openFeatureRuntime } from "../runtime.ts";
import { commandRepository, REPOSITORY_OPTIONS, REPOSITORY_USAGE } from "./repository.ts";
import { parseCommand, runCommand, UsageError } from "./command.ts";
import { Progress } from "./progress.ts";

const USAGE = `Usage: deno task features:export --labels <file> --out <file.parquet|.csv>
  [--source NAME] [--repo DIR | --example NAME]
  --labels F     CSV or JSONL: per row the entity keys (or an event id) and a time, plus labels
  --out F        .parquet or .csv to write
  --source NAME  whose id and time columns the labels use (default the repository's first source)
${REPOSITORY_USAGE}
Env: DATA_DIR (embedded PGlite, default .data), DATABASE_URL`;

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    const { values } = parseCommand(USAGE, Deno.args, {
      labels: { type: "string" },
      out: { type: "string" },
      source: { type: "string" },
      ...REPOSITORY_OPTIONS,
    });
    const { labels: labelsPath, out } = values;
    if (!labelsPath || !out) throw new UsageError("Missing --labels or --out");
    const config = resolveFeaturesConfig();
    const repository = await commandRepository(values, config);
    const labels = await readLabelsFile(repository, labelsPath);
    const rt = await openFeatureRuntime(config, { repository, skipWarm: true });
    try {
      const progress = new Progress({ label: "export", unit: "rows", total: labels.length });
      const n = await exportTrainingSet(rt.store, repository, labels, out, {
        source: values.source,
        onProgress: (done) => progress.update(done),
      });
      progress.update(n);
      progress.stop();
      console.log(`export: wrote ${n} rows to ${out}: ${progress.summary()}`);
    } finally {
      await rt.close();
    }
  });
}
