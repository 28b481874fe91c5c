/**
 * The authorisation matrix: every route of every process, built in-process
 * with every credential of the documented production configuration set,
 * is called with no credential, a wrong one and the right one.
 *
 * Each process's routes are read from the app itself (Hono's route table,
 * the gateway's `GATEWAY_ROUTES`), so a route added without an entry in
 * {@linkcode MATRIX} fails the "has an entry for every route" test. What
 * each access level means:
 *
 * - `open`: no credential needed (probes, metrics, docs); all three answer
 *   something other than 401/403.
 * - `key`: 401 (or the process's refusal) without or with a wrong
 *   credential, anything else with the right one.
 * - `status`: 200 in all three cases, but only `{status}` without the right
 *   credential, details with it.
 * - `login`: a console page; without or with a wrong credential a 303 to
 *   the sign-in form, with the right one the page (or its error).
 *
 * SECURITY.md lists the same table for people.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Registry } from "prom-client";
import { createApp, defaultEdgeConfig, RegistryModelSource } from "../../edge/mod.ts";
import { demoPackage, REFERENCE_FRAUD_REQUEST } from "../support/edge.ts";
import { openEmbedded } from "../../deploy/embedded/server.ts";
import { createGatewayHandler, GATEWAY_ROUTES } from "../../deploy/upstash_gateway/mod.ts";
import { RedisConnection } from "../../deploy/upstash_gateway/redis.ts";
import { createIngestRoutes } from "../../ingest-workers/http.ts";
import { createWorkerApp } from "../../ingest-workers/server.ts";
import { createFeatureApp, featureOpenApiDocument } from "../../pipeline/http.ts";
import { FEATURE_API_INFO } from "../../pipeline/api.ts";
import { mountDocs } from "../../schemas/api_docs.ts";
import { resolveConsoleConfig } from "../../deploy/console/config.ts";
import { openConsole } from "../../deploy/console/services.ts";
import { FeaturePipeline } from "../../pipeline/feature_pipeline.ts";
import { MemoryOnlineCache } from "../../pipeline/online/memory.ts";
import { PgliteFeatureStore } from "../../pipeline/store/pglite.ts";
import { resolveRegistryConfig } from "../../registry/config.ts";
import { LocalRegistry } from "../../registry/local.ts";
import { MemoryRegistryStore } from "../../registry/store/memory.ts";
import { signMlflowWebhook } from "../../registry/webhook.ts";
import { createSyncService, serveModelAdmin } from "../../registry/wiring.ts";

type Access = "open" | "key" | "status" | "login";
type Process = "edge" | "registry" | "gateway" | "worker" | "features" | "console" | "embedded";
type Credential = "none" | "wrong" | "right";

/** One route of one process: how to call it and what it needs. */
interface Entry {
  access: Access;
  /** A concrete path for the route template (default: the template). */
  path?: string;
  /** A body for POSTs (JSON unless `type` says otherwise), or one per credential. */
  body?: string | ((credential: Credential) => string);
  /** Content type of the body (default JSON). */
  type?: string;
  /** Headers carrying the right credential (default: Bearer of the process's key). */
  right?: () => Record<string, string>;
  /** Headers carrying a wrong one. */
  wrong?: () => Record<string, string>;
}

const KEYS = {
  edge: "edge-api-key-0123456789",
  registryAdmin: "registry-admin-token-0123",
  registryEdge: "registry-edge-token-0123",
  webhook: "webhook-secret-0123456789",
  gateway: "gateway-edge-token-012345",
  ingest: "ingest-api-key-0123456789",
  features: "features-api-key-01234567",
  console: "console-admin-token-0123",
};

const bearer = (token: string) => () => ({ authorization: `Bearer ${token}` });
const predict = JSON.stringify(REFERENCE_FRAUD_REQUEST);
const webhookBody = JSON.stringify({
  entity: "model_version_alias",
  action: "created",
  data: { name: "other_model", alias: "champion", version: "1" },
});
function webhookHeaders(secret: string) {
  return () => {
    const id = crypto.randomUUID();
    const ts = String(Math.floor(Date.now() / 1000));
    return {
      "x-mlflow-delivery-id": id,
      "x-mlflow-timestamp": ts,
      "x-mlflow-signature": signMlflowWebhook(secret, id, ts, webhookBody),
    };
  };
}

