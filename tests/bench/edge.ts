/**
 * Edge benchmark (`deno task bench:edge`, `--quick` for a short smoke run,
 * `--glibc` to run the edge without jemalloc).
 *
 * In one run, on loopback with wrk at 32 connections:
 * 1. the ceiling: a bare `Deno.serve` returning fixed JSON (again at the
 *    end: the ratios use the mean of both runs), then the same
 *    server answering a fixed body of a `/predict` response's size (measured
 *    on the floor below) with an `X-Request-ID` header;
 * 2. `edge/deploy.ts` served as `deno task edge` serves it (`deno serve`, the
 *    Deploy permissions, `EDGE_RUNTIME_FLAGS`) and as `deploy/deno_deploy/README.md`
 *    recommends self-hosting it, with jemalloc preloaded, with the demo model
 *    trained by the platform: process start → `/ready`;
 * 3. `POST /predict` with features in the body, a different vector each
 *    request (60 s; RSS read after it), next to its floor: a bare
 *    `Deno.serve` that only parses the body, scores through the same
 *    coalesced `OnnxSession` and answers the same shape
 *    (`tests/bench/edge/floor.ts`), and to that floor without inference;
 *    all with the process's CPU time per request, steadier than req/s on a
 *    shared machine;
 *
 * Each measured run follows an unmeasured warm-up run (5 s) of the same load.
 * 4. `POST /predict` by `entity_id`, online features from a real Redis
 *    through the Upstash gateway, in-isolate feature cache off; then the
 *    sensors example's `sensor_anomaly` with two entities (device and site:
 *    two views read in one MGET) the same way;
 * 5. `POST /predict/batch` with 1000 instances (instances/s);
 * 6. the recommendations example's `ctr_ranker`: `POST /rank` of one user
 *    and 100 candidates (the user's, the items' and the user × category
 *    views read in one MGET through the gateway), against `POST
 *    /predict/batch` of 100 instances with the same model's features in
 *    the body (rows/s of each, same run), then `/rank` at 8 connections
 *    (its p99).
 * 7. with `--baseline=<dir>` (a checkout of the code before a change, with
 *    `deno install` run in it): that checkout's edge and this one's, both
 *    started now with the same settings, take `/predict` with features in
 *    the body in alternating 10 s runs (baseline, current, baseline,
 *    current), each after its warm-up; the ratio of the means is reported
 *    (`--baseline-only`: that comparison alone).
 *
 * Needs `deno task services:up redis gateway`.
 *
 * @module
 */
import { serviceEnv } from "../_services.ts";
import {
  batchBody,
  demoRegistry,
  seedOnline,
  seedSensorsOnline,
  sensorsModel,
} from "./edge/_fixture.ts";
import { RANK_CANDIDATES, rankerModel, seedRanking } from "./edge/_fixture_ranker.ts";
import { cpuSeconds, freePort, rssMb, waitFor } from "./edge/_process.ts";
import { runWrk, type WrkResult } from "./edge/_wrk.ts";
import { edgeServeArgs } from "../support/edge.ts";
import { benchFlags } from "../_help.ts";

const flags = benchFlags(import.meta.url, {
  quick: { type: "boolean", default: false },
  glibc: { type: "boolean", default: false },
  baseline: { type: "string" },
  "baseline-only": { type: "boolean", default: false },
});

const quick = flags.quick;
/**
 * The edge runs with jemalloc (Debian `libjemalloc2`) returning freed pages
 * within a second, as the deploy README recommends on your own Linux host;
 * `--glibc` measures it on the default allocator instead.
 */
