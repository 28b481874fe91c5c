/**
 * `deno task features:backfill [--view name --version n]`: rebuilds the
 * tiles of feature views from raw events (a changed definition is a new
 * version, which starts empty), then the online state when it lives in
 * Redis. A progress bar counts views on a terminal; one line per view and
 * one summary line are printed.
 *
 * @module
 */
import { resolveFeaturesConfig } from "../config.ts";
import { listFeatureViews } from "../features/mod.ts";
import { openFeatureRuntime } from "../runtime.ts";
import { parseCommand, runCommand, UsageError } from "./command.ts";
import { Progress } from "./progress.ts";

const USAGE = `Usage: deno task features:backfill [--view <name> [--version <n>]]
  Rebuilds the stored tiles of the feature views (all by default) from raw events,
  then the online state when REDIS_URL or UPSTASH_REDIS_REST_URL is set.
Env: DATA_DIR (embedded PGlite, default .data), DATABASE_URL, REDIS_URL, FEATURES_MIN_TILE_MS`;

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    const { values } = parseCommand(USAGE, Deno.args, {
      view: { type: "string" },
      version: { type: "string" },
    });
    const views = listFeatureViews().filter((v) =>
      (values.view === undefined || v.name === values.view) &&
      (values.version === undefined || v.version === Number(values.version))
    );
    if (views.length === 0) throw new UsageError("No feature view matches --view/--version");
    const config = resolveFeaturesConfig();
    const rt = await openFeatureRuntime(config, { views, skipWarm: true });
    try {
      const progress = new Progress({ label: "backfill", unit: "views", total: views.length });
      const lines: string[] = [];
      let tiles = 0;
      for (const [i, v] of views.entries()) {
        if (rt.newViews.includes(v)) {
          lines.push(`${v.name} v${v.version}: new version, tiles backfilled at registration`);
        } else {
          const t0 = performance.now();
          const n = await rt.store.backfill(v);
          tiles += n;
          lines.push(
            `${v.name} v${v.version}: ${n} tiles rebuilt in ${
              ((performance.now() - t0) / 1000).toFixed(2)
            } s`,
          );
        }
        progress.update(i + 1);
      }
      let online = "";
      if (config.redisUrl || config.upstash) {
        online = `, online state rebuilt for ${await rt.pipeline.rebuildOnline()} entities`;
      }
      progress.stop();
      for (const line of lines) console.log(line);
      console.log(`backfill: ${progress.summary()}, ${tiles} tiles${online}`);
    } finally {
      await rt.close();
    }
  });
}
