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
} from "../../pipeline/mod.ts";
import type { FeatureRuntime } from "../../pipeline/mod.ts";
import { redactText } from "../../schemas/redact.ts";
import { errorLine, HelpShown, parseCommand, UsageError } from "../../pipeline/cli/command.ts";
import { commandFeed, FEED_OPTIONS, FEED_USAGE } from "./_feed.ts";
import { Backoff, sleep } from "../_delivery.ts";
import { createSource } from "../clients.ts";
import { SOURCE_KINDS } from "../config.ts";
import { isRetryable } from "../errors.ts";
import { createIngestRoutes } from "../http.ts";
import { createIngestMetrics } from "../ingest_metrics.ts";
import type { MessageSource } from "../port.ts";
import { createWorkerApp, type WorkerStatus } from "../server.ts";
import { type IngestLogger, IngestWorker } from "../worker.ts";

const log: IngestLogger = (level, msg, fields = {}) => {
  // Broker and database URLs may carry credentials: redacted in every line.
  console.error(
    redactText(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields })),
  );
};

const USAGE = `Usage: deno task worker [--source kafka|kinesis|pubsub|http]
  [--feature-source NAME] [--repo DIR | --example NAME]
  One ingest worker: pulls events from its source through the feature pipeline and serves
  /health, /ready, /metrics, /openapi.json and /docs (and POST /ingest/{path} for --source http)
  on INGEST_PORT.
${FEED_USAGE}
Env: INGEST_SOURCE, INGEST_FEATURE_SOURCE, INGEST_HOST, INGEST_PORT (8091), DATABASE_URL,
  REDIS_URL, KAFKA_*, KINESIS_*, PUBSUB_* (see ingest-workers/config.ts); deno task
  streams:create makes the topic, stream and subscription a worker reads`;

function parseArgs(args: string[]): Record<string, string> {
  const { values } = parseCommand(USAGE, args, {
    source: { type: "string" },
    ...FEED_OPTIONS,
  });
  const env: Record<string, string> = {};
  if (values.source !== undefined) env.INGEST_SOURCE = values.source;
  if (values["feature-source"] !== undefined) env.INGEST_FEATURE_SOURCE = values["feature-source"];
  if (values.example !== undefined) env.FEATURE_EXAMPLE = values.example;
  if (values.repo !== undefined) env.FEATURE_REPO = values.repo;
  if (env.INGEST_SOURCE && !(SOURCE_KINDS as readonly string[]).includes(env.INGEST_SOURCE)) {
    throw new UsageError(`Unknown source '${env.INGEST_SOURCE}': use ${SOURCE_KINDS.join(", ")}`);
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
  const { repository, source: feed, config } = await commandFeed({}, env);
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
    apiKeys: config.apiKeys,
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
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: config.host, port: config.port, onListen: () => {} },
      app.fetch,
    );
  } catch (error) {
    throw new Error(
      `Cannot listen on ${config.host}:${config.port}: ${
        error instanceof Deno.errors.AddrInUse
          ? "the port is in use; set INGEST_PORT"
          : (error as Error).message
      }`,
    );
  }
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
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n${USAGE}`);
      Deno.exit(2);
    }
    if (error instanceof HelpShown) Deno.exit(0);
    log("error", errorLine(error));
    Deno.exit(1);
  });
}
