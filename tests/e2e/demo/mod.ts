/**
 * The end-to-end demo on the real local services: sample events replayed to
 * Kafka, Kinesis and Pub/Sub → ingest worker processes → features in
 * Postgres and Redis → point-in-time training set → two models trained and
 * registered in MLflow → evaluated and promoted → published to Redis → the
 * edge (`deno serve edge/deploy.ts`) serving the `champion` → predictions
 * over real HTTP. {@linkcode runDemo} returns a {@linkcode DemoSummary};
 * `tests/e2e/demo.ts` prints it.
 *
 * @module
 */
import { defaultContext, downServices, upServices } from "../../../deploy/services/mod.ts";
import { serviceEnv, type ServiceName } from "../../_services.ts";
import type { EvaluationOutcome } from "./registry.ts";
import { promoteAndServe, type ServingOutcome, type Step } from "./serve.ts";
import { buildDemoStream, SOURCES } from "./events.ts";
import { createStreams, type DemoStreams, produceAll, streamNames } from "./streams.ts";
import { type DemoWorker, spawnWorker } from "./workers.ts";
import {
  compareOnlineOffline,
  expectedCounts,
  type IngestOutcome,
  producedCounts,
  storedOutcome,
  sumCounts,
  waitForCounts,
} from "./ingest.ts";
import {
  type Candidate,
  type ExportedSet,
  exportSet,
  referenceLabels,
  trainAndRegister,
} from "./training.ts";
import {
  loadExample,
  openFeatureRuntime,
  parseOnlineState,
  resolveFeaturesConfig,
} from "../../../pipeline/mod.ts";

const DEMO_VIEW = loadExample("fraud").view("user_transactions")!;
import { redisKeys } from "../../../schemas/pointer.ts";

export { formatSummary } from "./report.ts";

const ALL_SERVICES: ServiceName[] = [
  "postgres",
  "redis",
  "gateway",
  "kafka",
  "kinesis",
  "pubsub",
  "mlflow",
];

/** Options of {@linkcode runDemo}. */
export interface DemoOptions {
  /** Makes every name of the run unique (default: 8 random hex digits). */
  runId?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Requests of each latency run (default 2000). */
  latencyRequests?: number;
  /** Env handed to services that must be started (default: the process env). */
  env?: Record<string, string>;
}

/** One step and how long it took. */
export interface DemoStep {
  name: string;
  ms: number;
  ok: boolean;
  error?: string;
}

/** Everything the demo saw. Sections are absent when the demo stopped before them. */
export interface DemoSummary {
  runId: string;
  model: string;
  ok: boolean;
  steps: DemoStep[];
  servicesStarted: string[];
  /** The registered model in MLflow's UI. */
  mlflowUrl?: string;
  ingest?: IngestOutcome & { online: { users: number; compared: number; mismatches: string[] } };
  training?: { train: ExportedSet; holdout: ExportedSet; candidates: Candidate[] };
  evaluation?: EvaluationOutcome;
  serving?: ServingOutcome;
  /** Exit code of each worker after SIGTERM (0 = drained and stopped cleanly). */
  workerExitCodes: Record<string, number>;
  totalMs: number;
}

