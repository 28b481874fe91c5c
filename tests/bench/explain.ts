/**
 * Reason-code benchmark (`deno task bench:explain`, `--quick` for a short
 * smoke run). Needs no service: the edge (`edge/deploy.ts` under
 * `deno serve`, as `deno task edge` runs it, with jemalloc when installed)
 * serves the demo champion trained by the platform (100 trees of depth 3,
 * 8 inputs) from a local registry, and wrk at 32 connections measures, in
 * alternating rounds after an unmeasured warm-up each:
 *
 * 1. `POST /predict` with features in the body, a different vector every
 *    request, with `"explain": true` and without (target: ≥ 0.5× the req/s
 *    without), and with `"explain_top": 3` (reported);
 * 2. `POST /predict/batch` of 1000 instances with `"explain": true`, in
 *    instances/s (target ≥ 50 000), next to the same batch without (8
 *    connections: one batch takes tens of milliseconds).
 *
 * @module
 */
import { exitWithHelp } from "../_help.ts";
import { edgeServeArgs } from "../support/edge.ts";
import { batchBody, demoRegistry } from "./edge/_fixture.ts";
import { cpuSeconds, freePort, waitFor } from "./edge/_process.ts";
import { runWrk } from "./edge/_wrk.ts";

exitWithHelp(import.meta.url);

const quick = Deno.args.includes("--quick");
const LOAD_S = quick ? 2 : 10;
const WARM_S = quick ? 1 : 3;
const ROUNDS = quick ? 1 : 3;
const CONNECTIONS = 32;
/** Batches of 1000 take tens of ms each: 8 connections keep the edge busy without wrk timeouts. */
const BATCH_CONNECTIONS = 8;
const THREADS = 2;
const BATCH = 1000;
const HERE = new URL("./edge/", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const JEMALLOC = `/usr/lib/${Deno.build.arch}-linux-gnu/libjemalloc.so.2`;
const MALLOC_ENV: Record<string, string> = await Deno.stat(JEMALLOC).then(() => ({
  LD_PRELOAD: JEMALLOC,
  MALLOC_CONF: "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0",
}), () => ({}));

console.error("Training the demo model…");
const { root: registryDir } = await demoRegistry();
const plainBatch = await batchBody(BATCH);
const explainBatch = await Deno.makeTempFile({ prefix: "explain-bench-", suffix: ".json" });
await Deno.writeTextFile(
  explainBatch,
  JSON.stringify({ ...JSON.parse(await Deno.readTextFile(plainBatch)), explain: true }),
);

const port = freePort();
const base = `http://127.0.0.1:${port}`;
const edge = new Deno.Command(Deno.execPath(), {
  args: edgeServeArgs(port),
  cwd: ROOT,
  env: { ...MALLOC_ENV, EDGE_REGISTRY_DIR: registryDir, EDGE_LOG_LEVEL: "warn" },
  stdout: "inherit",
  stderr: "inherit",
}).spawn();

/** Mean req/s and CPU µs per request of each variant over the rounds. */
const runs: Record<string, { rps: number[]; cpuUs: number[]; command: string }> = {};
let run = 0;
async function measure(name: string, path: string, script: string, env: Record<string, string>) {
  const connections = path === "/predict" ? CONNECTIONS : BATCH_CONNECTIONS;
  const load = { url: `${base}${path}`, connections, threads: THREADS, script };
  await runWrk({ ...load, seconds: WARM_S, env: { ...env, BENCH_RUN: String(++run) } });
  const c0 = cpuSeconds(edge.pid);
  const r = await runWrk({ ...load, seconds: LOAD_S, env: { ...env, BENCH_RUN: String(++run) } });
  if (r.non2xx > 0 || r.socketErrors > 0) {
    throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.socketErrors} socket errors\n${r.output}`);
  }
  const x = runs[name] ??= { rps: [], cpuUs: [], command: r.command };
  x.rps.push(r.requestsPerSec);
  x.cpuUs.push((cpuSeconds(edge.pid) - c0) * 1e6 / r.requests);
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
try {
  await waitFor(`${base}/ready`, 60_000);
  const check = await fetch(`${base}/predict/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: await Deno.readTextFile(explainBatch),
  });
  const sample = await check.json();
  if (check.status !== 200 || sample.explanations?.margins?.length !== BATCH) {
    throw new Error(`The explained batch failed: ${JSON.stringify(sample).slice(0, 500)}`);
  }
  const predict = `${HERE}predict_body.lua`;
  const batch = `${HERE}batch.lua`;
  for (let round = 0; round < ROUNDS; round++) {
    console.error(`Round ${round + 1}/${ROUNDS}…`);
    await measure("predict", "/predict", predict, {});
    await measure("predict_explain", "/predict", predict, { BENCH_EXTRA: ',"explain":true' });
    await measure("predict_top3", "/predict", predict, { BENCH_EXTRA: ',"explain_top":3' });
    await measure("batch", "/predict/batch", batch, { BENCH_BATCH_BODY: plainBatch });
    await measure("batch_explain", "/predict/batch", batch, { BENCH_BATCH_BODY: explainBatch });
  }
} finally {
  edge.kill("SIGTERM");
  await edge.status;
  await Deno.remove(registryDir, { recursive: true });
  await Deno.remove(plainBatch);
  await Deno.remove(explainBatch);
}

const rps = (n: string) => mean(runs[n].rps);
const cpu = (n: string) => mean(runs[n].cpuUs);
const ratio = rps("predict_explain") / rps("predict");
const batchRows = rps("batch_explain") * BATCH;
const rows = [
  {
    name: '/predict with "explain": true vs without (demo champion, features in the body)',
    figure: `${rps("predict_explain").toFixed(0)} vs ${rps("predict").toFixed(0)} req/s = ${
      ratio.toFixed(2)
    }× (CPU ${cpu("predict_explain").toFixed(1)} vs ${cpu("predict").toFixed(1)} µs/request)`,
    target: "≥ 0.5×",
    met: ratio >= 0.5,
    cmd: runs.predict_explain.command,
  },
  {
    name: '/predict with "explain_top": 3',
    figure: `${rps("predict_top3").toFixed(0)} req/s = ${
      (rps("predict_top3") / rps("predict")).toFixed(2)
    }× without`,
    target: "(reported)",
    met: true,
    cmd: runs.predict_top3.command,
  },
  {
    name: `/predict/batch with "explain": true (${BATCH} instances)`,
    figure: `${batchRows.toFixed(0)} rows/s (without: ${(rps("batch") * BATCH).toFixed(0)} rows/s)`,
    target: "≥ 50 000 rows/s",
    met: batchRows >= 50_000,
    cmd: runs.batch_explain.command,
  },
];
console.log(`\nReason codes (${ROUNDS} alternating rounds of ${LOAD_S} s, edge: deno task edge)`);
for (const x of rows) {
  console.log(`- ${x.name}: ${x.figure} | target ${x.target} | met: ${x.met}\n    ${x.cmd}`);
}
console.log(JSON.stringify({ quick, rows }));
if (!quick && rows.some((x) => !x.met)) Deno.exit(1);
