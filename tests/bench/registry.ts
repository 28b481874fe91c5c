/**
 * Registry benchmark (`deno task bench:registry`, `--quick` for a smoke run).
 *
 * Alias change in MLflow → every edge isolate serving the new version, by
 * polling and by webhook. Real MLflow and Redis (through the Upstash
 * gateway); the registry sync service runs in this process on a loopback
 * port; "edge isolates" are the edge's own `ModelStore` + `UpstashPointerSource`
 * (each with its own Redis client), each driven by a request loop calling
 * `acquire(model, "champion")` every 2 ms, as traffic does.
 *
 * Measured per alias change, from the moment MLflow's `setAlias` call
 * returns: (a) the pointer in Redis names the new champion (read every 5 ms);
 * (b) the last of the isolates serves it.
 *
 * Webhook mode uses a real MLflow webhook when the server allows deliveries
 * to loopback (MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https,
 * MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true); otherwise the bench itself sends
 * the delivery MLflow would send (same headers, same HMAC) right after the
 * alias change, and says so.
 *
 * A third phase measures request latency on the edge app itself (the edge's
 * `createApp` in-process with the Redis pointer source, ~500 requests/s):
 * p50/p99 in steady state against p50/p99 in the 2 s after each alias
 * change (webhook-triggered sync), and failed requests.
 *
 * Needs `deno task services:up mlflow redis gateway`.
 *
 * @module
 */
import { Registry } from "prom-client";
import { createApp, createLogger, defaultEdgeConfig } from "../../edge/mod.ts";
import { ModelStore } from "../../edge/models/store.ts";
import { edgeRedis } from "../../edge/wiring.ts";
import { UpstashPointerSource } from "../../edge/models/upstash.ts";
import { resolveRegistryConfig } from "../../registry/config.ts";
import { MlflowRegistry } from "../../registry/mlflow.ts";
import { upstashRedis } from "../../registry/store/upstash.ts";
import { signMlflowWebhook } from "../../registry/webhook.ts";
import { createSyncService } from "../../registry/wiring.ts";
import { serviceEnv } from "../_services.ts";
import { onnxPackage } from "../contracts/model_registry_fixtures.ts";
import { benchFlags } from "../_help.ts";

const flags = benchFlags(import.meta.url, { quick: { type: "boolean", default: false } });

const quick = flags.quick;
const CHANGES = quick ? 2 : 8;
const ISOLATES = 4;
const REGISTRY_POLL_MS = 500;
const EDGE_POLL_POLL_MODE_MS = 1000;
const EDGE_POLL_WEBHOOK_MODE_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  pointerMs: number;
  edgesMs: number;
}

function summary(samples: Sample[]) {
  const pick = (k: keyof Sample) => samples.map((s) => s[k]).sort((a, b) => a - b);
  const stats = (v: number[]) => ({
    median: v[Math.floor(v.length / 2)],
    max: v.at(-1)!,
    mean: v.reduce((a, b) => a + b, 0) / v.length,
  });
  const f = (x: { median: number; max: number; mean: number }) =>
    `median ${x.median.toFixed(0)} ms, mean ${x.mean.toFixed(0)} ms, max ${x.max.toFixed(0)} ms`;
  return { pointer: f(stats(pick("pointerMs"))), edges: f(stats(pick("edgesMs"))) };
}