/** `/openapi.json` and `/docs` (Swagger UI), which every process serves about itself. */
const DOCS: Record<string, Entry> = {
  "GET /openapi.json": { access: "open" },
  "GET /docs": { access: "open" },
  "GET /docs/swagger-ui.css": { access: "open" },
  "GET /docs/swagger-ui-bundle.js": { access: "open" },
  "GET /docs/init.js": { access: "open" },
};

/** The edge's routes (also served, behind the feature and ingest routes, by the embedded platform). */
const EDGE: Record<string, Entry> = {
  "POST /predict": { access: "key", body: predict },
  "POST /predict/batch": { access: "key", body: '{"instances":[]}' },
  "POST /rank": { access: "key", body: '{"user_id":"u","candidates":[]}' },
  "GET /health": { access: "status" },
  "GET /ready": { access: "open" },
  "GET /models": { access: "key" },
  "GET /models/:name": { access: "key", path: "/models/fraud_detector" },
  "GET /metrics": { access: "open" },
  ...DOCS,
  "GET /v2": { access: "open" },
  "GET /v2/health/live": { access: "open" },
  "GET /v2/health/ready": { access: "open" },
  "GET /v2/models/:name": { access: "key", path: "/v2/models/fraud_detector" },
  "GET /v2/models/:name/ready": { access: "key", path: "/v2/models/fraud_detector/ready" },
  "GET /v2/models/:name/config": { access: "key", path: "/v2/models/fraud_detector/config" },
  "POST /v2/models/:name/infer": {
    access: "key",
    path: "/v2/models/fraud_detector/infer",
    body: '{"inputs":[]}',
  },
  "GET /v2/models/:name/versions/:version": {
    access: "key",
    path: "/v2/models/fraud_detector/versions/1",
  },
  "GET /v2/models/:name/versions/:version/config": {
    access: "key",
    path: "/v2/models/fraud_detector/versions/1/config",
  },
  "GET /v2/models/:name/versions/:version/ready": {
    access: "key",
    path: "/v2/models/fraud_detector/versions/1/ready",
  },
  "POST /v2/models/:name/versions/:version/infer": {
    access: "key",
    path: "/v2/models/fraud_detector/versions/1/infer",
    body: '{"inputs":[]}',
  },
};

const FEATURES: Record<string, Entry> = {
  "GET /features/:entity/:id": { access: "key", path: "/features/user/user_1" },
  "GET /features/:entity/:id/online": { access: "key", path: "/features/user/user_1/online" },
  "GET /health": { access: "open" },
  "GET /healthz": { access: "open" },
  "GET /ready": { access: "open" },
};

const INGEST: Record<string, Entry> = {
  // One route per source's HTTP path (`/ingest/events` for the fraud example's transactions).
  "POST /ingest/:path": {
    access: "key",
    path: "/ingest/events",
    body: "[]",
    right: bearer(KEYS.ingest),
  },
};

/** `/admin/models` (registry sync and the embedded platform), behind the admin token. */
const ADMIN: Record<string, Entry> = {
  "GET /admin/models": { access: "key", right: bearer(KEYS.registryAdmin) },
  "GET /admin/models/:model": {
    access: "key",
    path: "/admin/models/fraud_detector",
    right: bearer(KEYS.registryAdmin),
  },
  ...Object.fromEntries(
    ["promote", "canary", "rollback"].map((op) => [
      `POST /admin/models/:model/${op}`,
      {
        access: "key",
        path: `/admin/models/no_such_model/${op}`,
        body: "{}",
        right: bearer(KEYS.registryAdmin),
      },
    ]),
  ),
};

/**
 * The operator console (`deno task console`, and the embedded platform with
 * `CONSOLE_ADMIN_TOKEN`): the token as Bearer (or the session cookie the
 * sign-in form sets); its actions also need the `x-rtml-console` header.
 */
