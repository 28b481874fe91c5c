/**
 * `deno task registry:sync`: runs the sync worker and the registry's HTTP
 * surface until SIGINT/SIGTERM. Configuration comes from env (see
 * `registry/config.ts`).
 *
 * @module
 */
import { redactUrl } from "../../schemas/redact.ts";
import { resolveRegistryConfig } from "../config.ts";
import { createSyncService } from "../wiring.ts";

async function main(): Promise<void> {
  const config = resolveRegistryConfig();
  const service = createSyncService(config);
  const server = Deno.serve({
    hostname: config.REGISTRY_HOST,
    port: config.REGISTRY_PORT,
    onListen: ({ hostname, port }) =>
      service.log("info", `Registry sync listening on http://${hostname}:${port}`, {
        models: config.REGISTRY_MODELS,
        source: config.MLFLOW_TRACKING_URI
          ? redactUrl(config.MLFLOW_TRACKING_URI)
          : config.registryDir,
        poll_interval_ms: config.REGISTRY_POLL_INTERVAL_MS,
        webhooks: config.REGISTRY_WEBHOOK_SECRET ? "enabled" : "disabled",
      }),
  }, service.app.fetch);
  // The first cycle may fail (MLflow down): the worker keeps polling.
  await service.worker.start();
  if (config.REGISTRY_ROLLOUT_ENABLED) service.rollout.start();
  const stop = async () => {
    service.log("info", "Registry sync stopping");
    service.rollout.stop();
    await service.worker.stop();
    await server.shutdown();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
}

if (import.meta.main) await main();
