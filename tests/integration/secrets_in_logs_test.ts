/**
 * Secrets stay out of logs and `/health`: the gateway, the registry sync
 * worker, an ingest worker, the features API and the edge run as their
 * deno tasks with secret-bearing settings (a Redis URL with a password, an
 * MLflow URL with user and password, a database URL with a password, every
 * token and key), pointed at closed ports so that each of them fails and
 * logs why. All of their output, and their `/health` answers with and
 * without a credential, are searched for every secret.
 */
import assert from "node:assert/strict";
import { edgeServeArgs } from "../support/edge.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DENO = Deno.execPath();

const run = crypto.randomUUID().replaceAll("-", "");
const SECRETS = {
  redisPassword: `redispw${run}`,
  mlflowPassword: `mlflowpw${run}`,
  dbPassword: `dbpw${run}`,
  gatewayEdge: `gwedge${run}`,
  gatewayWorker: `gwworker${run}`,
  gatewayAdmin: `gwadmin${run}`,
  edgeKey: `edgekey${run}`,
  ingestKey: `ingestkey${run}`,
  registryAdmin: `regadmin${run}`,
  registryEdge: `regedge${run}`,
  webhook: `webhook${run}`,
  featuresKey: `featkey${run}`,
};

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const closed = freePort();
const redisUrl = `redis://:${SECRETS.redisPassword}@127.0.0.1:${closed}`;
const dbUrl = `postgres://platform:${SECRETS.dbPassword}@127.0.0.1:${closed}/platform`;
const mlflowUrl = `http://ml:${SECRETS.mlflowPassword}@127.0.0.1:${closed}`;
const upstashUrl = `http://127.0.0.1:${closed}`;

interface Proc {
  name: string;
  child: Deno.ChildProcess;
  output: Promise<string>;
  port: number;
}

function start(
  name: string,
  task: string | string[],
  port: number,
  env: Record<string, string>,
): Proc {
  const child = new Deno.Command(DENO, {
    args: typeof task === "string" ? ["task", "-q", task] : task,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const text = async (s: ReadableStream<Uint8Array>) => {
    let out = "";
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) out += chunk;
    return out;
  };
  const output = Promise.all([text(child.stdout), text(child.stderr)]).then(([o, e]) => o + e);
  return { name, child, output, port };
}

async function get(port: number, path: string, headers: Record<string, string> = {}) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
    return `${res.status} ${await res.text()}`;
  } catch (e) {
    return `unreachable: ${e}`;
  }
}

/** Polls `fn` until it returns true or `ms` pass (the processes fail on their own schedule). */
async function until(fn: () => Promise<boolean>, ms: number): Promise<boolean> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

