/**
 * Builds the registry's runtime from a resolved config: the registry adapter
 * (MLflow when `MLFLOW_TRACKING_URI` is set, else the local folder), the
 * publishing store (Upstash when its URL and token are set, else memory),
 * the sync worker, the webhook verifier and the HTTP app.
 *
 * @module
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import type { RegistryConfig } from "./config.ts";
import { mlflowOptionsFrom, rolloutPolicyFrom } from "./config.ts";
import { RolloutController } from "./rollout_controller.ts";
import { createRegistryApp } from "./http.ts";
import { LocalRegistry } from "./local.ts";
import {
  createRegistryMetrics,
  jsonLog,
  type RegistryLog,
  type RegistryMetrics,
} from "./registry_metrics.ts";
import { MlflowRegistry } from "./mlflow.ts";
import type { ModelRegistry } from "./port.ts";
import { ModelOperations } from "./operations.ts";
import { ModelPublisher } from "./publish.ts";
import { MemoryRegistryStore } from "./store/memory.ts";
import type { RegistryStore } from "./store/port.ts";
import { upstashRedis, UpstashRegistryStore } from "./store/upstash.ts";
import { type ChallengerMode, SyncWorker } from "./sync.ts";
import { WebhookVerifier } from "./webhook.ts";
import { createModelAdminRoutes } from "./admin_http.ts";
import { redactUrl } from "../schemas/redact.ts";

/** The registry adapter the config selects. */
export function registryFromConfig(config: RegistryConfig): ModelRegistry {
  const mlflow = mlflowOptionsFrom(config);
  return mlflow ? new MlflowRegistry(mlflow) : new LocalRegistry({ root: config.registryDir });
}

/** The publishing store the config selects. */
export function storeFromConfig(config: RegistryConfig): RegistryStore {
  if (config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN) {
    return new UpstashRegistryStore(
      upstashRedis(config.UPSTASH_REDIS_REST_URL, config.UPSTASH_REDIS_REST_TOKEN),
    );
  }
  return new MemoryRegistryStore();
}

/** Everything the sync service runs. */
export interface SyncService {
  registry: ModelRegistry;
  store: RegistryStore;
  publisher: ModelPublisher;
  worker: SyncWorker;
  metrics: RegistryMetrics;
  promRegistry: Registry;
  rollout: RolloutController;
  app: ReturnType<typeof createRegistryApp>;
  log: RegistryLog;
}

/** Overrides for tests and the embedded default. */
export interface SyncServiceOverrides {
  registry?: ModelRegistry;
  store?: RegistryStore;
  log?: RegistryLog;
  now?: () => number;
  /** Traffic a newly published challenger gets (default a canary at the first step). */
  challengerMode?: ChallengerMode;
}

/** Wires the sync service from config (no I/O until `worker.start()`). */
export function createSyncService(
  config: RegistryConfig,
  overrides: SyncServiceOverrides = {},
): SyncService {
  const registry = overrides.registry ?? registryFromConfig(config);
  const store = overrides.store ?? storeFromConfig(config);
  const log = overrides.log ?? jsonLog;
  const promRegistry = new Registry();
  collectDefaultMetrics({ register: promRegistry });
  const metrics = createRegistryMetrics(promRegistry);
  const largePackages = new Map<string, Uint8Array>();
  const publisher = new ModelPublisher({
    store,
    blobMaxBytes: config.REGISTRY_BLOB_MAX_BYTES,
    publicUrl: config.REGISTRY_PUBLIC_URL,
    largePackages,
  });
  const worker = new SyncWorker({
    registry,
    publisher,
    models: config.REGISTRY_MODELS,
    pollIntervalMs: config.REGISTRY_POLL_INTERVAL_MS,
    validation: {
      tolerance: config.REGISTRY_VALIDATION_TOLERANCE,
      latencyBudgetMs: config.REGISTRY_VALIDATION_LATENCY_MS,
    },
    metrics,
    log,
    firstCanaryPercent: config.canarySteps[0],
    challengerMode: overrides.challengerMode,
  });
  const rollout = new RolloutController({
    registry,
    publisher,
    store,
    worker,
    models: config.REGISTRY_MODELS,
    policy: rolloutPolicyFrom(config),
    metrics,
    log,
    intervalMs: config.REGISTRY_ROLLOUT_INTERVAL_MS,
    now: overrides.now,
  });
  const base = { registry, store, publisher, worker, metrics, promRegistry, log, rollout };
  const app = createRegistryApp({
    worker,
    metrics,
    promRegistry,
    log,
    verifier: config.REGISTRY_WEBHOOK_SECRET
      ? new WebhookVerifier({
        secret: config.REGISTRY_WEBHOOK_SECRET,
        toleranceSeconds: config.REGISTRY_WEBHOOK_TOLERANCE_S,
      })
      : undefined,
    adminToken: config.REGISTRY_ADMIN_TOKEN,
    edgeToken: config.REGISTRY_EDGE_TOKEN,
    maxBodyBytes: config.REGISTRY_MAX_BODY_BYTES,
    bodyTimeoutMs: config.REGISTRY_BODY_TIMEOUT_MS,
    rollout,
    largePackages,
  });
  return { ...base, app };
}

/** Where model operations act and what runs after each change. */
export interface ModelOperationsTarget {
  /** Whether the pointer of `service.store` is the one serving edges read. */
  pointerIsLive: boolean;
  /** Where changes take effect, for people. */
  target: string;
  afterChange?: (model: string) => Promise<void>;
}

/** The {@linkcode ModelOperations} of a sync service. */
export function createModelOperations(
  service: SyncService,
  config: RegistryConfig,
  where: ModelOperationsTarget,
): ModelOperations {
  return new ModelOperations({
    registry: service.registry,
    publisher: service.publisher,
    store: service.store,
    worker: service.worker,
    rollout: service.rollout,
    validation: {
      tolerance: config.REGISTRY_VALIDATION_TOLERANCE,
      latencyBudgetMs: config.REGISTRY_VALIDATION_LATENCY_MS,
    },
    canarySteps: config.canarySteps,
    followed: config.REGISTRY_MODELS,
    ...where,
  });
}

/** Describes where operations act when run in this process against `config`'s registry and store. */
export function describeTarget(config: RegistryConfig): ModelOperationsTarget {
  const registry = config.MLFLOW_TRACKING_URI
    ? `MLflow at ${redactUrl(config.MLFLOW_TRACKING_URI)}`
    : `the local registry '${config.registryDir}'`;
  if (config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN) {
    return {
      pointerIsLive: true,
      target: `aliases in ${registry}, pointer in Redis at ${
        redactUrl(config.UPSTASH_REDIS_REST_URL)
      } (edges follow it within about a second)`,
    };
  }
  return {
    pointerIsLive: false,
    target: config.MLFLOW_TRACKING_URI
      ? `aliases in ${registry} (registry:sync publishes them to the edges)`
      : `aliases in ${registry} (no running platform found: it serves them when it starts)`,
  };
}

/**
 * Adds `/admin/models` (behind `REGISTRY_ADMIN_TOKEN`) to a sync service's
 * app, acting on this process's registry and store.
 */
export function serveModelAdmin(service: SyncService, config: RegistryConfig): void {
  const operations = createModelOperations(service, config, describeTarget(config));
  service.app.route("/", createModelAdminRoutes(operations, config.REGISTRY_ADMIN_TOKEN));
}
