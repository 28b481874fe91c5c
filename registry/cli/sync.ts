/**
 * `deno task registry:sync`: runs the sync worker and the registry's HTTP
 * surface until SIGINT/SIGTERM. Configuration comes from env (see
 * `registry/config.ts`).
 *
 * @module
 */
import { redactUrl } from "../../schemas/redact.ts";
import { helpOnly, runCommand } from "../../pipeline/cli/command.ts";
import { resolveRegistryConfig } from "../config.ts";
import { createSyncService, serveModelAdmin } from "../wiring.ts";

const USAGE = `Usage: deno task registry:sync
  Follows the aliases of REGISTRY_MODELS in MLflow (MLFLOW_TRACKING_URI) or the local registry,
  validates and publishes them to the Redis pointer (UPSTASH_REDIS_REST_URL), runs canaries, and
  serves /health, /ready, /metrics, /webhooks/mlflow, /models/rollouts, /admin/models
  (REGISTRY_ADMIN_TOKEN), /packages/<sha>, /openapi.json and /docs on REGISTRY_HOST:REGISTRY_PORT
  (127.0.0.1:8100). See registry/config.ts.`;

async function main(): Promise<void> {
  helpOnly(USAGE, Deno.args);
  const config = resolveRegistryConfig();
  const service = createSyncService(config);
  serveModelAdmin(service, config);
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
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
  } catch (error) {
    throw new Error(
      `Cannot listen on ${config.REGISTRY_HOST}:${config.REGISTRY_PORT}: ${
        error instanceof Deno.errors.AddrInUse
          ? "the port is in use; set REGISTRY_PORT"
          : (error as Error).message
      }`,
    );
  }
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

if (import.meta.main) await runCommand(USAGE, main);