/** Runs the demo; never throws: a failed step is recorded and the rest is skipped. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const t0 = performance.now();
  const runId = options.runId ?? crypto.randomUUID().replaceAll("-", "").slice(0, 8);
  const log = options.log ?? (() => {});
  const model = `fraud_detector_demo_${runId}`;
  const summary: DemoSummary = {
    runId,
    model,
    ok: false,
    steps: [],
    servicesStarted: [],
    workerExitCodes: {},
    totalMs: 0,
  };
  const cleanups: (() => Promise<unknown>)[] = [];
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    log(`… ${name}`);
    const s = performance.now();
    try {
      const out = await fn();
      summary.steps.push({ name, ms: performance.now() - s, ok: true });
      log(`✔ ${name} (${((performance.now() - s) / 1000).toFixed(1)} s)`);
      return out;
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      summary.steps.push({ name, ms: performance.now() - s, ok: false, error });
      log(`✘ ${name}: ${error}`);
      throw e;
    }
  };
  const ctx = defaultContext(options.env ?? Deno.env.toObject());
  try {
    const env = await step("services up", async () => {
      const up = await upServices(ctx, ALL_SERVICES, (l) => log(`  ${l}`));
      summary.servicesStarted = up.started;
      if (up.failed.length > 0) {
        throw new Error(up.failed.map((f) => `${f.name}: ${f.error.message}`).join("; "));
      }
      return await serviceEnv(...ALL_SERVICES);
    });
    await runPipeline(summary, env, runId, model, options, step, cleanups, log);
    summary.ok = summary.steps.every((s) => s.ok);
  } catch {
    summary.ok = false;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    if (summary.servicesStarted.length > 0) {
      await downServices(ctx, summary.servicesStarted, (l) => log(`  ${l}`)).catch(() => {});
    }
    summary.totalMs = performance.now() - t0;
  }
  return summary;
}

async function runPipeline(
  summary: DemoSummary,
  env: Record<string, string>,
  runId: string,
  model: string,
  options: DemoOptions,
  step: Step,
  cleanups: (() => Promise<unknown>)[],
  log: (line: string) => void,
): Promise<void> {
  const check = (name: string, ok: boolean, detail: string) => {
    summary.steps.push({ name, ms: 0, ok, ...(ok ? {} : { error: detail }) });
    log(ok ? `✔ ${name}` : `✘ ${name}: ${detail}`);
  };
  const since = new Date(Date.now() - 5_000);
  const names = streamNames(runId);
  const stream = await step("build the event stream", () => buildDemoStream(runId, Date.now()));
  const streams: DemoStreams = await step("create topic, stream, subscription", async () => {
    const s = await createStreams(env, names);
    cleanups.push(() => s.delete());
    return s;
  });
  const workers: DemoWorker[] = SOURCES.map((source) =>
    spawnWorker(source, { ...env, ...names, KINESIS_POLL_MS: "100" })
  );
  cleanups.push(() =>
    Promise.all(workers.map(async (w) => (summary.workerExitCodes[w.source] = await w.stop())))
  );
  const produced = await step(
    "replay events to Kafka, Kinesis, Pub/Sub",
    () => produceAll(streams.config, stream.records),
  );
  log(`  produced ${JSON.stringify(produced)}`);
  const expected = expectedCounts(stream);
  const ingestStart = performance.now();
  const perSource = await step(
    "workers ingest everything",
    () => waitForCounts(workers, expected, 90_000),
  );
  const ingestMs = performance.now() - ingestStart;
  const totals = sumCounts(Object.values(perSource));
  check(
    "workers counted each message once",
    JSON.stringify(totals) === JSON.stringify(expected),
    `counted ${JSON.stringify(totals)}, expected ${JSON.stringify(expected)}`,
  );
  const stored = await step(
    "read the run's events and dead letters in Postgres",
    () => storedOutcome(env.DATABASE_URL, runId, since),
  );
  check(
    "every valid event stored once",
    stored.storedEvents === stream.events.length,
    `expected ${stream.events.length} events of the run, found ${stored.storedEvents}`,
  );
  check(
    "every invalid message dead-lettered once",
    stored.deadLetters.length === stream.invalid.length,
    `expected ${stream.invalid.length} dead letters, found ${stored.deadLetters.length}`,
  );
  const runtime = await openFeatureRuntime(
    resolveFeaturesConfig({ DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL }),
    { skipWarm: true },
  );
  cleanups.push(() => runtime.close());
  const online = await step(
    "read every user's features from Redis and Postgres",
    () => compareOnlineOffline(runtime, stream.users, Date.now()),
  );
  check(
    "Redis = Postgres for every user",
    online.mismatches.length === 0,
    `${online.mismatches.length} of ${online.compared} values differ, e.g. ${
      online.mismatches.slice(0, 3).join("; ")
    }`,
  );
  summary.ingest = {
    produced: producedCounts(stream),
    perSource,
    totals,
    expected,
    ...stored,
    ms: ingestMs,
    online,
  };
  void produced;

  const dir = await Deno.makeTempDir({ prefix: "demo-" });
  cleanups.push(() => Deno.remove(dir, { recursive: true }));
  const { train, holdout } = await step("export point-in-time training sets", async () => {
    // Time split: the newest 20 % is held out, as it would be in production.
    const labels = referenceLabels(stream.events);
    const cut = Math.floor(labels.length * 0.8);
    return {
      train: await exportSet(runtime.store, labels.slice(0, cut), dir, "training_set.csv"),
      holdout: await exportSet(runtime.store, labels.slice(cut), dir, "holdout.csv"),
    };
  });
  const mlflow = { trackingUri: env.MLFLOW_TRACKING_URI };
  const candidates = [
    await step(
      "train + register baseline (logreg) as champion",
      () => trainAndRegister(train, model, "logreg", "champion", mlflow),
    ),
    await step(
      "train + register GBDT as challenger",
      () => trainAndRegister(train, model, "gbdt", "challenger", mlflow),
    ),
  ];
  summary.training = { train, holdout, candidates };

  summary.mlflowUrl = `${env.MLFLOW_TRACKING_URI}/#/models/${model}`;
  const served = await promoteAndServe({
    env,
    model,
    holdoutPath: holdout.path,
    users: stream.users,
    events: stream.events,
    latencyRequests: options.latencyRequests ?? 2000,
    step,
    cleanups,
    onlineNewest: async (user) => {
      const key = redisKeys.online(DEMO_VIEW.name, DEMO_VIEW.version, user);
      const [raw] = await runtime.cache.getMany([key]);
      return parseOnlineState(raw)?.newest ?? null;
    },
    produce: (source, records) =>
      produceAll(streams.config, {
        kafka: [],
        kinesis: [],
        pubsub: [],
        [source]: records.map((r) => ({ ...r, source })),
      }).then(() => {}),
  });
  summary.evaluation = served.evaluation;
  summary.serving = served.serving;
}
