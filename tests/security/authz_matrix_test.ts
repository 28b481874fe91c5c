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
 *
 * SECURITY.md lists the same table for people.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Registry } from "prom-client";
import { createApp, defaultEdgeConfig, RegistryModelSource } from "../../edge/mod.ts";
import { demoPackage, REFERENCE_FRAUD_REQUEST } from "../../edge/testing/mod.ts";
import { openEmbedded } from "../../deploy/embedded/server.ts";
import { createGatewayHandler, GATEWAY_ROUTES } from "../../deploy/upstash_gateway/mod.ts";
import { RedisConnection } from "../../deploy/upstash_gateway/redis.ts";
import { createIngestRoutes } from "../../ingest-workers/http.ts";
import { createWorkerApp } from "../../ingest-workers/server.ts";
import { createFeatureApp } from "../../pipeline/http.ts";
import { FeaturePipeline } from "../../pipeline/feature_pipeline.ts";
import { MemoryOnlineCache } from "../../pipeline/online/memory.ts";
import { PgliteFeatureStore } from "../../pipeline/store/pglite.ts";
import { resolveRegistryConfig } from "../../registry/config.ts";
import { LocalRegistry } from "../../registry/local.ts";
import { MemoryRegistryStore } from "../../registry/store/memory.ts";
import { signMlflowWebhook } from "../../registry/webhook.ts";
import { createSyncService, serveModelAdmin } from "../../registry/wiring.ts";

type Access = "open" | "key" | "status";
type Process = "edge" | "registry" | "gateway" | "worker" | "features" | "embedded";

/** One route of one process: how to call it and what it needs. */
interface Entry {
  access: Access;
  /** A concrete path for the route template (default: the template). */
  path?: string;
  /** A JSON body for POSTs. */
  body?: string;
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

/** The edge's routes (also served, behind the feature and ingest routes, by the embedded platform). */
const EDGE: Record<string, Entry> = {
  "POST /predict": { access: "key", body: predict },
  "POST /predict/batch": { access: "key", body: '{"instances":[]}' },
  "GET /health": { access: "status" },
  "GET /ready": { access: "open" },
  "GET /models": { access: "key" },
  "GET /models/:name": { access: "key", path: "/models/fraud_detector" },
  "GET /metrics": { access: "open" },
  "GET /openapi.json": { access: "open" },
  "GET /docs": { access: "open" },
  "GET /docs/docs.js": { access: "open" },
  "GET /docs/docs.css": { access: "open" },
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
  "POST /ingest/events": { access: "key", body: "[]", right: bearer(KEYS.ingest) },
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
  },
  features: { ...FEATURES, "GET /metrics": { access: "open" } },
  // The embedded platform: the edge (its /health and /ready answer for the whole process),
  // the features API behind the edge's key, HTTP ingest and /admin/models.
  embedded: {
    "GET /features/:entity/:id": FEATURES["GET /features/:entity/:id"],
    "GET /features/:entity/:id/online": FEATURES["GET /features/:entity/:id/online"],
    ...INGEST,
    ...ADMIN,
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
    const app = createFeatureApp({
      pipeline: p,
      registry: new Registry(),
      apiKeys: [KEYS.features],
    });
    return {
      routes: honoRoutes(app),
      fetch: (req) => app.fetch(req),
      key: KEYS.features,
      close: () => store.close(),
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
  const call = async (headers: Record<string, string>) => {
    const res = await running.fetch(
      new Request(`http://authz.test${path}`, {
        method,
        headers: entry.body ? { "content-type": "application/json", ...headers } : headers,
        body: method === "POST" ? entry.body ?? "" : undefined,
      }),
    );
    const text = await res.text();
    return { status: res.status, text };
  };
  const right = (entry.right ?? bearer(running.key))();
  const wrong = (entry.wrong ?? bearer(`${running.key}-wrong`))();
  const results = { none: await call({}), wrong: await call(wrong), right: await call(right) };
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
