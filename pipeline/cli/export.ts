/**
 * `deno task features:export --labels <file> --out <file.parquet|.csv>`:
 * point-in-time feature rows for each labelled `(entity_id, timestamp)`,
 * with a progress bar on a terminal and one summary line.
 *
 * @module
 */
import { resolveFeaturesConfig } from "../config.ts";
import { exportTrainingSet, readLabelsFile } from "../export.ts";
import { DEMO_VIEW, getFeatureView } from "../features/mod.ts";
import { openFeatureRuntime } from "../runtime.ts";
import { parseCommand, runCommand, UsageError } from "./command.ts";
import { Progress } from "./progress.ts";

const USAGE = `Usage: deno task features:export --labels <file> --out <file.parquet|.csv>
  [--view <name> [--version <n>]]
  --labels F    CSV or JSONL with the entity key, timestamp and label of each row
  --out F       .parquet or .csv to write
Env: DATA_DIR (embedded PGlite, default .data), DATABASE_URL`;

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    const { values } = parseCommand(USAGE, Deno.args, {
      labels: { type: "string" },
      out: { type: "string" },
      view: { type: "string" },
      version: { type: "string" },
    });
    const { labels: labelsPath, out } = values;
    if (!labelsPath || !out) throw new UsageError("Missing --labels or --out");
    const view = values.view ? getFeatureView(values.view, Number(values.version ?? 1)) : DEMO_VIEW;
    if (!view) throw new UsageError(`Unknown feature view '${values.view}'`);
    const labels = await readLabelsFile(view, labelsPath);
    const rt = await openFeatureRuntime(resolveFeaturesConfig(), { views: [view], skipWarm: true });
    try {
      const progress = new Progress({ label: "export", unit: "rows", total: labels.length });
      const n = await exportTrainingSet(rt.store, view, labels, out, {
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
