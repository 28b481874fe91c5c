/**
 * `deno task model:list|status|promote|rollback|canary` for people. Every
 * command runs {@linkcode ModelControl} (`registry/operations.ts`), the same
 * code as the console's buttons, on the platform that serves:
 *
 * 1. `--url URL` (token `REGISTRY_ADMIN_TOKEN`): that platform's
 *    `/admin/models` routes;
 * 2. else, without `MLFLOW_TRACKING_URI`, the embedded platform running on
 *    `DATA_DIR` (found through `<DATA_DIR>/platform.json`): its pointer and
 *    counters live in its memory, so the command runs inside it;
 * 3. else in this process, on the registry (MLflow or the local folder) and
 *    the Redis pointer when `UPSTASH_REDIS_REST_URL` is set. Without a
 *    shared pointer, promote and rollback change aliases only (a platform
 *    started later serves them) and canary refuses.
 *
 * Promote and canary refuse a version whose inputs differ from the
 * champion's unless `--force`, and name the change.
 *
 * @module
 */
import { parseCommand, runCommand, UsageError } from "../../pipeline/cli/command.ts";
import { HttpModelControl } from "../admin_client.ts";
import { resolveRegistryConfig } from "../config.ts";
import { readControlFile } from "../control_file.ts";
import type { ModelControl, ModelStatus } from "../operations.ts";
import { createModelOperations, createSyncService, describeTarget } from "../wiring.ts";

const USAGE = `Usage: deno task model:<command> [options]
  model:list
  model:status   --model <name> [--json]
  model:promote  --model <name> [--version <v>] [--force]
  model:rollback --model <name> [--reason <text>]
  model:canary   --model <name> --version <v> [--percent <p> | --shadow] [--force]
Options:
  --force        promote or canary although the inputs clients send change
  --url URL      act on the platform at URL (admin token from REGISTRY_ADMIN_TOKEN)
Without --url, the commands act on the platform running on DATA_DIR (deno task start), else
on MLflow (MLFLOW_TRACKING_URI) or the local registry, and the Redis pointer (UPSTASH_REDIS_REST_URL).`;

const OPTIONS = {
  model: { type: "string" },
  version: { type: "string" },
  reason: { type: "string" },
  percent: { type: "string" },
  shadow: { type: "boolean" },
  force: { type: "boolean" },
  json: { type: "boolean" },
  url: { type: "string" },
} as const;

/** Where output goes (tests pass their own). */
export interface ModelCliOutput {
  log(line: string): void;
  error(line: string): void;
}

/** Picks the platform the commands act on (see the module doc). */
export async function resolveModelControl(
  env: Record<string, string | undefined>,
  url?: string,
): Promise<ModelControl> {
  const config = resolveRegistryConfig(env);
  if (url) {
    if (!config.REGISTRY_ADMIN_TOKEN) {
      throw new UsageError("--url needs the platform's admin token in REGISTRY_ADMIN_TOKEN");
    }
    return new HttpModelControl(url, config.REGISTRY_ADMIN_TOKEN);
  }
  if (!config.MLFLOW_TRACKING_URI) {
    const running = await readControlFile(config.DATA_DIR);
    if (running) {
      return new HttpModelControl(running.url, running.token, {
        target: `on the running platform at ${running.url} (pid ${running.pid})`,
      });
    }
  }
  const service = createSyncService(config, { log: () => {} });
  return createModelOperations(service, config, describeTarget(config));
}

/** Runs one command; returns the exit code. */
export async function runModelCli(
  args: string[],
  control?: ModelControl,
  env: Record<string, string | undefined> = Deno.env.toObject(),
  out: ModelCliOutput = console,
): Promise<number> {
  const { positionals, values } = parseCommand(USAGE, args, OPTIONS, { positionals: true });
  const command = positionals[0];
  if (!command) throw new UsageError("Missing the command");
  if (!["list", "status", "promote", "rollback", "canary"].includes(command)) {
    throw new UsageError(`Unknown command '${command}'`);
  }
  const model = values.model;
  if (command !== "list" && !model) throw new UsageError(`Missing --model for model:${command}`);
  const c = control ?? await resolveModelControl(env, values.url);
  switch (command) {
    case "list":
      for (const m of await c.list()) {
        out.log(m.model);
        for (const v of m.versions) {
          const aliases = v.aliases.length > 0 ? `  [${v.aliases.join(", ")}]` : "";
          out.log(
            `  ${v.version.padStart(4)}  ${v.created_at}  ${
              v.sha256.slice(0, 12) || "-"
            }${aliases}`,
          );
        }
      }
      return 0;
    case "status": {
      const status = await c.status(model!);
      out.log(values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      return 0;
    }
    case "promote":
      out.log(
        (await c.promote(model!, { version: values.version, force: values.force })).message,
      );
      return 0;
    case "rollback":
      out.log((await c.rollback(model!, { reason: values.reason })).message);
      return 0;
    default: {
      if (!values.version) throw new UsageError("Missing --version for model:canary");
      if (values.percent !== undefined && values.shadow) {
        throw new UsageError("Use either --percent or --shadow");
      }
      const percent = values.percent === undefined ? undefined : Number(values.percent);
      if (percent !== undefined && !(percent > 0 && percent <= 100)) {
        throw new UsageError(`--percent must be in (0, 100], got '${values.percent}'`);
      }
      const result = await c.canary(model!, {
        version: values.version,
        percent,
        shadow: values.shadow,
        force: values.force,
      });
      out.log(result.message);
      return 0;
    }
  }
}

/** `model:status` for people. */
export function formatStatus(s: ModelStatus): string {
  const aliases = Object.entries(s.aliases).map(([a, v]) => `${a}=${v}`).join(", ") || "none";
  const traffic = s.traffic.mode === "canary"
    ? `canary, ${s.traffic.challenger_percent} % to the challenger`
    : s.traffic.mode;
  const row = (name: string, v: ModelStatus["requests"]["champion"]) =>
    `  ${name.padEnd(18)} ${String(v.requests).padStart(8)} requests  ${
      String(v.errors).padStart(6)
    } errors  p99 ${v.p99Ms === null ? "-" : `≤${v.p99Ms} ms`}${
      v.shadowCompared > 0 ? `  shadow disagreement ${(v.disagreementRate * 100).toFixed(1)} %` : ""
    }`;
  return [
    `${s.model} (${s.target})`,
    `  aliases: ${aliases}`,
    `  versions: ${s.versions.map((v) => v.version).join(", ") || "none"}`,
    `  pointer: ${
      s.pointer
        ? `revision ${s.pointer.revision}, champion ${s.pointer.champion.version}, challenger ${
          s.pointer.challenger?.version ?? "none"
        }`
        : "none published"
    }`,
    `  traffic: ${traffic}`,
    `  last ${s.window_seconds / 60} minutes:`,
    row("champion", s.requests.champion),
    row("challenger", s.requests.challenger),
    ...(s.requests.challenger_shadow.requests > 0
      ? [row("challenger (shadow)", s.requests.challenger_shadow)]
      : []),
    ...(s.followed ? [] : ["  not in REGISTRY_MODELS: registry:sync does not follow it"]),
  ].join("\n");
}

if (import.meta.main) await runCommand(USAGE, () => runModelCli(Deno.args));