/** Simulated edge isolates: a ModelStore each, with a request loop. */
function startIsolates(env: Record<string, string>, name: string, pollMs: number) {
  const stores = Array.from({ length: ISOLATES }, () =>
    new ModelStore({
      source: new UpstashPointerSource(
        upstashRedis(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_EDGE_TOKEN),
        [name],
      ),
      pollMs,
    }));
  const serving = stores.map(() => "");
  let failures = 0;
  let running = true;
  const loops = stores.map(async (store, i) => {
    while (running) {
      try {
        const model = await store.acquire(name, "champion");
        serving[i] = model.version;
        store.release(model);
      } catch {
        failures++;
      }
      await sleep(2);
    }
  });
  return {
    serving,
    failures: () => failures,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}

async function measure(
  mlflow: MlflowRegistry,
  readPointer: () => Promise<string | undefined>,
  isolates: { serving: string[] },
  name: string,
  target: string,
  afterAlias: () => Promise<void>,
): Promise<Sample> {
  await mlflow.setAlias(name, "champion", target);
  const t0 = performance.now();
  await afterAlias();
  let pointerMs = NaN;
  while (performance.now() - t0 < 30_000) {
    if (Number.isNaN(pointerMs) && (await readPointer()) === target) {
      pointerMs = performance.now() - t0;
    }
    if (!Number.isNaN(pointerMs) && isolates.serving.every((v) => v === target)) {
      return { pointerMs, edgesMs: performance.now() - t0 };
    }
    await sleep(5);
  }
  throw new Error(`Version ${target} of '${name}' not served everywhere within 30 s`);
}

async function run(
  mode: "poll" | "webhook",
): Promise<{ samples: Sample[]; note: string; failures: number }> {
  const env = await serviceEnv("mlflow", "gateway");
  const name = `bench_${mode}_${crypto.randomUUID().slice(0, 6)}`;
  const secret = crypto.randomUUID();
  const mlflow = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  await mlflow.register(onnxPackage(name, { seed: 1 }));
  await mlflow.register(onnxPackage(name, { seed: 2 }));
  await mlflow.setAlias(name, "champion", "1");
  const service = createSyncService(
    resolveRegistryConfig({
      MLFLOW_TRACKING_URI: env.MLFLOW_TRACKING_URI,
      UPSTASH_REDIS_REST_URL: env.UPSTASH_REDIS_REST_URL,
      UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_ADMIN_TOKEN,
      REGISTRY_MODELS: name,
      REGISTRY_POLL_INTERVAL_MS: String(mode === "poll" ? REGISTRY_POLL_MS : 3_600_000),
      REGISTRY_WEBHOOK_SECRET: secret,
    }),
    { log: () => {} },
  );
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    service.app.fetch,
  );
  const url = `http://127.0.0.1:${server.addr.port}/webhooks/mlflow`;
  await service.worker.start();
  let note = mode === "poll"
    ? `registry poll ${REGISTRY_POLL_MS} ms, edge poll ${EDGE_POLL_POLL_MODE_MS} ms`
    : "";
  let webhookId: string | undefined;
  let afterAlias = () => Promise.resolve();
  if (mode === "webhook") {
    try {
      const created = await mlflow.client.post<{ webhook: { webhook_id: string } }>("webhooks", {
        name: `bench-${name}`,
        url,
        events: [{ entity: "MODEL_VERSION_ALIAS", action: "CREATED" }],
        secret,
        status: "ACTIVE",
      });
      webhookId = created.webhook.webhook_id;
      await sleep(1500);
      note = `real MLflow webhook, no registry polling, edge poll ${EDGE_POLL_WEBHOOK_MODE_MS} ms`;
    } catch (error) {
      note = `MLflow refused a loopback webhook (${(error as Error).message.slice(0, 80)}); ` +
        `the bench sent MLflow's signed delivery itself; no registry polling, edge poll ${EDGE_POLL_WEBHOOK_MODE_MS} ms`;
      afterAlias = async () => {
        const body = JSON.stringify({
          entity: "model_version_alias",
          action: "created",
          timestamp: new Date().toISOString(),
          data: { name, alias: "champion", version: "?" },
        });
        const id = crypto.randomUUID();
        const ts = String(Math.floor(Date.now() / 1000));
        const res = await fetch(url, {
          method: "POST",
          body,
          headers: {
            "content-type": "application/json",
            "x-mlflow-delivery-id": id,
            "x-mlflow-timestamp": ts,
            "x-mlflow-signature": signMlflowWebhook(secret, id, ts, body),
          },
        });
        await res.body?.cancel();
      };
    }
  }
  const isolates = startIsolates(
    env,
    name,
    mode === "poll" ? EDGE_POLL_POLL_MODE_MS : EDGE_POLL_WEBHOOK_MODE_MS,
  );
  try {
    while (!isolates.serving.every((v) => v === "1")) await sleep(10);
    const samples: Sample[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const target = i % 2 === 0 ? "2" : "1";
      samples.push(
        await measure(
          mlflow,
          async () => (await service.publisher.readPointer(name))?.champion.version,
          isolates,
          name,
          target,
          afterAlias,
        ),
      );
      await sleep(300 + Math.random() * 700);
    }
    return { samples, note, failures: isolates.failures() };
  } finally {
    await isolates.stop();
    if (webhookId) await mlflow.client.delete(`webhooks/${webhookId}`, {}).catch(() => {});
    await service.worker.stop();
    await server.shutdown();
  }
}

