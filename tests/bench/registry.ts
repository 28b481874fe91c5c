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
 * Needs `deno task services:up mlflow redis gateway`.
 *
 * @module
 */
import { ModelStore } from "../../edge/models/store.ts";
import { UpstashPointerSource } from "../../edge/models/upstash.ts";
import { resolveRegistryConfig } from "../../registry/config.ts";
import { MlflowRegistry } from "../../registry/mlflow.ts";
import { upstashRedis } from "../../registry/store/upstash.ts";
import { signMlflowWebhook } from "../../registry/webhook.ts";
import { createSyncService } from "../../registry/wiring.ts";
import { serviceEnv } from "../_services.ts";
import { onnxPackage } from "../contracts/model_registry_fixtures.ts";

const quick = Deno.args.includes("--quick");
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
        upstashRedis(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_REDIS_REST_TOKEN),
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
      UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_REDIS_REST_TOKEN,
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
}