const consoleRight = () => ({
  authorization: `Bearer ${KEYS.console}`,
  "x-rtml-console": "1",
});
const consoleKey = (path: string, body?: string): Entry => ({
  access: "key",
  path,
  body,
  right: consoleRight,
});
const consolePage = (path: string): Entry => ({ access: "login", path, right: consoleRight });
const CONSOLE: Record<string, Entry> = {
  "GET /console": consolePage("/console"),
  "GET /console/models/:name": consolePage("/console/models/fraud_detector"),
  "GET /console/features": consolePage("/console/features"),
  "GET /console/ingest": consolePage("/console/ingest"),
  "GET /console/login": { access: "open" },
  "POST /console/login": {
    access: "key",
    type: "application/x-www-form-urlencoded",
    body: (credential) =>
      credential === "right"
        ? `token=${KEYS.console}`
        : credential === "wrong"
        ? `token=${KEYS.console}-wrong`
        : "",
  },
  "GET /console/assets/:name": { access: "open", path: "/console/assets/console.css" },
  "GET /console/api/overview": consoleKey("/console/api/overview?model=fraud_detector"),
  "GET /console/api/models/:name/drift": consoleKey("/console/api/models/fraud_detector/drift"),
  "GET /console/api/ingest": consoleKey("/console/api/ingest"),
  ...Object.fromEntries(
    ["promote", "canary", "rollback"].map((op) => [
      `POST /console/api/models/:name/${op}`,
      consoleKey(`/console/api/models/no_such_model/${op}`, "{}"),
    ]),
  ),
  "POST /console/api/dead-letters/replay": consoleKey(
    "/console/api/dead-letters/replay",
    '{"items":[{"id":1}]}',
  ),
};

/** Every process's routes and what they need. */
const MATRIX: Record<Process, Record<string, Entry>> = {
  edge: EDGE,
  registry: {
    "GET /health": { access: "status", right: bearer(KEYS.registryAdmin) },
    "GET /ready": { access: "open" },
    "GET /metrics": { access: "open" },
    "POST /webhooks/mlflow": {
      access: "key",
      body: webhookBody,
      right: webhookHeaders(KEYS.webhook),
      wrong: webhookHeaders("not-the-secret"),
    },
    "GET /models/rollouts": { access: "key", right: bearer(KEYS.registryAdmin) },
    "POST /models/rollouts/:model/rollback": {
      access: "key",
      path: "/models/rollouts/m/rollback",
      body: "{}",
      right: bearer(KEYS.registryAdmin),
    },
    "GET /packages/:sha": {
      access: "key",
      path: `/packages/${"0".repeat(64)}`,
      right: bearer(KEYS.registryEdge),
    },
    ...ADMIN,
    ...DOCS,
  },
  gateway: {
    "POST /": { access: "key", body: '["ping"]' },
    "POST /pipeline": { access: "key", body: '[["ping"]]' },
    "POST /multi-exec": { access: "key", body: '[["ping"]]' },
    "GET /:command/*": { access: "key", path: "/ping" },
    "POST /:command/*": { access: "key", path: "/ping" },
  },
  worker: {
    "GET /health": { access: "status", right: () => ({ "x-api-key": KEYS.ingest }) },
    "GET /ready": { access: "open" },
    "GET /metrics": { access: "open" },
    ...INGEST,
    ...DOCS,
  },
  features: { ...FEATURES, "GET /metrics": { access: "open" }, ...DOCS },
  console: { "GET /": { access: "open" }, ...CONSOLE, ...DOCS },
  // The embedded platform: the edge (its /health and /ready answer for the whole process,
  // its /openapi.json lists every route), the features API behind the edge's key, HTTP ingest,
  // /admin/models and the console.
  embedded: {
    "GET /features/:entity/:id": FEATURES["GET /features/:entity/:id"],
    "GET /features/:entity/:id/online": FEATURES["GET /features/:entity/:id/online"],
    ...INGEST,
    ...ADMIN,
    ...CONSOLE,
    ...EDGE,
  },
};

/** A process under test: its routes and a fetch. */
interface Running {
  routes: string[];
  fetch: (req: Request) => Response | Promise<Response>;
  /** Default right credential of the process. */
  key: string;
  close: () => Promise<void>;
}

function honoRoutes(...apps: { routes: { method: string; path: string }[] }[]): string[] {
  return [
    ...new Set(
      apps.flatMap((a) => a.routes).filter((r) => r.method !== "ALL").map((r) =>
        `${r.method} ${r.path}`
      ),
    ),
  ];
}

