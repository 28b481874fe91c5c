/**
 * `deno task model:list|status|promote|rollback|canary` for people.
 *
 * - `list`: models, versions and aliases.
 * - `status --model m`: aliases, the published pointer and canary counters.
 * - `promote --model m [--version v]`: champion := v (default: the challenger).
 * - `rollback --model m [--reason text]`: remove the challenger, or restore
 *   `previous_champion`.
 * - `canary --model m --version v [--percent 5 | --shadow]`: challenger := v
 *   and start a canary (or shadow).
 *
 * Works on MLflow when `MLFLOW_TRACKING_URI` is set, else on the local
 * folder; moves the Redis pointer when `UPSTASH_REDIS_REST_URL` is set.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { PlatformError } from "../../schemas/errors.ts";
import { readVariantStats } from "../_counters.ts";
import { resolveRegistryConfig } from "../config.ts";
import { promoteModel, rollbackModel, startCanary } from "../operations.ts";
import { createSyncService, type SyncService } from "../wiring.ts";

const USAGE = `Usage: deno task model:<command> [options]
  model:list
  model:status   --model <name>
  model:promote  --model <name> [--version <v>]
  model:rollback --model <name> [--reason <text>]
  model:canary   --model <name> --version <v> [--percent <p> | --shadow]`;

/** Runs one command; returns the process exit code. */
export async function runModelCli(args: string[], service?: SyncService): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: "string" },
      version: { type: "string" },
      reason: { type: "string" },
      percent: { type: "string" },
      shadow: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const s = service ?? createSyncService(resolveRegistryConfig(), { log: () => {} });
  const model = values.model;
  const need = () => {
    if (!model) throw new UsageError(`Missing --model for model:${command}`);
    return model;
  };
  switch (command) {
    case "list":
      return await list(s);
    case "status":
      return await status(s, need());
    case "promote": {
      const name = need();
      const result = await promoteModel(s, name, values.version);
      console.log(
        `Promoted '${name}' version ${result.champion} (previous champion ${
          result.previous ?? "none"
        })`,
      );
      return 0;
    }
    case "rollback": {
      const name = need();
      const result = await rollbackModel(s, name, values.reason ?? "requested");
      console.log(
        `Rolled back '${name}': removed version ${result.removed}, serving ${result.restored}`,
      );
      return 0;
    }
    case "canary":
      return await canary(s, need(), values.version, values.percent, values.shadow ?? false);
    default:
      throw new UsageError(`Unknown command '${command}'`);
  }
}

async function list(s: SyncService): Promise<number> {
  for (const name of await s.registry.listModels()) {
    console.log(name);
    for (const v of await s.registry.listVersions(name)) {
      const aliases = v.aliases.length > 0 ? `  [${v.aliases.join(", ")}]` : "";
      console.log(
        `  ${v.version.padStart(4)}  ${v.created_at}  ${v.sha256.slice(0, 12) || "-"}${aliases}`,
      );
    }
  }
  return 0;
}

async function status(s: SyncService, name: string): Promise<number> {
  const aliases = await s.registry.getAliases(name);
  const pointer = await s.publisher.readPointer(name);
  const now = Date.now();
  const stats = await readVariantStats(
    s.store,
    name,
    ["champion", "challenger"],
    now - 300_000,
    now,
  );
  console.log(JSON.stringify({ model: name, aliases, pointer, last_5_minutes: stats }, null, 2));
  return 0;
}

async function canary(
  s: SyncService,
  name: string,
  version: string | undefined,
  percent: string | undefined,
  shadow: boolean,
): Promise<number> {
  if (!version) throw new UsageError("Missing --version for model:canary");
  const share = percent === undefined ? undefined : Number(percent);
  if (share !== undefined && !(share > 0 && share <= 100)) {
    throw new UsageError(`--percent must be in (0, 100], got '${percent}'`);
  }
  const outcome = await startCanary(s, name, version, { percent: share, shadow });
  if (!outcome.ok) {
    console.error(`Version ${version} was refused: ${outcome.refused.join("; ")}`);
    return 1;
  }
  console.log(
    JSON.stringify({ model: name, challenger: version, traffic: outcome.traffic }, null, 2),
  );
  return 0;
}

class UsageError extends Error {}

if (import.meta.main) {
  try {
    Deno.exit(await runModelCli(Deno.args));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      Deno.exit(2);
    }
    console.error(error instanceof PlatformError ? `${error.code}: ${error.message}` : error);
    Deno.exit(1);
  }
}