/** Edge request latency in steady state and right after swaps, under ~500 req/s. */
async function swapLatency(): Promise<string[]> {
  const env = await serviceEnv("mlflow", "gateway");
  const name = `bench_swap_${crypto.randomUUID().slice(0, 6)}`;
  const mlflow = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  await mlflow.register(onnxPackage(name, { seed: 1 }));
  await mlflow.register(onnxPackage(name, { seed: 2 }));
  await mlflow.setAlias(name, "champion", "1");
  // The sync worker runs in its own process, as in production: its
  // validation (onnxruntime smoke runs) must not share the edge's event loop.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const sync = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../registry/cli/sync.ts", import.meta.url).pathname],
    env: {
      MLFLOW_TRACKING_URI: env.MLFLOW_TRACKING_URI,
      UPSTASH_REDIS_REST_URL: env.UPSTASH_REDIS_REST_URL,
      UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_ADMIN_TOKEN,
      REGISTRY_MODELS: name,
      REGISTRY_POLL_INTERVAL_MS: "250",
      REGISTRY_PORT: String(port),
      REGISTRY_ROLLOUT_ENABLED: "false",
    },
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }, () => false);
    if (ok) break;
    await sleep(100);
  }
  const edge = createApp({
    config: defaultEdgeConfig({ defaultModel: name, pointerPollMs: 250, logLevel: "error" }),
    models: new UpstashPointerSource(
      edgeRedis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_EDGE_TOKEN }),
      [name],
    ),
    registry: new Registry(),
    logger: createLogger("error"),
  });
  await edge.warmup();
  const samples: { at: number; ms: number; ok: boolean }[] = [];
  let running = true;
  const inflight = new Set<Promise<void>>();
  const t0 = performance.now();
  const load = (async () => {
    let sent = 0;
    while (running) {
      const due = Math.floor(((performance.now() - t0) / 1000) * 500);
      for (; sent < due; sent++) {
        const started = performance.now();
        const p: Promise<void> = Promise.resolve(edge.request("/predict", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ features: { f0: (sent % 13) / 13, f1: 0.5, f2: -0.25 } }),
        })).then(async (res) => {
          await res.body?.cancel();
          samples.push({ at: started - t0, ms: performance.now() - started, ok: res.ok });
        }, () => {
          samples.push({ at: started - t0, ms: performance.now() - started, ok: false });
        }).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await sleep(5);
    }
  })();
  const swaps: number[] = [];
  try {
    await sleep(quick ? 2000 : 6000);
    for (let i = 0; i < (quick ? 2 : 6); i++) {
      await mlflow.setAlias(name, "champion", i % 2 === 0 ? "2" : "1");
      swaps.push(performance.now() - t0);
      await sleep(2500);
    }
  } finally {
    running = false;
    await load;
    await Promise.all(inflight);
    sync.kill("SIGTERM");
    await sync.status;
    await edge.close();
  }
  const inSwap = (at: number) => swaps.some((s) => at >= s && at < s + 2000);
  const firstSwap = swaps[0];
  const pct = (v: number[], q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))];
  const describe = (rows: typeof samples) => {
    const ms = rows.map((r) => r.ms).sort((a, b) => a - b);
    return `${rows.length} requests, p50 ${pct(ms, 0.5).toFixed(2)} ms, p99 ${
      pct(ms, 0.99).toFixed(2)
    } ms, failed ${rows.filter((r) => !r.ok).length}`;
  };
  const steady = samples.filter((r) => r.at > 1000 && r.at < firstSwap);
  const during = samples.filter((r) => inSwap(r.at));
  const seconds = (performance.now() - t0) / 1000;
  return [
    `  offered ~500 req/s, achieved ${(samples.length / seconds).toFixed(0)} req/s over ${
      seconds.toFixed(0)
    } s`,
    `  steady state:        ${describe(steady)}`,
    `  2 s after each swap: ${describe(during)} (${swaps.length} swaps)`,
  ];
}

if (import.meta.main) {
  console.log(`Registry benchmark: ${CHANGES} alias changes per mode, ${ISOLATES} edge isolates`);
  for (const mode of ["poll", "webhook"] as const) {
    const { samples, note, failures } = await run(mode);
    const s = summary(samples);
    console.log(`\n[${mode}] ${note}`);
    console.log(`  alias set in MLflow -> pointer moved in Redis: ${s.pointer}`);
    console.log(`  alias set in MLflow -> all ${ISOLATES} isolates serving it: ${s.edges}`);
    console.log(`  failed acquire() calls during swaps: ${failures}`);
  }
  console.log(
    "\n[edge latency during swaps] edge app in-process, registry:sync in its own process, registry poll 250 ms, edge poll 250 ms",
  );
  for (const line of await swapLatency()) console.log(line);
}
