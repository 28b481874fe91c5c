/**
 * `deno task features:plan [--repo DIR | --example NAME] [--prune]` and
 * `deno task features:apply [--repo DIR | --example NAME] [--prune] [--force]`:
 * what differs between a feature repository and the feature store (new,
 * changed and removed views with their versions, new and changed sources),
 * and applying it: new view versions are created and backfilled from stored
 * events, versions the repository no longer defines are retired (kept
 * readable while a registered model reads them), a changed definition under
 * the same version is refused without `--force`, and never done to a
 * version a registered model's manifest references. Lives in `registry/`
 * because it reads the registered models (local folder, or MLflow when
 * `MLFLOW_TRACKING_URI` is set) to know which view versions they read.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { PlatformError } from "../../schemas/errors.ts";
import {
  type FeatureStore,
  openFeatureRuntime,
  PgliteFeatureStore,
  PostgresFeatureStore,
  resolveFeaturesConfig,
  resolveRepository,
} from "../../pipeline/mod.ts";
import { manifestViews } from "../../pipeline/definitions/manifest.ts";
import { applyPlan, describe, planRepository, viewRef } from "../../pipeline/definitions/plan.ts";
import type { ModelRegistry } from "../port.ts";
import { resolveRegistryConfig } from "../config.ts";
import { registryFromConfig } from "../wiring.ts";

const USAGE = `Usage: deno task features:plan  [--repo DIR | --example NAME] [--prune]
       deno task features:apply [--repo DIR | --example NAME] [--prune] [--force]`;

/** The view versions (`name@version`) every registered model version reads. */
export async function referencedViews(registry: ModelRegistry): Promise<Set<string>> {
  const out = new Set<string>();
  for (const name of await registry.listModels()) {
    for (const v of await registry.listVersions(name)) {
      const { manifest } = await registry.getPackage(name, v.version);
      try {
        for (const view of manifestViews(manifest)) out.add(viewRef(view.name, view.version));
      } catch {
        // A manifest whose views cannot be resolved references nothing the store could serve.
      }
    }
  }
  return out;
}

/** Runs `plan` or `apply`; returns the exit code (0 done, 1 refused or failed, 2 bad usage). */
export async function runFeaturesCli(
  command: "plan" | "apply",
  args: string[],
  env: Record<string, string | undefined>,
  out: { log(line: string): void; error(line: string): void } = console,
): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      options: {
        repo: { type: "string" },
        example: { type: "string" },
        prune: { type: "boolean", default: false },
        force: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    out.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    out.log(USAGE);
    return 0;
  }
  const config = resolveFeaturesConfig(env);
  let store: FeatureStore | undefined;
  try {
    const choice = flags.repo !== undefined || flags.example !== undefined
      ? { repo: flags.repo, example: flags.example }
      : config.repository;
    const repo = await resolveRepository(choice);
    const referenced = await referencedViews(registryFromConfig(resolveRegistryConfig(env)));
    if (!config.databaseUrl) await Deno.mkdir(config.dataDir, { recursive: true });
    store = config.databaseUrl
      ? new PostgresFeatureStore(config.databaseUrl)
      : new PgliteFeatureStore(join(config.dataDir, "pglite"));
    await store.migrate();
    const plan = await planRepository(store, repo, { referenced, prune: flags.prune });
    out.log(
      `Repository '${repo.name}' (${repo.origin}) against ${
        config.databaseUrl ? "Postgres" : `PGlite in ${config.dataDir}`
      }:`,
    );
    for (const c of plan.changes) out.log(`  ${describe(c)}`);
    if (command === "plan") return 0;
    const result = await applyPlan(store, repo, plan, { force: flags.force, referenced });
    await store.close();
    store = undefined;
    if (result.rebuiltViews.length > 0 && (config.redisUrl || config.upstash)) {
      // The shared online store follows the new and rebuilt views.
      const rt = await openFeatureRuntime(config, { repository: repo, skipWarm: true });
      try {
        const n = await rt.pipeline.rebuildOnline(undefined, undefined, result.rebuiltViews);
        out.log(`online state rebuilt for ${n} entities`);
      } finally {
        await rt.close();
      }
    }
    out.log(
      `Applied ${result.applied.length} change(s); ${result.backfilledTiles} tile rows backfilled`,
    );
    return 0;
  } catch (error) {
    out.error(
      error instanceof PlatformError ? error.message : String((error as Error)?.message ?? error),
    );
    return 1;
  } finally {
    await store?.close();
  }
}

if (import.meta.main) {
  const [command, ...rest] = Deno.args;
  if (command !== "plan" && command !== "apply") {
    console.error(USAGE);
    Deno.exit(2);
  }
  Deno.exit(await runFeaturesCli(command, rest, Deno.env.toObject()));
}
