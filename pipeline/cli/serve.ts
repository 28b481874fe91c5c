/**
 * `deno task features:serve`: the features HTTP API on FEATURES_PORT.
 *
 * @module
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import { resolveFeaturesConfig } from "../config.ts";
import { createFeatureApp } from "../http.ts";
import { openFeatureRuntime } from "../runtime.ts";
import { helpOnly, runCommand } from "./command.ts";

const USAGE = `Usage: deno task features:serve
  The features API: GET /features/{entity}/{id}[?as_of=ISO], /features/{entity}/{id}/online,
  /health, /ready, /metrics.
Env: FEATURES_HOSTNAME (127.0.0.1), FEATURES_PORT (8092), DATA_DIR, DATABASE_URL, REDIS_URL`;

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    helpOnly(USAGE, Deno.args);
    const config = resolveFeaturesConfig();
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    let server: Deno.HttpServer;
    // Take the port before opening the store: a port in use fails at once.
    const ready: { app?: ReturnType<typeof createFeatureApp> } = {};
    try {
      server = Deno.serve(
        { port: config.port, hostname: config.hostname },
        (req) =>
          ready.app
            ? ready.app.fetch(req)
            : Response.json({ error: { code: "starting", message: "Starting", status: 503 } }, {
              status: 503,
            }),
      );
    } catch (error) {
      throw new Error(
        `Cannot listen on ${config.hostname}:${config.port}: ${
          error instanceof Deno.errors.AddrInUse
            ? "the port is in use; set FEATURES_PORT"
            : (error as Error).message
        }`,
      );
    }
    const rt = await openFeatureRuntime(config, { registry }).catch(async (error) => {
      await server.shutdown();
      throw error;
    });
    ready.app = createFeatureApp({ pipeline: rt.pipeline, registry, apiKeys: config.apiKeys });
    const stopped = Promise.withResolvers<void>();
    const stop = async () => {
      await server.shutdown();
      await rt.close();
      stopped.resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    await stopped.promise;
  });
}
