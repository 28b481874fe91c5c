/**
 * `deno task features:backfill [--view name --version n] [--repo DIR |
 * --example NAME]`: rebuilds the
 * tiles of feature views from raw events (a changed definition is a new
 * version, which starts empty), then the online state when it lives in
 * Redis.
 *
 * @module
 */
import { resolveFeaturesConfig } from "../config.ts";
import { resolveRepository } from "../definitions/mod.ts";
import { openFeatureRuntime } from "../runtime.ts";
import { parseFlags, repositoryChoice, runCli } from "./_args.ts";

if (import.meta.main) {
  await runCli(async () => {
    const flags = parseFlags(Deno.args, []);
    const config = resolveFeaturesConfig();
    const repository = await resolveRepository(repositoryChoice(flags, config));
    const views = repository.views.filter((v) =>
      (flags.values.view === undefined || v.name === flags.values.view) &&
      (flags.values.version === undefined || v.version === Number(flags.values.version))
    );
    if (views.length === 0) throw new Error("No feature view matches --view/--version");
    const rt = await openFeatureRuntime(config, { repository, skipWarm: true });
    try {
      for (const v of views) {
        if (rt.newViews.includes(v)) {
          console.log(`${v.name} v${v.version}: new version, tiles backfilled at registration`);
          continue;
        }
        const t0 = performance.now();
        const n = await rt.store.backfill(v);
        console.log(
          `${v.name} v${v.version}: ${n} tiles rebuilt in ${
            ((performance.now() - t0) / 1000).toFixed(2)
          } s`,
        );
      }
      if (config.redisUrl || config.upstash) {
        const n = await rt.pipeline.rebuildOnline(undefined, undefined, views);
        console.log(`online state rebuilt for ${n} entities`);
      }
    } finally {
      await rt.close();
    }
  });
}
