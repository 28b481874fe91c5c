/**
 * The demo's steps after the services are up, for any use case: stream →
 * workers → Postgres and Redis (checked against each other for every
 * entity type) → point-in-time training sets → two candidates in MLflow →
 * evaluate, promote and serve (`serve.ts`).
 *
 * @module
 */
import {
  type FeatureRuntime,
  openFeatureRuntime,
  parseOnlineState,
  resolveFeaturesConfig,
} from "../../../pipeline/mod.ts";
import { redisKeys } from "../../../schemas/pointer.ts";
import type { DemoSummary } from "./mod.ts";
import { promoteAndServe, type Step } from "./serve.ts";
import { createStreams, type DemoStreams, produceAll, streamNames } from "./streams.ts";
import { type DemoWorker, spawnWorker } from "./workers.ts";
import {
  compareOnlineOffline,
  expectedCounts,
  producedCounts,
  storedOutcome,
  sumCounts,
  waitForCounts,
} from "./ingest.ts";
import { exportSet, trainAndRegister } from "./training.ts";
import { type DemoStream, type DemoUseCase, SOURCES } from "./use_case.ts";

/** What {@linkcode runPipeline} works with. */
export interface PipelineRun {
  summary: DemoSummary;
  env: Record<string, string>;
  useCase: DemoUseCase;
  latencyRequests: number;
  step: Step;
  cleanups: (() => Promise<unknown>)[];
  log: (line: string) => void;
}

/** Records a check as a step that took no time. */
function checker(run: PipelineRun) {
  return (name: string, ok: boolean, detail: string) => {
    run.summary.steps.push({ name, ms: 0, ok, ...(ok ? {} : { error: detail }) });
    run.log(ok ? `✔ ${name}` : `✘ ${name}: ${detail}`);
  };
}

/** Runs every step after the services are up; throws at the first failed step. */
export async function runPipeline(run: PipelineRun): Promise<void> {
  const { summary, env, useCase, step, cleanups } = run;
  const source = useCase.repository.source(useCase.source)!;
  const names = streamNames(summary.runId, source);
  const stream = await step(
    `build the ${useCase.example} event stream`,
    () => useCase.buildStream(summary.runId, Date.now()),
  );
  const streams: DemoStreams = await step("create topic, stream, subscription", async () => {
    const s = await createStreams(env, names);
    cleanups.push(() => s.delete());
    return s;
  });
  const workers: DemoWorker[] = SOURCES.map((kind) =>
    spawnWorker(kind, useCase.example, { ...env, ...names, KINESIS_POLL_MS: "100" })
  );
  cleanups.push(() =>
    Promise.all(workers.map(async (w) => (summary.workerExitCodes[w.source] = await w.stop())))
  );
  const runtime = await ingest(run, stream, streams, workers);
  const mlflow = { trackingUri: env.MLFLOW_TRACKING_URI };
  const holdout = await train(run, runtime, stream, mlflow);
  summary.mlflowUrl = `${env.MLFLOW_TRACKING_URI}/#/models/${summary.model}`;
  const served = await promoteAndServe({
    env,
    model: summary.model,
    holdoutPath: holdout,
    useCase,
    stream,
    latencyRequests: run.latencyRequests,
    step,
    cleanups,
    onlineNewest: async (entity, id) => {
      const views = runtime.repository.viewsOfEntity(entity);
      const raws = await runtime.cache.getMany(
        views.map((v) => redisKeys.online(v.name, v.version, id)),
      );
      const newest = raws.map((raw) => parseOnlineState(raw)?.newest ?? null);
      return newest.some((n) => n === null) ? null : Math.min(...(newest as number[]));
    },
    offlineFeatures: async (entity, id, asOfMs) =>
      (await runtime.pipeline.getOfflineFeatures(entity, id, asOfMs)).features,
    produce: (kind, records) =>
      produceAll(streams.config, {
        kafka: [],
        kinesis: [],
        pubsub: [],
        [kind]: records.map((r) => ({ ...r, source: kind })),
      }).then(() => {}),
  });
  summary.evaluation = served.evaluation;
  summary.serving = served.serving;
}

/** Produces the stream, waits for the workers, and checks Postgres and Redis. */
async function ingest(
  run: PipelineRun,
  stream: DemoStream,
  streams: DemoStreams,
  workers: DemoWorker[],
): Promise<FeatureRuntime> {
  const { summary, env, useCase, step, cleanups, log } = run;
  const check = checker(run);
  const since = new Date(Date.now() - 5_000);
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
    () => storedOutcome(env.DATABASE_URL, useCase.source, summary.runId, since),
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
    { skipWarm: true, repository: useCase.repository },
  );
  cleanups.push(() => runtime.close());
  const types = Object.keys(stream.entities).join(" and ");
  const online = await step(
    `read every ${types}'s features from Redis and Postgres`,
    () => compareOnlineOffline(runtime, stream.entities, Date.now()),
  );
  check(
    `Redis = Postgres for every ${types}`,
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
  return runtime;
}

/** Exports the training and held-out sets, trains both candidates; returns the held-out path. */
async function train(
  run: PipelineRun,
  runtime: FeatureRuntime,
  stream: DemoStream,
  mlflow: { trackingUri: string },
): Promise<string> {
  const { summary, useCase, step, cleanups } = run;
  const dir = await Deno.makeTempDir({ prefix: "demo-" });
  cleanups.push(() => Deno.remove(dir, { recursive: true }));
  const repo = useCase.repository;
  const { train, holdout } = await step("export point-in-time training sets", async () => {
    // Time split: the newest 20 % is held out, as it would be in production.
    const cut = Math.floor(stream.labels.length * 0.8);
    return {
      train: await exportSet(runtime.store, repo, stream.labels.slice(0, cut), dir, "train.csv"),
      holdout: await exportSet(runtime.store, repo, stream.labels.slice(cut), dir, "holdout.csv"),
    };
  });
  const spec = {
    set: train,
    repository: repo,
    features: useCase.features,
    model: summary.model,
    mlflow,
  };
  const candidates = [
    await step(
      "train + register baseline (logreg) as champion",
      () => trainAndRegister({ ...spec, algo: "logreg", alias: "champion" }),
    ),
    await step(
      "train + register GBDT as challenger",
      () => trainAndRegister({ ...spec, algo: "gbdt", alias: "challenger" }),
    ),
  ];
  summary.training = { train, holdout, candidates, labelled: stream.labels.length };
  return holdout.path;
}
