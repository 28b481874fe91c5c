/**
 * `deno task features:serve`: the features HTTP API on FEATURES_PORT.
 *
 * @module
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import { resolveFeaturesConfig } from "../config.ts";
import { createFeatureApp, featureOpenApiDocument } from "../http.ts";
import { FEATURE_API_INFO } from "../api.ts";
import { mountDocs } from "../../schemas/api_docs.ts";
import { openFeatureRuntime } from "../runtime.ts";
import { runCli } from "./_args.ts";

if (import.meta.main) {
  await runCli(async () => {
    const config = resolveFeaturesConfig();
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const rt = await openFeatureRuntime(config, { registry });
    const app = createFeatureApp({
      pipeline: rt.pipeline,
      registry,
      docs: (a) => mountDocs(a, featureOpenApiDocument, FEATURE_API_INFO.title),
    });
    const server = Deno.serve({ port: config.port, hostname: config.hostname }, app.fetch);
    const stop = async () => {
      await server.shutdown();
      await rt.close();
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    await server.finished;
  });
}
