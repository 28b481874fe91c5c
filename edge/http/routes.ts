/**
 * The routes of the edge. Each route sets its template (for metrics) and
 * its allowed methods; any other method answers 405 with `Allow`.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import {
  BatchPredictRequestSchema,
  PredictRequestSchema,
  RankRequestSchema,
} from "../../schemas/prediction.ts";
import type { EdgeConfig } from "../config.ts";
import { EdgeError } from "../errors.ts";
import type { EdgeMetrics } from "../metrics.ts";
import type { ModelStore } from "../models/mod.ts";
import type { OnlineAccess } from "../online_access.ts";
import type { PredictionService } from "../service.ts";
import { type BodyReader, matchesAnyKey } from "../../pipeline/http_guard.ts";
import { redactText } from "../../schemas/redact.ts";
import { readJson } from "./body.ts";
import { fastBatchRequest, fastPredictRequest } from "./fast_parse.ts";
import { type ApiRoute, honoPath } from "../../schemas/api.ts";
import { DOCS_PATHS, docsResponse } from "../../schemas/api_docs.ts";
import { CHUNKED, type EdgeEnv, requireApiKey } from "./middleware.ts";
import { ALL_EDGE_ROUTES, EDGE_API_INFO, EDGE_ROUTES as R, openApiDocument } from "./openapi.ts";
import { v2Routes } from "./v2_routes.ts";

/** What the routes need. */
export interface RouteDeps {
  config: EdgeConfig;
  store: ModelStore;
  service: PredictionService;
  online: OnlineAccess;
  metrics: EdgeMetrics;
  startedAtMs: number;
  now: () => number;
  version: string;
  /** Reads bodies within the limit and the deadline. */
  bodies: BodyReader;
  /** What `/openapi.json` and `/docs` describe (default: the edge's routes). */
  openApi?: OpenApiSource;
}

/** The document `/openapi.json` serves and the title of `/docs`. */
export interface OpenApiSource {
  document: () => unknown;
  title: string;
}

type Handler = (c: Context<EdgeEnv>) => Response | Promise<Response>;
const NAME = /^(?!\.)[A-Za-z0-9_.-]{1,100}$/;

