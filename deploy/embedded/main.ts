/**
 * `deno task start [--example NAME | --repo DIR]`: the whole platform in one
 * process on its embedded default (PGlite, in-memory online cache, a folder
 * registry), computing the features of a feature repository (default the
 * `fraud` example). On first start with a shipped example it loads the
 * example's demo events and trains its model.
 *
 * The port is taken first, so a port in use fails at once, before any
 * warm-up and without leaving a lock behind; until the platform is ready it
 * answers 503. Every start-up failure is one line naming what failed.
 *
 * @module
 */
import { errorLine, parseCommand, runCommand } from "../../pipeline/cli/command.ts";
import { REPOSITORY_OPTIONS, REPOSITORY_USAGE } from "../../pipeline/cli/repository.ts";
import { removeControlFile, writeControlFile } from "../../registry/mod.ts";
import { resolveEmbeddedConfig } from "./config.ts";
import { type EmbeddedPlatform, openEmbedded } from "./server.ts";

const USAGE = `Usage: deno task start [--example NAME | --repo DIR]
  The whole platform in one process (embedded PGlite, in-memory online cache, folder registry).
${REPOSITORY_USAGE}
Env: PORT (8000), HOST (127.0.0.1), DATA_DIR (.data), DEMO_BOOTSTRAP (true: train a shipped
  example's demo model on an empty DATA_DIR), FEATURE_REPO, FEATURE_EXAMPLE, INGEST_API_KEYS,
  REGISTRY_ADMIN_TOKEN, CONSOLE_ADMIN_TOKEN, EDGE_* (see README)`;

const STARTING = JSON.stringify({
  error: { code: "starting", message: "The platform is starting", status: 503 },
});

async function main(): Promise<number> {
  const { values } = parseCommand(USAGE, Deno.args, REPOSITORY_OPTIONS);
  const started = performance.now();
  const env: Record<string, string | undefined> = Deno.env.toObject();
  if (values.example !== undefined || values.repo !== undefined) {
    env.FEATURE_EXAMPLE = values.example;
    env.FEATURE_REPO = values.repo;
  }
  const config = resolveEmbeddedConfig(env);
  const log = (line: string) => console.log(line);
  let platform: EmbeddedPlatform | undefined;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: config.host,
      port: config.port,
      onListen: () => {},
    }, (req) =>
      platform ? platform.fetch(req) : new Response(STARTING, {
        status: 503,
        headers: { "content-type": "application/json", "retry-after": "1" },
      }));
  } catch (error) {
    throw new Error(listenError(config.host, config.port, error));
  }
  const base = `http://${server.addr.hostname}:${server.addr.port}`;
  let stopping = false;
  const stopped = Promise.withResolvers<void>();
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    removeControlFile(config.dataDir);
    await server.shutdown();
    // Closing releases the data folder's lock: the process ends only after it.
    await platform?.close();
    stopped.resolve();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    platform = await openEmbedded(config, env, log);
  } catch (error) {
    await server.shutdown();
    throw error;
  }
  await writeControlFile(config.dataDir, {
    pid: Deno.pid,
    url: base,
    token: platform.adminToken,
    started_at: new Date().toISOString(),
  });
  const ms = Math.round(performance.now() - started);
  log(`Ready in ${ms} ms on ${base} (data in ${config.dataDir})`);
  if (!platform.hasDefaultModel) {
    log(
      `No model yet: /predict answers 404 until '${platform.defaultModel}' is ` +
        `trained, e.g. deno task train --data <csv|jsonl> --label <column> --model ` +
        `${platform.defaultModel} --features a,b,c${values.repo ? ` --repo ${values.repo}` : ""}`,
    );
  }
  log(`Try:\n${platform.tryLines(base).map((l) => `  ${l}`).join("\n")}`);
  await stopped.promise;
  return 0;
}

function listenError(host: string, port: number, error: unknown): string {
  if (error instanceof Deno.errors.AddrInUse) {
    return `Cannot listen on ${host}:${port}: the port is in use; stop what uses it or set PORT`;
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return `Cannot listen on ${host}:${port}: no such address on this machine; set HOST`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `Cannot listen on ${host}:${port}: permission denied; use a port above 1023`;
  }
  return `Cannot listen on ${host}:${port}: ${errorLine(error)}`;
}

if (import.meta.main) await runCommand(USAGE, main);
