/**
 * `deno task bench:soak`: the embedded platform (`deno task start`, first
 * start on an empty `DATA_DIR`) serving `/predict` while it ingests.
 *
 * Load: wrk (Debian package) at 16 connections, 2 threads, `POST /predict`
 * with `entity_id` bodies over the users the soak ingests for
 * (`tests/bench/soak/predict_entity.lua`); and, from this process, batches of
 * 200 seed-style events posted to `POST /ingest/events` at 850 events/s
 * (`tests/bench/soak/_ingest.ts`, a Deno load generator).
 *
 * In one run:
 * 1. `/predict` alone (`--baseline-seconds`, 60), after a 10 s warm-up;
 * 2. `/predict` with ingest alongside (`--minutes`, 8); RSS, the DATA_DIR's
 *    size and the heaps every 30 s;
 * 3. `/predict` alone again, on the data the soak stored: the p99 "without
 *    ingest" the target compares with;
 * 4. every user's `transaction_count_24h`, offline (store) and online, must
 *    equal the events it was sent.
 *
 * Prints p50/p99/max of `/predict`, non-2xx, events ingested, ingest
 * latency, RSS over time, and each target met or not. Exits non-zero when an
 * event is lost or a request fails (not on timing). `--quick` is a 1-minute
 * smoke run. Options: `--minutes`, `--baseline-seconds`, `--rate`,
 * `--batch`, `--users`, `--connections`, `--port`, `--keep` (keep DATA_DIR),
 * `--root <dir>` (soak another checkout, e.g. an export of `main`, to compare).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { IngestLoad, quantile } from "./soak/ingest_load.ts";
import {
  diskMb,
  metricSum,
  type PlatformProcess,
  startPlatform,
  verifyCounts,
} from "./soak/platform.ts";
import { runPredictLoad, type SoakWrk } from "./soak/_wrk.ts";
import { exitWithHelp } from "../_help.ts";

exitWithHelp(import.meta.url);

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    minutes: { type: "string" },
    "baseline-seconds": { type: "string" },
    rate: { type: "string", default: "850" },
    batch: { type: "string", default: "200" },
    users: { type: "string", default: "5000" },
    connections: { type: "string", default: "16" },
    port: { type: "string" },
    keep: { type: "boolean", default: false },
    root: { type: "string" },
  },
});
const MINUTES = Number(args.minutes ?? (args.quick ? 1 : 8));
const BASELINE_S = Number(args["baseline-seconds"] ?? (args.quick ? 15 : 60));
const RATE = Number(args.rate);
const BATCH = Number(args.batch);
const USERS = Number(args.users);
const CONNECTIONS = Number(args.connections);
const SAMPLE_S = args.quick ? 10 : 30;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const loadAvg = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
const dataDir = await Deno.makeTempDir({ prefix: "rtml-soak-" });
const userPrefix = `soak${Date.now().toString(36)}_u`;
const wrkEnv = { BENCH_USERS: String(USERS), BENCH_USER_PREFIX: userPrefix };
const predict = (url: string, seconds: number, run: number) =>
  runPredictLoad({
    url,
    connections: CONNECTIONS,
    seconds,
    env: { ...wrkEnv, BENCH_RUN: `${run}` },
  });

console.error(`Load average before: ${loadAvg()} (${navigator.hardwareConcurrency} CPUs)`);
console.error(`Starting deno task start on ${dataDir}…`);
const platform: PlatformProcess = await startPlatform({
  dataDir,
  port: Number(args.port ?? freePort()),
  root: args.root,
});
const rssAtReady = platform.rssMb();
console.error(
  `Ready in ${(platform.readyMs / 1000).toFixed(1)} s, RSS ${rssAtReady.toFixed(0)} MB`,
);

interface Sample {
  t: number;
  rss: number;
  disk: number;
  events: number;
  mainHeap: number;
  workerHeap: number;
  onlineKeys: number;
  onlineMb: number;
}
const samples: Sample[] = [];
let failed = false;
let before: SoakWrk, during: SoakWrk, after: SoakWrk;
let load: IngestLoad;
let metricsText = "";
try {
  await predict(`${platform.baseUrl}/predict`, 10, 0); // warm-up, not measured
  console.error(`/predict alone for ${BASELINE_S} s…`);
  before = await predict(`${platform.baseUrl}/predict`, BASELINE_S, 1);
  const rssBefore = platform.rssMb();

  console.error(`/predict with ${RATE} events/s ingested alongside for ${MINUTES} min…`);
  load = new IngestLoad({
    baseUrl: platform.baseUrl,
    eventsPerSecond: RATE,
    batchSize: BATCH,
    users: USERS,
    userPrefix,
  });
  const t0 = performance.now();
  const sample = async () => {
    const text = await (await fetch(`${platform.baseUrl}/metrics`)).text();
    const s: Sample = {
      t: (performance.now() - t0) / 1000,
      rss: platform.rssMb(),
      disk: diskMb(dataDir),
      events: load.totals.accepted,
      mainHeap: metricSum(text, "nodejs_heap_size_used_bytes") / 2 ** 20,
      workerHeap: metricSum(text, 'embedded_pipeline_heap_bytes{kind="used"}') / 2 ** 20,
      onlineKeys: metricSum(text, "embedded_online_cache_keys"),
      onlineMb: metricSum(text, "embedded_online_cache_bytes") / 2 ** 20,
    };
    samples.push(s);
    console.error(
      `  ${s.t.toFixed(0).padStart(4)} s: RSS ${s.rss.toFixed(0)} MB, ` +
        `${s.events} events, DATA_DIR ${s.disk.toFixed(0)} MB, heap main ${
          s.mainHeap.toFixed(0)
        } MB / pipeline ${s.workerHeap.toFixed(0)} MB, online ${s.onlineKeys} keys ${
          s.onlineMb.toFixed(1)
        } MB, load ${loadAvg()}`,
    );
  };
  await sample();
  const timer = setInterval(() => void sample(), SAMPLE_S * 1000);
  load.start();
  try {
    during = await predict(`${platform.baseUrl}/predict`, MINUTES * 60, 2);
  } finally {
    clearInterval(timer);
    await load.stop();
  }
  await sample();
  console.error(`/predict alone again for ${BASELINE_S} s (on the stored data)…`);
  after = await predict(`${platform.baseUrl}/predict`, BASELINE_S, 3);
  const rssAfter = platform.rssMb();

  console.error(`Checking every user's counts offline and online…`);
  const mismatches = await verifyCounts(platform.baseUrl, load);
  metricsText = await (await fetch(`${platform.baseUrl}/metrics`)).text();
  const onlineErrors = metricSum(metricsText, "ml_online_store_errors_total");
  const stored = metricSum(metricsText, 'features_events_total{outcome="accepted"}');

  // The report.
  const t = load.totals;
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
  const line = (name: string, w: SoakWrk) =>
    `${name}: ${w.requests} requests (${(w.requests / w.seconds).toFixed(0)}/s), p50 ${
      ms(w.p50Us)
    }, p99 ${ms(w.p99Us)}, p99.9 ${ms(w.p999Us)}, max ${ms(w.maxUs)}, non-2xx ${w.non2xx}, ` +
    `socket errors ${w.socketErrors}`;
  const firstMinute = samples.find((s) => s.t >= 60) ?? samples.at(-1)!;
  const end = samples.at(-1)!;
  const growth = (end.rss - firstMinute.rss) / firstMinute.rss;
  const ratio = during.p99Us / after.p99Us;
  const lost = t.sent - t.accepted;
  const ok = {
    non2xx: during.non2xx + during.socketErrors === 0,
    p99: ratio <= 2,
    events: t.failed === 0 && lost === 0 && mismatches.length === 0 && t.duplicate === 0,
    rate: t.accepted / t.seconds >= 800,
    rss: Math.abs(growth) <= 0.15,
  };
  const yes = (b: boolean) => (b ? "met" : "NOT MET");
  console.log(`\n=== bench:soak (${MINUTES} min, ${CONNECTIONS} connections, wrk 2 threads)`);
  console.log(`load average at the end: ${loadAvg()}`);
  console.log(line("/predict alone, before", before));
  console.log(line("/predict with ingest   ", during));
  console.log(line("/predict alone, after ", after));
  console.log(
    `ingest: ${t.accepted} of ${t.sent} events accepted in ${t.requests} requests ` +
      `(${(t.accepted / t.seconds).toFixed(0)} events/s), ${t.failed} failed, ${t.duplicate} ` +
      `duplicate, ${t.rejected} rejected; request p50 ${
        quantile(t.latenciesMs, 0.5).toFixed(1)
      } ms, ` +
      `p99 ${quantile(t.latenciesMs, 0.99).toFixed(1)} ms, max ${
        quantile(t.latenciesMs, 1).toFixed(1)
      } ms`,
  );
  if (t.failures.length > 0) console.log(`  failures: ${t.failures.join(" | ")}`);
  console.log(
    `stored and online: ${USERS - mismatches.length} of ${USERS} users match what they were ` +
      `sent; features_events_total accepted ${stored}; online store errors ${onlineErrors}`,
  );
  if (mismatches.length > 0) console.log(`  mismatches: ${JSON.stringify(mismatches.slice(0, 5))}`);
  console.log(
    `RSS: ${rssAtReady.toFixed(0)} MB at ready, ${rssBefore.toFixed(0)} MB after /predict alone, ` +
      `${firstMinute.rss.toFixed(0)} MB after the soak's first minute, ${
        end.rss.toFixed(0)
      } MB at its end (${(growth * 100).toFixed(1)} %), ${rssAfter.toFixed(0)} MB after`,
  );
  console.log("RSS over time (s: MB, DATA_DIR MB, events):");
  console.log(
    "  " +
      samples.map((s) =>
        `${s.t.toFixed(0)}: ${s.rss.toFixed(0)}, ${s.disk.toFixed(0)}, ${s.events}`
      )
        .join(" | "),
  );
  console.log(
    `targets: 0 non-2xx ${yes(ok.non2xx)}; p99 ${ratio.toFixed(2)}× the p99 alone after ` +
      `(${(during.p99Us / before.p99Us).toFixed(2)}× the one before), ≤ 2× ${yes(ok.p99)}; ` +
      `no lost or failed events ${yes(ok.events)}; ≥ 800 events/s ${yes(ok.rate)}; ` +
      `RSS at the end within 15 % of the first minute's ${yes(ok.rss)}`,
  );
  console.log(`wrk: ${during.command}`);
  failed = !ok.non2xx || !ok.events;
} finally {
  await platform.stop();
  if (args.keep) console.error(`DATA_DIR kept: ${dataDir}`);
  else await Deno.remove(dataDir, { recursive: true });
}
if (failed) Deno.exit(1);
