/**
 * `createApp(deps)`: the Hono app of the edge, built from its dependencies
 * (model source, online feature reader, config, metrics registry, clock).
 * Constructing it starts loading and warming the default model.
 *
 * @module
 */
import { Hono } from "hono";
import { Registry } from "prom-client";
import { BodyReader } from "../pipeline/http_guard.ts";
import type { EdgeConfig } from "./config.ts";
import { createDriftGauge, PsiDriftMonitor } from "./drift.ts";
import { EdgeError } from "./errors.ts";
import { handleError } from "./http/errors.ts";
import { fastPredictRoute } from "./http/fast_predict.ts";
import { type EdgeEnv, frame } from "./http/middleware.ts";
import { type OpenApiSource, registerRoutes } from "./http/routes.ts";
import { createLogger, type Logger } from "./log.ts";
import { createEdgeMetrics, type EdgeMetrics } from "./metrics.ts";
import { type LoadedModel, type ModelSource, ModelStore } from "./models/mod.ts";
import { CoalescedOnlineReader, type OnlineFeatureReader } from "./online/mod.ts";
import { OnlineAccess } from "./online_access.ts";
import { PredictionCache } from "./prediction_cache.ts";
import { RolloutCounters, type RolloutSink } from "./rollout.ts";
import { PredictionService } from "./service.ts";

/** Version reported by `/v2` and `/openapi.json`. */
export const EDGE_VERSION = "1.0.0";

/** A clock. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** Dependencies of {@linkcode createApp}. */
export interface EdgeDeps {
  config: EdgeConfig;
  /** Where models come from. */
  models: ModelSource;
  /** Online features; null or absent when there is no online store. */
  online?: OnlineFeatureReader | null;
  /** Registry the metrics are registered on (default: a new one). */
  registry?: Registry;
  clock?: Clock;
  /** Where rollout counters are written; null turns them off. */
  rollout?: RolloutSink | null;
  logger?: Logger;
  /**
   * What `/openapi.json` and `/docs` describe (default: the edge's own routes).
   * A process that mounts more routes into the edge app (the embedded
   * platform) gives the document of all of them.
   */
  openApi?: OpenApiSource;
}

/**
 * The edge: its Hono app, the front dispatcher that serves it, and handles
 * for tests and the entry point.
 */
