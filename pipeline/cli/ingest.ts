/**
 * `deno task ingest --file <jsonl> [--rebase-time]`: streams events through
 * `processBatch` into the configured store (embedded PGlite under DATA_DIR
 * by default; DATABASE_URL and REDIS_URL for the real ones), with a progress
 * bar on a terminal, and prints one summary line.
 *
 * @module
 */
import { resolveFeaturesConfig } from "../config.ts";
import { FeatureStoreLockedError } from "../errors.ts";
import { loadJsonlFile } from "../load_file.ts";
import { openFeatureRuntime } from "../runtime.ts";
import { parseCommand, runCommand, UsageError } from "./command.ts";
import { Progress } from "./progress.ts";

const USAGE = `Usage: deno task ingest --file <events.jsonl> [--rebase-time]
  --file F         JSON lines, one event each (see schemas/event.ts)
  --rebase-time    shift every timestamp so the newest event is now
Env: DATA_DIR (embedded PGlite, default .data), DATABASE_URL, REDIS_URL, FEATURES_BATCH_SIZE`;

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    const { values } = parseCommand(USAGE, Deno.args, {
      file: { type: "string" },
      "rebase-time": { type: "boolean" },
    });
    const file = values.file;
    if (!file) throw new UsageError("Missing --file");
    const size = (await Deno.stat(file)).size;
    const config = resolveFeaturesConfig();
    const rt = await openFeatureRuntime(config, { skipWarm: true, offline: true }).catch((e) => {
      if (e instanceof FeatureStoreLockedError) {
        throw new FeatureStoreLockedError(
          `${e.message}; to load events into a running platform, send them to it: ` +
            `deno task replay --file ${file} --to http --url http://127.0.0.1:8000`,
        );
      }
      throw e;
    });
    try {
      const progress = new Progress({ label: "ingest", unit: "events", total: size });
      const totals = await loadJsonlFile(rt.pipeline, file, {
        rebase: values["rebase-time"] === true,
        batchSize: config.batchSize,
        source: `file:${file}`,
        onProgress: (bytes, lines) => progress.update(bytes, { count: lines }),
      });
      progress.stop();
      const shift = totals.shiftMs !== 0
        ? `, rebased timestamps by ${totals.shiftMs / 1000} s`
        : "";
      console.log(
        `ingest: ${progress.summary()}: accepted ${totals.accepted}, duplicate ${totals.duplicate}, ` +
          `dead-lettered ${totals.dead_lettered}${shift}`,
      );
    } finally {
      await rt.close();
    }
  });
}