async function tempRegistry() {
  const root = await Deno.makeTempDir({ prefix: "authz-" });
  const registry = new LocalRegistry({ root: join(root, "registry") });
  const m = await registry.register(await demoPackage());
  await registry.setAlias("fraud_detector", "champion", m.version);
  return { root, registry };
}

async function pipeline() {
  const store = new PgliteFeatureStore();
  await store.migrate();
  return { pipeline: new FeaturePipeline({ store, cache: new MemoryOnlineCache() }), store };
}

const START: Record<Process, () => Promise<Running>> = {
  async edge() {
    const { root, registry } = await tempRegistry();
    const app = createApp({
      config: defaultEdgeConfig({ apiKeys: [KEYS.edge], logLevel: "silent" }),
      models: new RegistryModelSource(registry),
      registry: new Registry(),
    });
    await app.warmup();
    return {
      routes: honoRoutes(app),
      fetch: (req) => app.fetch(req),
      key: KEYS.edge,
      close: async () => {
        await app.close();
        await Deno.remove(root, { recursive: true });
      },
    };
  },
  async registry() {
    const root = await Deno.makeTempDir({ prefix: "authz-" });
    const config = resolveRegistryConfig({
      REGISTRY_MODELS: "m",
      REGISTRY_ADMIN_TOKEN: KEYS.registryAdmin,
      REGISTRY_EDGE_TOKEN: KEYS.registryEdge,
      REGISTRY_WEBHOOK_SECRET: KEYS.webhook,
    });
    const service = createSyncService(config, {
      registry: new LocalRegistry({ root }),
      store: new MemoryRegistryStore(),
      log: () => {},
    });
    // What `deno task registry:sync` serves.
    serveModelAdmin(service, config);
    return {
      routes: honoRoutes(service.app),
      fetch: (req) => service.app.fetch(req),
      key: KEYS.registryAdmin,
      close: async () => {
        await service.worker.stop();
        await Deno.remove(root, { recursive: true });
      },
    };
  },
  gateway() {
    // A closed port: an allowed command answers 503 (Redis down), which is past authorisation.
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const redis = new RedisConnection({ hostname: "127.0.0.1", port });
    const handler = createGatewayHandler({
      redis,
      dedicated: () => new RedisConnection({ hostname: "127.0.0.1", port }),
      tokens: { edge: KEYS.gateway },
      maxBodyBytes: 1 << 20,
    });
    return Promise.resolve({
      routes: GATEWAY_ROUTES.map((r) => `${r.method} ${r.path}`),
      fetch: handler,
      key: KEYS.gateway,
      close: () => Promise.resolve(redis.close()),
    });
  },
  async worker() {
    const { pipeline: p, store } = await pipeline();
    const ingest = createIngestRoutes({ pipeline: p, apiKeys: [KEYS.ingest] });
    const app = createWorkerApp({
      source: "http",
      registry: new Registry(),
      apiKeys: [KEYS.ingest],
      ingestRoutes: () => ingest,
      status: () => ({ state: "running", sourceReady: true }),
    });
    return {
      routes: honoRoutes(app, ingest),
      fetch: (req) => app.fetch(req),
      key: KEYS.ingest,
      close: () => store.close(),
    };
  },
  async features() {
    const { pipeline: p, store } = await pipeline();
    // What `deno task features:serve` serves.
    const app = createFeatureApp({
      pipeline: p,
      registry: new Registry(),
      apiKeys: [KEYS.features],
      docs: (a) => mountDocs(a, () => featureOpenApiDocument(true), FEATURE_API_INFO.title),
    });
    return {
      routes: honoRoutes(app),
      fetch: (req) => app.fetch(req),
      key: KEYS.features,
      close: () => store.close(),
    };
  },
  async console() {
    // `deno task console` on the embedded defaults of its parts (PGlite, folder registry).
    const { root } = await tempRegistry();
    const opened = await openConsole(resolveConsoleConfig({ CONSOLE_ADMIN_TOKEN: KEYS.console }), {
      DATA_DIR: root,
      REGISTRY_MODELS: "fraud_detector",
    });
    return {
      routes: honoRoutes({ routes: opened.routes }),
      fetch: opened.fetch,
      key: KEYS.console,
      close: async () => {
        await opened.close();
        await Deno.remove(root, { recursive: true });
      },
    };
  },
  async embedded() {
    const { root } = await tempRegistry();
    const platform = await openEmbedded(
      {
        dataDir: root,
        host: "127.0.0.1",
        port: 0,
        demoBootstrap: false,
        ingestApiKeys: [KEYS.ingest],
        consoleAdminToken: KEYS.console,
      },
      {
        EDGE_API_KEYS: KEYS.edge,
        EDGE_LOG_LEVEL: "silent",
        REGISTRY_ADMIN_TOKEN: KEYS.registryAdmin,
      },
    );
    return {
      routes: honoRoutes(platform),
      fetch: platform.fetch,
      key: KEYS.edge,
      close: async () => {
        await platform.close();
        await Deno.remove(root, { recursive: true });
      },
    };
  },
};

