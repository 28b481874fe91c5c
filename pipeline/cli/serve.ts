/**
 * `deno task features:serve [--repo DIR | --example NAME]`: the features
 * HTTP API of a repository's entities on FEATURES_PORT.
 *
 * @module
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import { resolveFeaturesConfig } from "../config.ts";
import { createFeatureApp, featureOpenApiDocument } from "../http.ts";
import { FEATURE_API_INFO } from "../api.ts";
import { mountDocs } from "../../schemas/api_docs.ts";
import { openFeatureRuntime } from "../runtime.ts";
import { commandRepository, REPOSITORY_OPTIONS, REPOSITORY_USAGE } from "./repository.ts";
import { parseCommand, runCommand } from "./command.ts";

const USAGE = `Usage: deno task features:serve [--repo DIR | --example NAME]
  The features API: GET /features/{entity}/{id}[?as_of=ISO], /features/{entity}/{id}/online,
  /health, /ready, /metrics, /openapi.json, /docs.
${REPOSITORY_USAGE}
Env: FEATURES_HOSTNAME (127.0.0.1), FEATURES_PORT (8092), DATA_DIR, DATABASE_URL, REDIS_URL,
  FEATURES_API_KEYS`;

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    const { values } = parseCommand(USAGE, Deno.args, REPOSITORY_OPTIONS);
    const config = resolveFeaturesConfig();
    const repository = await commandRepository(values, config);
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
    const rt = await openFeatureRuntime(config, { registry, repository }).catch(async (error) => {
      await server.shutdown();
      throw error;
    });
    const keyed = config.apiKeys.length > 0;
    ready.app = createFeatureApp({
      pipeline: rt.pipeline,
      registry,
      apiKeys: config.apiKeys,
      docs: (a) => mountDocs(a, () => featureOpenApiDocument(keyed), FEATURE_API_INFO.title),
    });
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