const glibc = flags.glibc;
/** A checkout of the code before a change, measured against this one (`--baseline=<dir>`). */
const baselineDir = flags.baseline;
const JEMALLOC = `/usr/lib/${Deno.build.arch}-linux-gnu/libjemalloc.so.2`;
if (!glibc && !(await Deno.stat(JEMALLOC).then(() => true, () => false))) {
  console.error(`${JEMALLOC} is missing: apt-get install libjemalloc2, or pass --glibc`);
  Deno.exit(2);
}
const MALLOC_ENV: Record<string, string> = glibc ? {} : {
  LD_PRELOAD: JEMALLOC,
  MALLOC_CONF: "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0",
};
const EDGE_COMMAND = [
  ...Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`),
  "deno",
  ...edgeServeArgs(),
].join(" ");
const LOAD_S = quick ? 2 : 10;
const RSS_LOAD_S = quick ? 3 : 60;
/** Unmeasured load before each measured run, so V8 and the WASM tiers are warm. */
const WARM_S = quick ? 1 : 5;
const CONNECTIONS = 32;
const THREADS = 2;
const USERS = 1000;
/** Devices per site in the two-entity run (as the sensors generator has them). */
const DEVICES_PER_SITE = 8;
const HERE = new URL("./edge/", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

const ceilingLoad = { connections: CONNECTIONS, threads: THREADS, seconds: LOAD_S };
const PREDICT_LUA = `${HERE}predict_body.lua`;

/** Runs `fn` while `ceiling.ts` listens (with a body of `bytes` when given). */
async function withCeiling(bytes: number | null, fn: (url: string) => Promise<void>) {
  const port = freePort();
  const args = ["run", "--allow-net", `${HERE}ceiling.ts`, String(port)];
  const server = new Deno.Command(Deno.execPath(), {
    args: bytes === null ? args : [...args, String(bytes)],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    await waitFor(`http://127.0.0.1:${port}/`, 10_000);
    await fn(`http://127.0.0.1:${port}`);
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
}

