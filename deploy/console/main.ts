/**
 * `deno task console`: the operator console against real services
 * (configuration: `deploy/console/config.ts` plus the pipeline's and the
 * registry's own variables). Requires `CONSOLE_ADMIN_TOKEN`.
 *
 * The port is taken before the services are opened, so a port in use fails
 * at once; every start-up failure is one line naming what failed.
 *
 * @module
 */
import { helpOnly, runCommand } from "../../pipeline/cli/command.ts";
import { resolveConsoleConfig } from "./config.ts";
import { type ConsoleProcess, openConsole } from "./services.ts";

const USAGE = `Usage: deno task console
  The operator console (/console, its API and /docs) against real services: the feature store
  and online cache (DATABASE_URL, REDIS_URL or UPSTASH_REDIS_REST_*), the registry (MLFLOW_TRACKING_URI
  or the local folder) and the Redis pointer (UPSTASH_REDIS_REST_*). Its buttons run the model
  operations of deno task model:* in this process.
Env: CONSOLE_ADMIN_TOKEN (required, at least 16 characters), CONSOLE_HOST (127.0.0.1),
  CONSOLE_PORT (8300), CONSOLE_METRICS_URLS (name=url,... of /metrics to read),
  CONSOLE_SAMPLE_INTERVAL_MS (5000), REGISTRY_* (see registry/config.ts)`;

const STARTING = JSON.stringify({
  error: { code: "starting", message: "The console is starting", status: 503 },
});

async function main(): Promise<number> {
  helpOnly(USAGE, Deno.args);
  const config = resolveConsoleConfig();
  let opened: ConsoleProcess | undefined;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: config.host, port: config.port, onListen: () => {} },
      (req) =>
        opened ? opened.fetch(req) : new Response(STARTING, {
          status: 503,
          headers: { "content-type": "application/json", "retry-after": "1" },
        }),
    );
  } catch (error) {
    throw new Error(
      `Cannot listen on ${config.host}:${config.port}: ${
        error instanceof Deno.errors.AddrInUse
          ? "the port is in use; set CONSOLE_PORT"
          : (error as Error).message
      }`,
    );
  }
  try {
    opened = await openConsole(config, Deno.env.toObject());
  } catch (error) {
    await server.shutdown();
    throw error;
  }
  const stopped = Promise.withResolvers<void>();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.shutdown();
    await opened?.close();
    stopped.resolve();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  console.log(
    `Console on http://${server.addr.hostname}:${server.addr.port}/console (admin token required)`,
  );
  await stopped.promise;
  return 0;
}

if (import.meta.main) await runCommand(USAGE, main);
