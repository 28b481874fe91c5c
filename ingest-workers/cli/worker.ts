/**
 * `deno task worker --source kafka|kinesis|pubsub|http [--example NAME |
 * --repo DIR] [--feature-source NAME]`: one ingest worker, configured by env
 * (`ingest-workers/config.ts`, `pipeline/config.ts`), serving `/health`,
 * `/ready`, `/metrics` on `INGEST_PORT`. The stream it reads is the feature
 * source's routing (its Kafka topic, Kinesis stream or Pub/Sub
 * subscription) unless env names another; over HTTP every source of the
 * repository has its `POST /ingest/{path}`. SIGTERM stops pulling, lets the
 * batch in flight commit, and exits within 10 s.
 *
 * @module
 */
import type { Hono } from "hono";
import { collectDefaultMetrics, Registry } from "prom-client";
import postgres from "postgres";
import {
  type FeatureRepository,
  isTransientDriverError,
  openFeatureRuntime,
  resolveFeaturesConfig,
  resolveRepository,
} from "../../pipeline/mod.ts";
import type { FeatureRuntime } from "../../pipeline/mod.ts";
import { Backoff, sleep } from "../_delivery.ts";
import { createSource } from "../clients.ts";
import { type IngestConfig, resolveIngestConfig, SOURCE_KINDS } from "../config.ts";
import { isRetryable } from "../errors.ts";
import { createIngestRoutes } from "../http.ts";
import { createIngestMetrics } from "../metrics.ts";
import type { MessageSource } from "../port.ts";
import { createWorkerApp, type WorkerStatus } from "../server.ts";
import { type IngestLogger, IngestWorker } from "../worker.ts";

const log: IngestLogger = (level, msg, fields = {}) => {
  console.error(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }));
};

function parseArgs(args: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    if (i >= 0 && args[i + 1]) return args[i + 1];
    return args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  };
  const kind = flag("source");
  if (kind !== undefined) env.INGEST_SOURCE = kind;
  const feature = flag("feature-source");
  if (feature !== undefined) env.INGEST_FEATURE_SOURCE = feature;
  const example = flag("example"), repo = flag("repo");
  if (example !== undefined || repo !== undefined) {
    if (example !== undefined) env.FEATURE_EXAMPLE = example;
    if (repo !== undefined) env.FEATURE_REPO = repo;
  }
  if (env.INGEST_SOURCE && !(SOURCE_KINDS as readonly string[]).includes(env.INGEST_SOURCE)) {
    throw new Error(`Unknown source '${env.INGEST_SOURCE}': use ${SOURCE_KINDS.join(", ")}`);
  }
  return env;
}

/** Opens the pipeline, retrying while Postgres or Redis is not reachable yet. */
async function openRuntime(
  env: Record<string, string | undefined>,
  repository: FeatureRepository,
  registry: Registry,
  signal: AbortSignal,
  status: WorkerStatus,
) {
  const backoff = new Backoff(200, 5000);
  while (!signal.aborted) {
    try {
      return await openFeatureRuntime(resolveFeaturesConfig(env), {
        registry,
        skipWarm: true,
        repository,
      });
    } catch (error) {
      if (!isRetryable(error) && !isTransientDriverError(error)) throw error;
      status.state = "degraded";
      status.lastError = `Cannot open feature pipeline: ${(error as Error).message}`;
      log("error", status.lastError);
      await sleep(backoff.next(), signal);
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  const env = { ...Deno.env.toObject(), ...parseArgs(Deno.args) };
  const repository = await resolveRepository(resolveFeaturesConfig(env).repository);
  const chosen = env.INGEST_FEATURE_SOURCE;
  const feed = chosen === undefined ? repository.defaultSource : repository.source(chosen);
  if (!feed) {
    throw new Error(
      `Unknown feature source '${chosen}': repository '${repository.name}' has ` +
        repository.sources.map((s) => s.name).join(", "),
    );
  }
  const config: IngestConfig = resolveIngestConfig(env, feed.routing);
  if (config.pubsub.emulatorHost) Deno.env.set("METADATA_SERVER_DETECTION", "none");
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createIngestMetrics(registry);
  const status: WorkerStatus = { state: "starting", sourceReady: false };
  // Filled in as start-up goes on; the signal handler closes whatever exists.
  const parts: {
    worker?: IngestWorker;
    runtime?: FeatureRuntime;
    sql?: postgres.Sql;
    source?: MessageSource;
  } = {};
  const lifetime = new AbortController();
  let ingestRoutes: Hono | undefined;
  const app = createWorkerApp({
    source: config.source,
    registry,
    ingestRoutes: config.source === "http" ? () => ingestRoutes : undefined,
    status: () =>
      parts.worker
        ? {
          state: parts.worker.state,
          sourceReady: parts.source?.isReady() ?? false,
          lastError: parts.worker.lastError,
        }
        : status,
  });
  const server = Deno.serve(
    { hostname: config.host, port: config.port, onListen: () => {} },
    app.fetch,
  );
  log("info", "Worker listening", { source: config.source, port: server.addr.port });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log("info", "Stopping", { signal });
    const hard = setTimeout(() => {
      log("error", "Graceful stop took too long; exiting");
      Deno.exit(1);
    }, config.shutdownTimeoutMs);
    lifetime.abort();
    status.state = "stopping";
    await parts.worker?.stop().catch((e) => log("error", `Cannot stop worker: ${e}`));
    await parts.runtime?.close().catch(() => {});
    await parts.sql?.end({ timeout: 1 }).catch(() => {});
    await server.shutdown();
    clearTimeout(hard);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => void stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => void stop("SIGINT"));

  const runtime = await openRuntime(env, repository, registry, lifetime.signal, status);
  if (!runtime) return;
  parts.runtime = runtime;
  if (config.source === "http") {
    ingestRoutes = createIngestRoutes({
      pipeline: runtime.pipeline,
      apiKeys: config.apiKeys,
      metrics,
      sourceOf: (path) => repository.sourceForRoute("httpPath", path)?.name,
    });
    Object.assign(status, { state: "running", sourceReady: true, lastError: undefined });
    return;
  }
  if (config.source === "kinesis" && config.databaseUrl) {
    parts.sql = postgres(config.databaseUrl, { max: 2, onnotice: () => {}, connect_timeout: 5 });
  }
  const source = createSource(config, { metrics, sql: parts.sql, log });
  const worker = new IngestWorker({
    source,
    pipeline: runtime.pipeline,
    featureSource: feed.name,
    metrics,
    backoffInitialMs: config.backoffInitialMs,
    backoffMaxMs: config.backoffMaxMs,
    maxDeliveries: config.maxDeliveries,
    // Pub/Sub may hand one user's events to two leases: keep its commits serial.
    concurrency: config.source === "pubsub" ? 1 : config.concurrency,
    logger: log,
  });
  Object.assign(parts, { source, worker });
  await worker.run();
  if (!stopping) {
    log("error", "Worker stopped unexpectedly", { last_error: worker.lastError });
    Deno.exit(1);
  }
}

if (import.meta.main) {
  main().catch((error) => {
    log("error", error instanceof Error ? error.message : String(error));
    Deno.exit(1);
  });
}