Deno.test("no secret reaches the logs or /health of a run with secret-bearing settings", async () => {
  const ports = {
    gateway: freePort(),
    registry: freePort(),
    worker: freePort(),
    features: freePort(),
    edge: freePort(),
  };
  const procs = [
    start("gateway", "gateway", ports.gateway, {
      UPSTASH_GATEWAY_PORT: String(ports.gateway),
      UPSTASH_GATEWAY_EDGE_TOKEN: SECRETS.gatewayEdge,
      UPSTASH_GATEWAY_WORKER_TOKEN: SECRETS.gatewayWorker,
      UPSTASH_GATEWAY_ADMIN_TOKEN: SECRETS.gatewayAdmin,
      REDIS_URL: redisUrl,
    }),
    start("registry", "registry:sync", ports.registry, {
      REGISTRY_PORT: String(ports.registry),
      MLFLOW_TRACKING_URI: mlflowUrl,
      REGISTRY_TIMEOUT_MS: "500",
      REGISTRY_POLL_INTERVAL_MS: "200",
      REGISTRY_ADMIN_TOKEN: SECRETS.registryAdmin,
      REGISTRY_EDGE_TOKEN: SECRETS.registryEdge,
      REGISTRY_WEBHOOK_SECRET: SECRETS.webhook,
      UPSTASH_REDIS_REST_URL: upstashUrl,
      UPSTASH_REDIS_REST_TOKEN: SECRETS.gatewayAdmin,
    }),
    start("worker", "worker", ports.worker, {
      INGEST_SOURCE: "http",
      INGEST_PORT: String(ports.worker),
      INGEST_API_KEYS: SECRETS.ingestKey,
      DATABASE_URL: dbUrl,
      REDIS_URL: redisUrl,
    }),
    start("features", "features:serve", ports.features, {
      FEATURES_PORT: String(ports.features),
      FEATURES_API_KEYS: SECRETS.featuresKey,
      DATABASE_URL: dbUrl,
      REDIS_URL: redisUrl,
    }),
    // `deno task edge` as it runs, on a port of its own.
    start("edge", edgeServeArgs(ports.edge), ports.edge, {
      EDGE_MODEL_SOURCE: "pointer",
      EDGE_API_KEYS: SECRETS.edgeKey,
      EDGE_REGISTRY_TOKEN: SECRETS.registryEdge,
      EDGE_ONLINE_TIMEOUT_MS: "200",
      UPSTASH_REDIS_REST_URL: `http://u:${SECRETS.gatewayEdge}@127.0.0.1:${closed}`,
      UPSTASH_REDIS_REST_TOKEN: SECRETS.gatewayEdge,
    }),
  ];
  const answers: string[] = [];
  try {
    // Each process fails against its closed ports and says so where an operator looks.
    const asGateway = () =>
      fetch(`http://127.0.0.1:${ports.gateway}/`, {
        method: "POST",
        headers: { authorization: `Bearer ${SECRETS.gatewayEdge}` },
        body: '["get","model:pointer:x"]',
      }).then(async (r) => {
        answers.push(`${r.status} ${await r.text()}`);
        return r.status === 503;
      }, () => false);
    assert.ok(await until(asGateway, 30_000), "the gateway never answered 503");
    const admin = { authorization: `Bearer ${SECRETS.registryAdmin}` };
    assert.ok(
      await until(
        async () => (await get(ports.registry, "/health", admin)).includes('last_error":{'),
        30_000,
      ),
      "the registry never reported its MLflow error",
    );
    const ops = { "x-api-key": SECRETS.ingestKey };
    assert.ok(
      await until(
        async () => (await get(ports.worker, "/health", ops)).includes("Cannot open"),
        30_000,
      ),
      "the worker never reported its database error",
    );
    const key = { authorization: `Bearer ${SECRETS.edgeKey}` };
    assert.ok(
      await until(async () => (await get(ports.edge, "/health", key)).includes("degraded"), 30_000),
      "the edge never reported its Redis error",
    );
    await get(ports.edge, "/predict", key);
    for (
      const [port, headers] of [
        [ports.registry, admin],
        [ports.worker, ops],
        [ports.edge, key],
        [ports.features, { authorization: `Bearer ${SECRETS.featuresKey}` }],
      ] as const
    ) {
      answers.push(await get(port, "/health"), await get(port, "/health", headers));
      answers.push(await get(port, "/ready", headers));
    }
  } finally {
    for (const p of procs) {
      try {
        p.child.kill("SIGTERM");
      } catch {
        // already exited (the features API exits when its database is unreachable)
      }
    }
  }
  const outputs = await Promise.all(procs.map(async (p) => {
    await p.child.status;
    return { name: p.name, text: await p.output };
  }));
  const everything = [...outputs.map((o) => `--- ${o.name}\n${o.text}`), ...answers].join("\n");
  // The run did produce the lines that used to carry secrets.
  assert.match(everything, /Upstash gateway listening on .*redis:\/\/:\*\*\*@/);
  assert.match(everything, /Cannot reach MLflow at 'http:\/\/ml:\*\*\*@/);
  for (const [name, secret] of Object.entries(SECRETS)) {
    const at = everything.indexOf(secret);
    assert.equal(
      at,
      -1,
      `${name} leaked: …${everything.slice(Math.max(0, at - 200), at + 50)}…`,
    );
  }
});