export interface EdgeApp {
  /**
   * The Hono app: every route of the edge is registered here, `POST
   * /predict` included. A process may mount more routes on it (the
   * embedded platform does) before serving.
   */
  readonly hono: Hono<EdgeEnv>;
  /**
   * The front dispatcher, what a server calls: a plain `POST /predict` is
   * answered by the fast handler (`http/fast_predict.ts`: same bytes as the
   * routed answer, without the router and context); every other request,
   * and any `/predict` the fast handler declines, goes to {@linkcode hono}.
   */
  readonly fetch: Hono<EdgeEnv>["fetch"];
  /** As Hono's `app.request()`, through {@linkcode fetch}: a path (or URL, or `Request`) and init. */
  request(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** The routes registered on {@linkcode hono}. */
  readonly routes: Hono<EdgeEnv>["routes"];
  /** Resolves when the default model is loaded and warmed (rejects if it cannot be). */
  warmup(): Promise<void>;
  /** The model store (loaded versions, routes). */
  models: ModelStore;
  /** The metrics. */
  metrics: EdgeMetrics;
  /** The rollout counters, when enabled. */
  rollout: RolloutCounters | null;
  /** Flushes counters and releases sessions. */
  close(): Promise<void>;
}

/**
 * Builds the edge app.
 *
 * @example
 * ```ts
 * const app = createApp({ config: defaultEdgeConfig(), models: new RegistryModelSource(registry) });
 * await app.warmup();
 * const res = await app.request("/predict", { method: "POST", body, headers });
 * ```
 */
export function createApp(deps: EdgeDeps): EdgeApp {
  const config = deps.config;
  const now = deps.clock ? () => deps.clock!.now() : Date.now;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const metrics = createEdgeMetrics(deps.registry ?? new Registry());
  const drift = createDriftGauge(metrics.registry, { extremes: config.metricsFeatureExtremes });
  const monitored = new Map<string, LoadedModel>();
  const store = new ModelStore({
    source: deps.models,
    maxVersions: config.maxVersions,
    pollMs: config.pointerPollMs,
    now,
    coalesce: config.coalesce,
    maxRows: config.coalesceMaxRows,
    onRun: (rows) => metrics.coalescedRows.observe(rows),
    onLoad(name, version, ok, error) {
      metrics.inc(metrics.modelLoads, [name, ok ? "success" : "error"]);
      if (ok) logger.log("info", "Model loaded", { model_name: name, model_version: version });
      else {
        logger.log("error", `Cannot load model '${name}' version ${version}`, {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    },
    onRefreshError(name, error) {
      logger.log("warn", `Cannot refresh model '${name}'`, {
        error: error instanceof Error ? error.message : String(error),
      });
    },
    onChange(loaded) {
      metrics.activeModels.set(loaded.length);
      syncDrift(loaded, monitored, drift);
    },
  });
  const reader = deps.online
    ? (config.coalesce ? new CoalescedOnlineReader(deps.online) : deps.online)
    : null;
  const observable = reader as
    | { observeCache?: (fn: (h: number, m: number) => void) => void }
    | null;
  observable?.observeCache?.((hits, misses) => {
    if (hits) metrics.featureCacheHits.inc(hits);
    if (misses) metrics.featureCacheMisses.inc(misses);
  });
  const online = new OnlineAccess({
    reader,
    timeoutMs: config.onlineTimeoutMs,
    metrics,
    logger,
    now,
  });
  const rollout = deps.rollout
    ? new RolloutCounters({
      sink: deps.rollout,
      now,
      onError: (error) =>
        logger.log("warn", "Cannot write rollout counters", { error: String(error) }),
    })
    : null;
  const cache = new PredictionCache({
    ttlMs: config.predictionCacheTtlMs,
    maxEntries: config.predictionCacheMax,
    now,
  });
  const service = new PredictionService({
    config,
    store,
    online,
    metrics,
    logger,
    cache,
    rollout,
    drift,
    now,
  });

  const bodies = new BodyReader({
    maxBytes: config.bodyLimitBytes,
    timeoutMs: config.bodyTimeoutMs,
  });
  const app = new Hono<EdgeEnv>();
  app.use(frame(config, metrics, logger));
  app.onError((err, c) => handleError(err, c, logger));
  app.notFound((c) => {
    c.set("route", "unmatched");
    return handleError(
      new EdgeError("not_found", `Not found: ${c.req.path.slice(0, 200)}`),
      c,
      logger,
    );
  });
  registerRoutes(app, {
    config,
    store,
    service,
    online,
    metrics,
    startedAtMs: now(),
    now,
    version: EDGE_VERSION,
    bodies,
    openApi: deps.openApi,
  });

  // The front dispatcher: plain `POST /predict` requests skip the router (same responses).
  const fast = fastPredictRoute({ config, service, metrics, logger, bodies });
  const fetch: Hono<EdgeEnv>["fetch"] = (req, env, ctx) => fast(req) ?? app.fetch(req, env, ctx);

  const warm = (async () => {
    const model = await store.acquire(config.defaultModel, config.defaultVersion);
    store.release(model);
  })();
  warm.catch(() => {}); // reported by onLoad and /ready; awaited by warmup()

  return {
    hono: app,
    fetch,
    request: (input, init) => Promise.resolve(fetch(toRequest(input, init))),
    get routes() {
      return app.routes;
    },
    warmup: async () => {
      try {
        await warm;
      } catch {
        const model = await store.acquire(config.defaultModel, config.defaultVersion);
        store.release(model);
      }
    },
    models: store,
    metrics,
    rollout,
    close: async () => {
      bodies.close();
      await rollout?.close();
      if (reader instanceof CoalescedOnlineReader) reader.close();
      await store.close();
    },
  };
}

/** The request of `app.request(input, init)`, as Hono builds it (a path is on `http://localhost`). */
function toRequest(input: string | URL | Request, init?: RequestInit): Request {
  if (input instanceof Request) return init ? new Request(input, init) : input;
  const url = String(input);
  return new Request(
    /^https?:\/\//.test(url) ? url : `http://localhost${url.startsWith("/") ? "" : "/"}${url}`,
    init,
  );
}

function syncDrift(
  loaded: LoadedModel[],
  monitored: Map<string, LoadedModel>,
  drift: ReturnType<typeof createDriftGauge>,
): void {
  const live = new Set(loaded);
  for (const [k, m] of monitored) {
    if (!live.has(m)) {
      drift.remove(m.name, m.version);
      monitored.delete(k);
    }
  }
  for (const m of loaded) {
    const k = `${m.name}\u0000${m.version}`;
    if (monitored.get(k) === m || !m.manifest.baseline) continue;
    drift.add(
      new PsiDriftMonitor({
        modelName: m.name,
        modelVersion: m.version,
        baseline: m.manifest.baseline,
      }),
    );
    monitored.set(k, m);
  }
}
