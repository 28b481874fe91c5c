/**
 * `deno task features:export --labels <file> --out <file.parquet|.csv>`:
 * point-in-time feature rows for each labelled `(entity_id, timestamp)`,
 * with progress on stderr.
 *
 * @module
 */
import { resolveFeaturesConfig } from "../config.ts";
import { exportTrainingSet, readLabelsFile } from "../export.ts";
import { DEMO_VIEW, getFeatureView } from "../features/mod.ts";
import { openFeatureRuntime } from "../runtime.ts";
import { parseFlags, runCli } from "./_args.ts";

if (import.meta.main) {
  await runCli(async () => {
    const flags = parseFlags(Deno.args, []);
    const { labels: labelsPath, out } = flags.values;
    if (!labelsPath || !out) {
      throw new Error("Usage: deno task features:export --labels <file> --out <file.parquet|.csv>");
    }
    const view = flags.values.view
      ? getFeatureView(flags.values.view, Number(flags.values.version ?? 1))
      : DEMO_VIEW;
    if (!view) throw new Error(`Unknown feature view '${flags.values.view}'`);
    const labels = await readLabelsFile(view, labelsPath);
    const rt = await openFeatureRuntime(resolveFeaturesConfig(), { views: [view], skipWarm: true });
    try {
      const t0 = performance.now();
      const enc = new TextEncoder();
      const n = await exportTrainingSet(rt.store, view, labels, out, {
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