/** Posts one /predict body until it answers 200; returns the response text. */
async function waitForPost(url: string, timeoutMs: number): Promise<string> {
  const body = JSON.stringify({
    features: {
      hour_of_day: 1,
      day_of_week: 2,
      is_weekend: 0,
      transaction_count_24h: 3,
      avg_amount_30d: 4,
      amount: 5,
      merchant_category_encoded: 6,
      payment_method_encoded: 7,
    },
  });
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    try {
      const res = await fetch(url, {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      });
      const text = await res.text();
      if (res.status === 200) return text;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Timed out waiting for ${url}`);
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(name)) sum += Number(line.split(" ").at(-1));
  }
  return sum;
}

const env = await serviceEnv("redis", "gateway");
const upstash = { url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN };
console.error("Training the demo model and seeding Redis…");
const { root: registryDir } = await demoRegistry();
await seedOnline(upstash, USERS);
await sensorsModel(registryDir);
await seedSensorsOnline(upstash, USERS, DEVICES_PER_SITE);
await rankerModel(registryDir);
const ranking = await seedRanking(upstash);
const batchPath = await batchBody(1000);

const results: Record<string, WrkResult> = {};

if (baselineDir && flags["baseline-only"]) {
  const only = baselineRow(await compareWithBaseline(baselineDir));
  console.log(
    `- ${only.name}: ${only.figure} | target ${only.target} | met: ${only.met}\n    ${only.cmd}`,
  );
  await Deno.remove(registryDir, { recursive: true });
  await Deno.remove(batchPath);
  Deno.exit(0);
}

/** What a floor run measured. */
interface FloorRun {
  wrk: WrkResult;
  /** CPU per request of the whole process, all threads (µs). */
  cpuUs: number;
  rssIdle: number;
  rssLoaded: number;
  /** One response body. */
  sample: string;
}

/**
 * The floor of /predict: body parse + coalesced ONNX + response, nothing
 * else; with `no-model`, the same without running ONNX.
 */
async function measureFloor(mode: "model" | "no-model"): Promise<FloorRun> {
  const port = freePort();
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      `${HERE}floor.ts`,
      String(port),
      registryDir,
      mode,
    ],
    cwd: ROOT,
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    const sample = await waitForPost(`http://127.0.0.1:${port}/predict`, 30_000);
    const rssIdle = rssMb(server.pid);
    console.error(`Floor (${mode}) answers ${sample.length} bytes…`);
    const load = { url: `http://127.0.0.1:${port}/predict`, connections: CONNECTIONS };
    await runWrk({ ...load, threads: THREADS, seconds: WARM_S, script: PREDICT_LUA });
    const c0 = cpuSeconds(server.pid);
    const wrk = await runWrk({
      ...load,
      threads: THREADS,
      seconds: LOAD_S,
      script: PREDICT_LUA,
      env: { BENCH_RUN: "2" },
    });
    const cpuUs = (cpuSeconds(server.pid) - c0) * 1e6 / wrk.requests;
    return { wrk, cpuUs, rssIdle, rssLoaded: rssMb(server.pid), sample };
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
}

const floor = await measureFloor("model");
const floorBare = await measureFloor("no-model");
results.floor = floor.wrk;
results.floorBare = floorBare.wrk;
/** Bytes of a /predict-shaped response, for the same-size ceiling. */
const responseBytes = floor.sample.length;

// The ceilings: the bare server answering a small fixed JSON (to GET, and to
// the same wrk script as /predict, which spends CPU generating each body on
// the same two cores), then a body of a /predict response's size with an
// X-Request-ID header and chunked framing, as /predict answers: Deno writes a
// fixed-length response of more than 512 bytes (status line and headers
// included) in two send() calls, a chunked one in one.
await withCeiling(null, async (url) => {
  console.error("Ceiling…");
  results.ceiling = await runWrk({ url: `${url}/`, ...ceilingLoad });
  results.ceilingPost = await runWrk({
    url: `${url}/predict`,
    ...ceilingLoad,
    script: PREDICT_LUA,
  });
});
await withCeiling(responseBytes, async (url) => {
  console.error(`Ceiling with a ${responseBytes}-byte response…`);
  results.ceilingSized = await runWrk({
    url: `${url}/predict`,
    ...ceilingLoad,
    script: PREDICT_LUA,
  });
});

// The edge under deno serve with the Deploy permissions.
const edgePort = freePort();
const base = `http://127.0.0.1:${edgePort}`;
const started = performance.now();
const edge = new Deno.Command(Deno.execPath(), {
  args: edgeServeArgs(edgePort),
  cwd: ROOT,
  env: {
    ...MALLOC_ENV,
    EDGE_REGISTRY_DIR: registryDir,
    EDGE_LOG_LEVEL: "warn",
    EDGE_ONLINE_STORE: "upstash",
    EDGE_FEATURE_CACHE_TTL_MS: "0",
    UPSTASH_REDIS_REST_URL: upstash.url,
    // The edge holds the gateway's edge-role token, as in production.
    UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_EDGE_TOKEN,
  },
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
let readyMs = NaN;
let rssAfterPredict = NaN;
let edgeCpuUs = NaN;
let rssAtEnd = NaN;
let rssAtReady = NaN;
let cacheHits = NaN;
let rowsPerRun = NaN;
let onlineErrors = NaN;
let rankOnlineErrors = NaN;
try {
  readyMs = (await waitFor(`${base}/ready`, 30_000)) - started;
  rssAtReady = rssMb(edge.pid);
  console.error(`Ready after ${readyMs.toFixed(0)} ms; /predict (body)…`);
  const warm = (script: string, path: string, env?: Record<string, string>) =>
    runWrk({
      url: `${base}${path}`,
      connections: CONNECTIONS,
      threads: THREADS,
      seconds: WARM_S,
      script,
      env,
    });
  await warm(`${HERE}predict_body.lua`, "/predict", { BENCH_RUN: "1" });
  const c0 = cpuSeconds(edge.pid);
  results.predict = await runWrk({
    url: `${base}/predict`,
    connections: CONNECTIONS,
    threads: THREADS,
    seconds: RSS_LOAD_S,
    script: `${HERE}predict_body.lua`,
    env: { BENCH_RUN: "2" },
  });
  edgeCpuUs = (cpuSeconds(edge.pid) - c0) * 1e6 / results.predict.requests;
  rssAfterPredict = rssMb(edge.pid);
  cacheHits = await metric(base, "ml_prediction_cache_hits_total");
  rowsPerRun = await metric(base, "ml_onnx_coalesced_rows_sum") /
    await metric(base, "ml_onnx_coalesced_rows_count");
  console.error("/predict (entity_id through the gateway)…");
  await warm(`${HERE}predict_entity.lua`, "/predict", {
    BENCH_USERS: String(USERS),
    BENCH_RUN: "3",
  });
  results.entity = await runWrk({
    url: `${base}/predict`,
    connections: CONNECTIONS,
    threads: THREADS,
    seconds: LOAD_S,
    script: `${HERE}predict_entity.lua`,
    env: { BENCH_USERS: String(USERS), BENCH_RUN: "4" },
  });
  console.error("/predict (two entities: device + site, through the gateway)…");
  const entitiesEnv = {
    BENCH_DEVICES: String(USERS),
    BENCH_DEVICES_PER_SITE: String(DEVICES_PER_SITE),
  };
  await warm(`${HERE}predict_entities.lua`, "/predict", { ...entitiesEnv, BENCH_RUN: "7" });
  results.entities = await runWrk({
    url: `${base}/predict`,
    connections: CONNECTIONS,
    threads: THREADS,
    seconds: LOAD_S,
    script: `${HERE}predict_entities.lua`,
    env: { ...entitiesEnv, BENCH_RUN: "8" },
  });
  onlineErrors = await metric(base, "ml_online_store_errors_total");
  console.error("/predict/batch (1000 instances)…");
  await warm(`${HERE}batch.lua`, "/predict/batch", { BENCH_BATCH_BODY: batchPath });
  results.batch = await runWrk({
    url: `${base}/predict/batch`,
    connections: CONNECTIONS,
    threads: THREADS,
    seconds: LOAD_S,
    script: `${HERE}batch.lua`,
    env: { BENCH_BATCH_BODY: batchPath },
  });
  console.error(
    `/rank (${RANK_CANDIDATES} candidates through the gateway) vs /predict/batch ` +
      `(${RANK_CANDIDATES} instances, features in the body)…`,
  );
  const rankEnv = { BENCH_RANK_BODIES: ranking.rankPath };
  await warm(`${HERE}rank.lua`, "/rank", rankEnv);
  results.rank = await runWrk({
    url: `${base}/rank`,
    connections: CONNECTIONS,
    threads: THREADS,
    seconds: LOAD_S,
    script: `${HERE}rank.lua`,
    env: rankEnv,
  });
  const batch100Env = { BENCH_BATCH_BODY: ranking.batchPath };
  await warm(`${HERE}batch.lua`, "/predict/batch", batch100Env);
  results.batch100 = await runWrk({
    url: `${base}/predict/batch`,
    connections: CONNECTIONS,
    threads: THREADS,
    seconds: LOAD_S,
    script: `${HERE}batch.lua`,
    env: batch100Env,
  });
  results.rank8 = await runWrk({
    url: `${base}/rank`,
    connections: 8,
    threads: THREADS,
    seconds: LOAD_S,
    script: `${HERE}rank.lua`,
    env: rankEnv,
  });
  rankOnlineErrors = await metric(base, "ml_online_store_errors_total") - onlineErrors;
  rssAtEnd = rssMb(edge.pid);
} finally {
  edge.kill("SIGTERM");
  await edge.status;
  await Deno.remove(batchPath);
  await Deno.remove(ranking.rankPath);
  await Deno.remove(ranking.batchPath);
}

/**
 * Baseline and current edges take /predict (body) in alternating runs; mean
 * req/s and CPU µs per request of each (CPU per request is the steadier
 * figure when other work shares the machine).
 */
async function compareWithBaseline(dir: string) {
  const start = (cwd: string) => {
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: edgeServeArgs(port),
      cwd,
      env: { ...MALLOC_ENV, EDGE_REGISTRY_DIR: registryDir, EDGE_LOG_LEVEL: "warn" },
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return { child, url: `http://127.0.0.1:${port}` };
  };
  const edges = { baseline: start(dir), current: start(ROOT) };
  const runs: Record<"baseline" | "current", WrkResult[]> = { baseline: [], current: [] };
  const cpu: Record<"baseline" | "current", number[]> = { baseline: [], current: [] };
  // Alternating rounds of the comparison.
  const rounds = quick ? 1 : 4;
  try {
    for (const e of Object.values(edges)) await waitFor(`${e.url}/ready`, 30_000);
    for (let round = 0; round < rounds; round++) {
      for (const which of ["baseline", "current"] as const) {
        console.error(`/predict (body), ${which} edge, round ${round + 1}…`);
        const load = {
          url: `${edges[which].url}/predict`,
          connections: CONNECTIONS,
          threads: THREADS,
          script: PREDICT_LUA,
        };
        await runWrk({ ...load, seconds: WARM_S, env: { BENCH_RUN: "5" } });
        const c0 = cpuSeconds(edges[which].child.pid);
        const run = await runWrk({ ...load, seconds: LOAD_S, env: { BENCH_RUN: "6" } });
        cpu[which].push((cpuSeconds(edges[which].child.pid) - c0) * 1e6 / run.requests);
        runs[which].push(run);
      }
    }
  } finally {
    for (const e of Object.values(edges)) {
      e.child.kill("SIGTERM");
      await e.child.status;
    }
  }
  const mean = (xs: WrkResult[]) => xs.reduce((a, x) => a + x.requestsPerSec, 0) / xs.length;
  const avg = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  return {
    runs,
    cpu,
    baseline: mean(runs.baseline),
    current: mean(runs.current),
    baselineCpuUs: avg(cpu.baseline),
    currentCpuUs: avg(cpu.current),
  };
}
const comparison = baselineDir ? await compareWithBaseline(baselineDir) : undefined;
await Deno.remove(registryDir, { recursive: true });

// The ceiling again, once the edge has stopped: one 10 s sample of it varies
// by ±8 % on this machine, and every target is a ratio to it, so the ratios
// use the mean of the runs before and after the edge's.
await withCeiling(null, async (url) => {
  console.error("Ceiling again…");
  results.ceilingAfter = await runWrk({ url: `${url}/`, ...ceilingLoad });
});

const c = (results.ceiling.requestsPerSec + results.ceilingAfter.requestsPerSec) / 2;
const cp = results.ceilingPost.requestsPerSec;
const cs = results.ceilingSized.requestsPerSec;
const pct = (x: number) =>
  `${(100 * x / c).toFixed(0)} % of ceiling, ${
    (100 * x / cp).toFixed(0)
  } % of same-script ceiling, ${(100 * x / cs).toFixed(0)} % of same-size ceiling`;
/** One report row (a declaration: the `--baseline-only` report uses it before the others). */
function row(name: string, figure: string, target: string, ok: boolean, cmd: string) {
  return { name, figure, target, met: ok ? "yes" : "NO", cmd };
}
const r = results;
const rows = [
  row(
    "ceiling: bare Deno.serve fixed JSON (GET), mean of a run before the edge's and one after",
    `${c.toFixed(0)} req/s (${r.ceiling.requestsPerSec.toFixed(0)} before, ${
      r.ceilingAfter.requestsPerSec.toFixed(0)
    } after), p99 ${r.ceiling.p99Ms}/${r.ceilingAfter.p99Ms} ms`,
    "(reference)",
    true,
    r.ceiling.command,
  ),
  row(
    "ceiling, same POST script as /predict",
    `${cp.toFixed(0)} req/s, p99 ${r.ceilingPost.p99Ms} ms`,
    "(reference)",
    true,
    r.ceilingPost.command,
  ),
  row(
    `ceiling, same POST script, fixed ${responseBytes}-byte chunked body + X-Request-ID (a /predict response's size and framing)`,
    `${cs.toFixed(0)} req/s (${
      (100 * cs / c).toFixed(0)
    } % of ceiling), p99 ${r.ceilingSized.p99Ms} ms`,
    "(reference)",
    true,
    r.ceilingSized.command,
  ),
  row(
    "floor of /predict: bare Deno.serve + body parse + coalesced ONNX + same-shape JSON",
    `${r.floor.requestsPerSec.toFixed(0)} req/s (${
      pct(r.floor.requestsPerSec)
    }), p99 ${r.floor.p99Ms} ms, CPU ${floor.cpuUs.toFixed(1)} µs/request`,
    "(reference)",
    true,
    r.floor.command,
  ),
  row(
    "the same floor without inference: rows wait for the same coalescing flush, get fixed scores, no ONNX run",
    `${r.floorBare.requestsPerSec.toFixed(0)} req/s (${
      pct(r.floorBare.requestsPerSec)
    }), p99 ${r.floorBare.p99Ms} ms, CPU ${
      floorBare.cpuUs.toFixed(1)
    } µs/request, so inference costs ${(floor.cpuUs - floorBare.cpuUs).toFixed(1)} µs/request`,
    "(reference)",
    true,
    r.floorBare.command,
  ),
  row(
    "/predict, features in body, distinct vectors",
    `${r.predict.requestsPerSec.toFixed(0)} req/s (${
      pct(r.predict.requestsPerSec)
    }), p99 ${r.predict.p99Ms} ms, non-2xx ${r.predict.non2xx}, cache hits ${cacheHits}, ${
      rowsPerRun.toFixed(1)
    } rows per ONNX run, CPU ${edgeCpuUs.toFixed(1)} µs/request (floor ${
      floor.cpuUs.toFixed(1)
    }), ${
      (100 * r.predict.requestsPerSec / r.floor.requestsPerSec).toFixed(0)
    } % of the floor's req/s`,
    "≥ 50 % of ceiling (GET ceiling), p99 ≤ 3 ms",
    r.predict.requestsPerSec >= 0.5 * c && r.predict.p99Ms <= 3 && r.predict.non2xx === 0,
    r.predict.command,
  ),
  row(
    "/predict by entity_id via Upstash gateway → Redis, cache off",
    `${r.entity.requestsPerSec.toFixed(0)} req/s (${
      pct(r.entity.requestsPerSec)
    }), p99 ${r.entity.p99Ms} ms, non-2xx ${r.entity.non2xx}, online errors ${onlineErrors}`,
    "≥ 15 % of ceiling (GET ceiling), p99 ≤ 10 ms",
    r.entity.requestsPerSec >= 0.15 * c && r.entity.p99Ms <= 10 && r.entity.non2xx === 0,
    r.entity.command,
  ),
  row(
    "/predict with two entities (sensor_anomaly: device + site views, one MGET) via Upstash gateway → Redis, cache off",
    `${r.entities.requestsPerSec.toFixed(0)} req/s = ${
      (r.entities.requestsPerSec / r.entity.requestsPerSec).toFixed(2)
    }× the by-entity_id figure, p99 ${r.entities.p99Ms} ms, non-2xx ${r.entities.non2xx}`,
    "≥ 0.8 × /predict by entity_id",
    r.entities.requestsPerSec >= 0.8 * r.entity.requestsPerSec && r.entities.non2xx === 0,
    r.entities.command,
  ),
  row(
    "/predict/batch, 1000 instances",
    `${
      (r.batch.requestsPerSec * 1000).toFixed(0)
    } instances/s (p99 ${r.batch.p99Ms} ms/request, non-2xx ${r.batch.non2xx})`,
    "≥ 200000 instances/s",
    r.batch.requestsPerSec * 1000 >= 200_000 && r.batch.non2xx === 0,
    r.batch.command,
  ),
  row(
    `/rank, ${RANK_CANDIDATES} candidates of ctr_ranker (user once + items + user × category, one MGET) via Upstash gateway → Redis, vs /predict/batch of ${RANK_CANDIDATES} instances with the features in the body`,
    `${(r.rank.requestsPerSec * RANK_CANDIDATES).toFixed(0)} rows/s = ${
      (r.rank.requestsPerSec / r.batch100.requestsPerSec).toFixed(2)
    }× /predict/batch's ${(r.batch100.requestsPerSec * RANK_CANDIDATES).toFixed(0)} rows/s ` +
      `(p99 ${r.rank.p99Ms} vs ${r.batch100.p99Ms} ms at ${CONNECTIONS} connections), non-2xx ` +
      `${r.rank.non2xx} / ${r.batch100.non2xx}, online errors ${rankOnlineErrors}`,
    "≥ 0.5 × /predict/batch rows/s",
    r.rank.requestsPerSec >= 0.5 * r.batch100.requestsPerSec && r.rank.non2xx === 0 &&
      r.batch100.non2xx === 0,
    r.rank.command,
  ),
  row(
    `/rank, ${RANK_CANDIDATES} candidates, 8 connections`,
    `p99 ${r.rank8.p99Ms} ms, p50 ${r.rank8.p50Ms} ms, ${
      (r.rank8.requestsPerSec * RANK_CANDIDATES).toFixed(0)
    } rows/s, non-2xx ${r.rank8.non2xx}`,
    "p99 ≤ 15 ms",
    r.rank8.p99Ms <= 15 && r.rank8.non2xx === 0,
    r.rank8.command,
  ),
  row(
    "process start → /ready",
    `${readyMs.toFixed(0)} ms`,
    "≤ 1500 ms",
    readyMs <= 1500,
    EDGE_COMMAND,
  ),
  row(
    `RSS after ${RSS_LOAD_S} s of /predict load`,
    `${rssAfterPredict.toFixed(0)} MB (${rssAtReady.toFixed(0)} MB at ready, ${
      rssAtEnd.toFixed(0)
    } MB after all runs; the floor process: ${floor.rssIdle.toFixed(0)} MB idle, ${
      floor.rssLoaded.toFixed(0)
    } MB after its ${LOAD_S} s run)`,
    "≤ 150 MB",
    rssAfterPredict <= 150,
    "/proc/<pid>/status VmRSS",
  ),
];
if (comparison) rows.push(baselineRow(comparison));
console.log(
  `${quick ? "Edge benchmark (QUICK smoke run, not a measurement)" : "Edge benchmark"}${
    glibc ? ", edge on glibc malloc (--glibc)" : ", edge with jemalloc preloaded"
  }`,
);
for (const x of rows) {
  console.log(`- ${x.name}: ${x.figure} | target ${x.target} | met: ${x.met}\n    ${x.cmd}`);
}
console.log(JSON.stringify({ quick, glibc, edge: EDGE_COMMAND, rows }, null, 0));

/** The report row of a baseline comparison. */
function baselineRow(comparison: Awaited<ReturnType<typeof compareWithBaseline>>) {
  const fmt = (xs: WrkResult[]) => xs.map((x) => x.requestsPerSec.toFixed(0)).join(", ");
  return row(
    `/predict, features in body: this checkout vs --baseline=${baselineDir}, alternating runs`,
    `${comparison.current.toFixed(0)} vs ${comparison.baseline.toFixed(0)} req/s (runs: ${
      fmt(comparison.runs.current)
    } vs ${fmt(comparison.runs.baseline)}): ${
      (100 * comparison.current / comparison.baseline).toFixed(1)
    } % of the baseline; CPU ${comparison.currentCpuUs.toFixed(1)} vs ${
      comparison.baselineCpuUs.toFixed(1)
    } µs/request (runs: ${comparison.cpu.current.map((x) => x.toFixed(1)).join(", ")} vs ${
      comparison.cpu.baseline.map((x) => x.toFixed(1)).join(", ")
    }): ${
      (100 * comparison.baselineCpuUs / comparison.currentCpuUs).toFixed(1)
    } % of the baseline's requests per CPU second`,
    "≥ 97 % of the baseline",
    comparison.current >= 0.97 * comparison.baseline,
    comparison.runs.current[0].command,
  );
}
