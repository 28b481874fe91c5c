/**
 * `deno task start`: the whole platform in one process on its embedded
 * default (PGlite, in-memory online cache, a folder registry). On first
 * start it loads the demo events and trains the demo model.
 *
 * The port is taken first, so a port in use fails at once, before any
 * warm-up and without leaving a lock behind; until the platform is ready it
 * answers 503. Every start-up failure is one line naming what failed.
 *
 * @module
 */
import { errorLine, helpOnly, runCommand } from "../../pipeline/cli/command.ts";
import { removeControlFile, writeControlFile } from "../../registry/mod.ts";
import { resolveEmbeddedConfig } from "./config.ts";
import { type EmbeddedPlatform, openEmbedded } from "./server.ts";

const USAGE = `Usage: deno task start
  The whole platform in one process (embedded PGlite, in-memory online cache, folder registry).
Env: PORT (8000), HOST (127.0.0.1), DATA_DIR (.data), DEMO_BOOTSTRAP (true: train the demo
  model on an empty DATA_DIR), INGEST_API_KEYS, REGISTRY_ADMIN_TOKEN, EDGE_* (see README)`;

const STARTING = JSON.stringify({
  error: { code: "starting", message: "The platform is starting", status: 503 },
});

async function main(): Promise<number> {
  helpOnly(USAGE, Deno.args);
  const started = performance.now();
  const config = resolveEmbeddedConfig();
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
    platform = await openEmbedded(config, Deno.env.toObject(), log);
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
    log(`No model yet: /predict answers 404 until one is trained, e.g.
  deno task train --data pipeline/demo_data/fraud_detection.csv --label label --model fraud_detector
  (or start with DEMO_BOOTSTRAP=true on an empty DATA_DIR to train the demo model)`);
  }
  log(`Try:
  curl -s ${base}/health
  curl -s ${base}/predict -H 'content-type: application/json' \\
    -d '{"entity_id":"user_1","features":{"amount":950,"merchant_category":"electronics","payment_method":"credit_card"}}'
  curl -s ${base}/predict -H 'content-type: application/json' -d @pipeline/demo_data/requests/fraud_transaction.json
  curl -s ${base}/features/user/user_1/online
  deno task model:status --model fraud_detector
  open ${base}/docs`);
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
