/**
 * deploy/compose.yaml cannot run here (no Docker); this keeps it consistent
 * with the local services script (ports, credentials, versions), with the
 * deno tasks it runs, and with the Prometheus targets that scrape it.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { defaultServiceEnv, type ServiceName, SERVICES } from "../../deploy/services/mod.ts";
import { MLFLOW_VERSION } from "../../deploy/services/mlflow.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;
const compose: Obj = parse(await Deno.readTextFile(`${ROOT}deploy/compose.yaml`), {
  merge: true,
});
const services: Record<string, Obj> = compose.services;
const tasks = new Set(Object.keys(JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks));

function hostPorts(name: string): number[] {
  return (services[name]?.ports ?? []).map((p: string) => {
    const parts = String(p).split(":");
    assert.equal(parts[0], "127.0.0.1", `${name}: ${p} must publish on loopback only`);
    return Number(parts[1]);
  });
}

function portOf(value: string): number {
  const m = /:(\d+)(?:\/|$)/.exec(value);
  assert.ok(m, `no port in ${value}`);
  return Number(m[1]);
}

Deno.test("compose publishes every local service on the port the services script uses", () => {
  for (const name of Object.keys(SERVICES) as ServiceName[]) {
    assert.ok(services[name], `compose has no service ${name}`);
    const urls = Object.entries(defaultServiceEnv(name)).filter(([k]) =>
      /URL|URI|ENDPOINT|BROKERS|HOST$/.test(k)
    );
    assert.ok(urls.length > 0, name);
    for (const [key, value] of urls) {
      assert.ok(
        hostPorts(name).includes(portOf(value)),
        `${name}: ${key}=${value} but compose publishes ${hostPorts(name)}`,
      );
    }
  }
});

Deno.test("compose uses the services script's credentials and versions", async () => {
  const db = new URL(defaultServiceEnv("postgres").DATABASE_URL);
  const pg = services.postgres.environment;
  assert.equal(pg.POSTGRES_USER, db.username);
  assert.equal(pg.POSTGRES_PASSWORD, db.password);
  assert.equal(pg.POSTGRES_DB, db.pathname.slice(1));
  assert.match(services.postgres.image, /^postgres:15/);
  assert.match(services.redis.image, /^redis:7/);
  const gw = services.gateway.environment;
  const tokens = defaultServiceEnv("gateway");
  assert.equal(gw.UPSTASH_GATEWAY_DATA_TOKEN, tokens.UPSTASH_REDIS_REST_TOKEN);
  assert.equal(gw.UPSTASH_GATEWAY_EDGE_TOKEN, tokens.UPSTASH_EDGE_TOKEN);
  assert.equal(gw.UPSTASH_GATEWAY_WORKER_TOKEN, tokens.UPSTASH_WORKER_TOKEN);
  assert.equal(gw.UPSTASH_GATEWAY_ADMIN_TOKEN, tokens.UPSTASH_ADMIN_TOKEN);
  // Least privilege: each platform process holds its own role's token.
  assert.equal(services.edge.environment.UPSTASH_REDIS_REST_TOKEN, tokens.UPSTASH_EDGE_TOKEN);
  assert.equal(
    services["registry-sync"].environment.UPSTASH_REDIS_REST_TOKEN,
    tokens.UPSTASH_ADMIN_TOKEN,
  );
  for (const name of ["ingest-kafka", "ingest-http", "feature-api"]) {
    assert.equal(services[name].environment.UPSTASH_REDIS_REST_TOKEN, tokens.UPSTASH_WORKER_TOKEN);
  }
  assert.ok(
    services.pubsub.command.includes(`--project=${defaultServiceEnv("pubsub").PUBSUB_PROJECT_ID}`),
  );
  assert.equal(services.mlflow.image.split(":v")[1], MLFLOW_VERSION);
  const pom = await Deno.readTextFile(`${ROOT}deploy/kafka/pom.xml`);
  const kafka = /<kafka\.version>([^<]+)</.exec(pom)?.[1];
  assert.equal(services.kafka.image, `apache/kafka:${kafka}`);
});

Deno.test("compose platform containers run deno tasks and files that exist", async () => {
  let checked = 0;
  for (const [name, s] of Object.entries(services)) {
    const cmd = s.command as string[] | undefined;
    if (!Array.isArray(cmd) || cmd[0] !== "deno") continue;
    if (cmd[1] === "task") assert.ok(tasks.has(cmd[2]), `${name}: no task ${cmd[2]}`);
    else await Deno.stat(`${ROOT}${cmd.at(-1)}`);
    checked++;
  }
  assert.ok(checked >= 8, `only ${checked} deno containers`);
  for (const name of ["prometheus", "alertmanager", "grafana"]) {
    for (const v of services[name].volumes as string[]) {
      const source = v.split(":")[0];
      await Deno.stat(`${ROOT}deploy/${source}`);
    }
  }
  for (const source of ["kafka", "kinesis", "pubsub", "http"]) {
    assert.equal(services[`ingest-${source}`].environment.INGEST_SOURCE, source);
  }
});

Deno.test("compose services are what the Prometheus file targets scrape", async () => {
  const dir = `${ROOT}deploy/monitoring/prometheus/targets/`;
  let checked = 0;
  for await (const e of Deno.readDir(dir)) {
    const groups: Obj[] = parse(await Deno.readTextFile(`${dir}${e.name}`));
    for (const target of groups.flatMap((g) => g.targets as string[])) {
      const [host, port] = target.split(":");
      const s = services[host];
      assert.ok(s, `${e.name}: ${host} is not a compose service`);
      const env = s.environment ?? {};
      const listens = Number(
        env.INGEST_PORT ?? env.FEATURES_PORT ?? env.REGISTRY_PORT ??
          (host === "edge" ? 8000 : host.startsWith("ingest-") ? 8091 : NaN),
      );
      assert.equal(Number(port), listens, `${e.name}: ${target}`);
      checked++;
    }
  }
  assert.equal(checked, 7);
});

Deno.test("compose publishes the platform's HTTP ports only through the slow-client proxy", async () => {
  const conf = await Deno.readTextFile(`${ROOT}deploy/proxy/nginx.conf`);
  assert.match(conf, /include \/etc\/nginx\/rtml\/timeouts\.conf;/);
  const proxied: Record<string, number> = {
    edge: 8000,
    "ingest-http": 8091,
    "feature-api": 8092,
    "registry-sync": 8100,
  };
  for (const [name, published] of Object.entries(proxied)) {
    assert.equal(services[name].ports, undefined, `${name} publishes a port past the proxy`);
    assert.ok(hostPorts("proxy").includes(published), `proxy does not publish ${published}`);
    const block = new RegExp(`listen ${published};[\\s\\S]*?proxy_pass http://${name}:(\\d+);`);
    const m = block.exec(conf);
    assert.ok(m, `nginx.conf does not proxy ${published} to ${name}`);
  }
  for (const v of services.proxy.volumes as string[]) {
    await Deno.stat(`${ROOT}deploy/${v.split(":")[0]}`);
  }
});