/** Registers every route on `app`. */
export function registerRoutes(app: Hono<EdgeEnv>, d: RouteDeps): void {
  const auth = requireApiKey(d.config);
  const table = new Map<string, Map<string, Handler>>();
  // Every handler is registered from its documented definition (`openapi.ts`).
  const on = (route: ApiRoute, handler: Handler, path = honoPath(route.config.path)) => {
    const method = route.config.method.toUpperCase();
    const methods = table.get(path) ?? new Map<string, Handler>();
    const template = route.config.path;
    const secured = route.protect === "api_key";
    methods.set(method, (c) => {
      c.set("route", template);
      if (secured) auth(c);
      return handler(c);
    });
    table.set(path, methods);
  };
  const ctx = (c: Context<EdgeEnv>) => ({
    requestId: c.get("requestId"),
    startedAt: c.get("startedAt"),
  });
  const limit = d.bodies;
  const name = (c: Context<EdgeEnv>) => {
    const n = c.req.param("name") ?? "";
    if (!NAME.test(n)) {
      throw new EdgeError("model_not_found", `Model not found '${n.slice(0, 100)}'`);
    }
    return n;
  };

  on(R.predict, async (c) => {
    const req = await readJson(c, PredictRequestSchema, limit, fastPredictRequest);
    const res = await d.service.predict(req, ctx(c));
    return d.config.chunkedPredict ? c.json(res, 200, CHUNKED) : c.json(res);
  });
  on(R.predictBatch, async (c) => {
    const req = await readJson(c, BatchPredictRequestSchema, limit, fastBatchRequest);
    return c.json(await d.service.predictBatch(req, ctx(c)));
  });
  on(R.rank, async (c) => {
    const req = await readJson(c, RankRequestSchema, limit);
    return c.json(await d.service.rank(req, ctx(c)));
  });

  // Unauthenticated callers get the status only: the details name internal hosts.
  on(R.health, (c) => {
    const full = health(d);
    if (!canSeeDetails(d.config.apiKeys, c.req.header("authorization"))) {
      return c.json({ status: full.status });
    }
    return c.json(full);
  });
  on(R.ready, (c) => {
    const { defaultModel: m, defaultVersion: v } = d.config;
    if (!d.store.isReady(m, v)) {
      d.store.acquire(m, v).then((x) => d.store.release(x), () => {});
      throw new EdgeError("model_not_ready", `Model not ready '${m}'`);
    }
    const loaded = d.store.loaded(m).find((x) => x.version === resolved(d.store, m, v));
    return c.json({ ready: true, model_name: m, model_version: loaded?.version ?? "" });
  });
  on(R.models, async (c) => {
    // Every model the source knows, loaded or not, with its aliases as they are now.
    const known = await d.store.source.listModels().catch(() => [] as string[]);
    const names = new Set([
      d.config.defaultModel,
      ...d.store.loaded().map((m) => m.name),
      ...known,
    ]);
    const models = [];
    for (const n of [...names].sort()) {
      try {
        models.push(await modelInfo(d, n));
      } catch (error) {
        if (!(error instanceof EdgeError && error.code === "model_not_found")) throw error;
      }
    }
    return c.json({ default_model: d.config.defaultModel, models });
  });
  on(R.model, async (c) => c.json(await modelInfo(d, name(c))));
  on(R.metrics, async (c) => {
    d.metrics.activeModels.set(d.store.loaded().length);
    const text = await d.metrics.registry.metrics();
    return c.body(text, 200, { "Content-Type": d.metrics.registry.contentType });
  });
  const docs: OpenApiSource = d.openApi ?? {
    document: () => openApiDocument({ auth: d.config.apiKeys.length > 0, version: d.version }),
    title: EDGE_API_INFO.title,
  };
  let doc: string | undefined;
  on(R.openapi, (c) => {
    doc ??= JSON.stringify(docs.document());
    return c.body(doc, 200, { "Content-Type": "application/json" });
  });
  for (const path of DOCS_PATHS) {
    on(R.docs, (c) => docsResponse(c.req.path, docs.title), path);
  }

  // The v2 handlers (`v2_routes.ts`) are registered from their documented definitions too.
  const defined = new Map(
    ALL_EDGE_ROUTES.map((r) => [`${r.config.method.toUpperCase()} ${r.config.path}`, r]),
  );
  const v2 = v2Routes({
    config: d.config,
    store: d.store,
    service: d.service,
    bodies: d.bodies,
    version: d.version,
    modelName: name,
  });
  for (const r of v2) {
    const route = defined.get(`${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    if (!route) throw new Error(`Route ${r.method} ${r.path} has no OpenAPI definition`);
    on({ ...route, protect: r.secured ? "api_key" : undefined }, r.handler, r.path);
  }

  for (const [path, methods] of table) {
    for (const [method, handler] of methods) app.on(method, path, handler);
    const allow = [...methods.keys(), ...(methods.has("GET") ? ["HEAD"] : [])].join(", ");
    app.all(path, (c) => {
      c.set("route", path.replace(/:(\w+)/g, "{$1}"));
      throw new EdgeError("method_not_allowed", `Method not allowed: ${c.req.method}`, {
        headers: { Allow: allow },
      });
    });
  }
}

function resolved(store: ModelStore, name: string, selector: string): string | undefined {
  const route = store.route(name);
  if (!route) return undefined;
  if (Object.hasOwn(route.aliases, selector)) return route.aliases[selector];
  return selector === "latest" ? route.versions.at(-1) : selector;
}

/** Whether a `/health` caller may see details: any configured API key, or no keys at all. */
export function canSeeDetails(keys: readonly string[], authorization: string | undefined): boolean {
  if (keys.length === 0) return true;
  const m = /^Bearer\s+(.+)$/i.exec(authorization ?? "");
  return matchesAnyKey(m?.[1], keys);
}

function health(d: RouteDeps) {
  const online = d.online.health();
  if (online.last_error) online.last_error = redactText(online.last_error);
  const regErrors = [...d.store.lastErrors.values()].map(redactText);
  const loaded = d.store.loaded().length;
  const modelsOk = d.store.isReady(d.config.defaultModel, d.config.defaultVersion);
  const registry = regErrors.length > 0
    ? { status: "degraded" as const, kind: d.store.source.kind, last_error: regErrors[0] }
    : { status: "ok" as const, kind: d.store.source.kind };
  const degraded = !modelsOk || online.status === "degraded" || registry.status === "degraded";
  return {
    status: degraded ? "degraded" : "healthy",
    timestamp: new Date(d.now()).toISOString(),
    uptime_s: (d.now() - d.startedAtMs) / 1000,
    checks: {
      models: { status: modelsOk ? "ok" : "degraded", loaded },
      online_store: online,
      registry,
    },
  };
}

async function modelInfo(d: RouteDeps, name: string) {
  const route = await d.store.inspect(name);
  const aliasesOf = (v: string) =>
    Object.entries(route.aliases).filter(([, x]) => x === v).map(([a]) => a);
  return {
    name,
    aliases: route.aliases,
    available_versions: route.versions,
    traffic: route.traffic,
    versions: d.store.loaded(name).map((m) => ({
      version: m.version,
      sha256: m.sha256,
      loaded_at: m.loadedAt,
      framework: m.manifest.framework,
      inputs: m.manifest.inputs.map((i) => i.name),
      aliases: aliasesOf(m.version),
    })),
  };
}