for (const process of Object.keys(MATRIX) as Process[]) {
  Deno.test(`authorisation matrix: ${process} has an entry for every route`, async () => {
    const running = await START[process]();
    try {
      assert.deepEqual(
        [...running.routes].sort(),
        Object.keys(MATRIX[process]).sort(),
        `${process}: a route without an entry (add it to MATRIX and SECURITY.md), or a stale entry`,
      );
    } finally {
      await running.close();
    }
  });

  Deno.test(`authorisation matrix: ${process} with no credential, a wrong one and the right one`, async () => {
    const running = await START[process]();
    try {
      for (const [route, entry] of Object.entries(MATRIX[process])) {
        await checkRoute(process, running, route, entry);
      }
    } finally {
      await running.close();
    }
  });
}

async function checkRoute(process: Process, running: Running, route: string, entry: Entry) {
  const [method, template] = route.split(" ");
  const path = entry.path ?? template;
  const call = async (credential: Credential, headers: Record<string, string>) => {
    const body = typeof entry.body === "function" ? entry.body(credential) : entry.body;
    const res = await running.fetch(
      new Request(`http://authz.test${path}`, {
        method,
        headers: body ? { "content-type": entry.type ?? "application/json", ...headers } : headers,
        body: method === "POST" ? body ?? "" : undefined,
        redirect: "manual",
      }),
    );
    const text = await res.text();
    return { status: res.status, text, location: res.headers.get("location") };
  };
  const right = (entry.right ?? bearer(running.key))();
  const wrong = (entry.wrong ?? bearer(`${running.key}-wrong`))();
  const results = {
    none: await call("none", {}),
    wrong: await call("wrong", wrong),
    right: await call("right", right),
  };
  const where = `${process} ${route}`;
  const denied = (s: number) => s === 401 || s === 403;
  switch (entry.access) {
    case "open":
      for (const [k, r] of Object.entries(results)) {
        assert.ok(!denied(r.status), `${where} (${k}): ${r.status} ${r.text.slice(0, 200)}`);
      }
      break;
    case "key":
      assert.ok(denied(results.none.status), `${where} without credential: ${results.none.status}`);
      assert.ok(denied(results.wrong.status), `${where} wrong credential: ${results.wrong.status}`);
      assert.ok(
        !denied(results.right.status),
        `${where} right credential: ${results.right.status} ${results.right.text.slice(0, 200)}`,
      );
      break;
    case "login":
      for (const k of ["none", "wrong"] as const) {
        assert.equal(results[k].status, 303, `${where} (${k}): ${results[k].status}`);
        assert.equal(results[k].location, "/console/login", `${where} (${k})`);
      }
      assert.ok(
        !denied(results.right.status) && results.right.status !== 303,
        `${where} right credential: ${results.right.status} ${results.right.text.slice(0, 200)}`,
      );
      break;
    case "status": {
      for (const k of ["none", "wrong"] as const) {
        assert.equal(results[k].status, 200, `${where} (${k})`);
        assert.deepEqual(Object.keys(JSON.parse(results[k].text)), ["status"], `${where} (${k})`);
      }
      assert.equal(results.right.status, 200, where);
      assert.ok(Object.keys(JSON.parse(results.right.text)).length > 1, `${where}: no details`);
      break;
    }
  }
}
