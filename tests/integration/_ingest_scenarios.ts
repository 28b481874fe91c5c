/**
 * The end-to-end scenarios every stream source must pass, run against the
 * real broker, Postgres and Redis by each `ingest_<source>_test.ts`:
 * exact features and dead letters; kill -9 mid-stream and restart; two
 * workers share the load and the survivor takes over. A source file only
 * says how to create its stream and producer.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import {
  type FeatureRuntime,
  openFeatureRuntime,
  resolveFeaturesConfig,
} from "../../pipeline/mod.ts";
import type { ProducerRecord } from "../../ingest-workers/port.ts";
import {
  deadLettersOf,
  featureMismatches,
  makeStream,
  payloadSet,
  type SpawnedWorker,
  spawnWorker,
  storedEvents,
  type TestStream,
  waitFor,
} from "../support/ingest.ts";
import { serviceEnv, type ServiceName } from "../_services.ts";

/** What a source test provides: its worker env, a producer, and how to clean up. */
export interface SourceFixture {
  workerEnv: Record<string, string>;
  send(records: ProducerRecord[]): Promise<void>;
  cleanup(): Promise<void>;
}

/** Creates a source's stream for one run (`partitions`: partitions or shards). */
export type SourceFactory = (
  env: Record<string, string>,
  runId: string,
  partitions: number,
) => Promise<SourceFixture>;

/** One run: the source plus Postgres and the pipeline to check results with. */
export interface Harness {
  runId: string;
  workerEnv: Record<string, string>;
  sql: postgres.Sql;
  runtime: FeatureRuntime;
  /** Sends `stream` in chunks, pausing `pauseMs` between them to pace it. */
  produce(stream: TestStream, chunk?: number, pauseMs?: number): Promise<void>;
  /** Waits until every valid event is stored and every invalid one dead-lettered. */
  done(stream: TestStream): Promise<void>;
  cleanup(): Promise<void>;
}

/** Options of {@linkcode defineSourceScenarios}. */
export interface ScenarioOptions {
  /** `--source` of the worker and the test name prefix. */
  source: string;
  /** The service the source needs besides postgres and redis. */
  service: ServiceName;
  /** Run-id prefix (unique names per run). */
  prefix: string;
  create: SourceFactory;
  /** Extra checks on a finished, still running worker (e.g. lag metrics). */
  checkWorker?: (worker: SpawnedWorker, t: Harness) => Promise<void>;
  /** Whether to run the two-workers scenario. Default true. */
  twoWorkers?: boolean;
}

const opts = { sanitizeOps: false, sanitizeResources: false };

async function openHarness(o: ScenarioOptions, partitions: number): Promise<Harness> {
  const env = await serviceEnv(o.service, "postgres", "redis");
  const runId = `${o.prefix}${crypto.randomUUID().slice(0, 8)}`;
  const source = await o.create(env, runId, partitions);
  const workerEnv = {
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    INGEST_MAX_BATCH: "500",
    ...source.workerEnv,
  };
  const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
  const runtime = await openFeatureRuntime(
    resolveFeaturesConfig({ DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL }),
    { skipWarm: true },
  );
  return {
    runId,
    workerEnv,
    sql,
    runtime,
    async produce(stream, chunk = 500, pauseMs = 0) {
      for (let i = 0; i < stream.records.length; i += chunk) {
        await source.send(stream.records.slice(i, i + chunk));
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    },
    async done(stream) {
      await waitFor(
        async () => (await storedEvents(sql, runId)) === stream.valid.size,
        "every valid event in Postgres",
        120_000,
      );
      await waitFor(
        async () =>
          new Set(payloadSet(await deadLettersOf(sql, runId))).size === stream.invalid.length,
        "every invalid event dead-lettered",
        120_000,
      );
    },
    async cleanup() {
      await source.cleanup().catch(() => {});
      await runtime.close();
      await sql.end();
    },
  };
}

async function withHarness(
  o: ScenarioOptions,
  partitions: number,
  fn: (t: Harness) => Promise<void>,
): Promise<void> {
  const t = await openHarness(o, partitions);
  try {
    await fn(t);
  } finally {
    await t.cleanup();
  }
}

/** Registers the scenarios of one source as Deno tests. */
export function defineSourceScenarios(o: ScenarioOptions): void {
  Deno.test({
    name: `${o.source} worker: features and dead letters are exact, duplicates counted once`,
    ...opts,
    fn: () => withHarness(o, 3, (t) => exactScenario(o, t)),
  });
  Deno.test({
    name:
      `${o.source} worker: kill -9 mid-stream and restart loses nothing and counts nothing twice`,
    ...opts,
    fn: () => withHarness(o, 3, (t) => killRestartScenario(o, t)),
  });
  if (o.twoWorkers === false) return;
  Deno.test({
    name: `${o.source} workers: two share the load and the survivor takes over`,
    ...opts,
    fn: () => withHarness(o, 4, (t) => twoWorkersScenario(o, t)),
  });
}

async function exactScenario(o: ScenarioOptions, t: Harness): Promise<void> {
  const asOf = Date.now();
  const stream = makeStream(t.runId, {
    events: 1500,
    users: 15,
    dupEvery: 7,
    invalid: 9,
    asOfMs: asOf,
  });
  await t.produce(stream);
  const worker = spawnWorker(o.source, t.workerEnv);
  try {
    await t.done(stream);
    await waitFor(async () => (await worker.readyStatus()) === 200, "worker ready");
    await o.checkWorker?.(worker, t);
  } finally {
    assert.equal(await worker.stop(), 0, `worker exits cleanly on SIGTERM:\n${worker.logs()}`);
  }
  assert.deepEqual(await featureMismatches(t.runtime.pipeline, stream, asOf), []);
  // Each invalid message exactly once (no replay happened), and nothing else of this run.
  assert.deepEqual(payloadSet(await deadLettersOf(t.sql, t.runId)), payloadSet(stream.invalid));
}

async function killRestartScenario(o: ScenarioOptions, t: Harness): Promise<void> {
  const asOf = Date.now();
  const stream = makeStream(t.runId, {
    events: 6000,
    users: 30,
    dupEvery: 5,
    invalid: 12,
    asOfMs: asOf,
  });
  const first = spawnWorker(o.source, t.workerEnv);
  // Paced (6 000 events over a second or more) so the kill lands mid-stream
  // even when one idle worker could drain the whole stream at once.
  const producing = t.produce(stream, 200, 40);
  await waitFor(
    async () => (await storedEvents(t.sql, t.runId)) > 300,
    "the first worker to make progress",
  );
  await first.kill();
  const stored = await storedEvents(t.sql, t.runId);
  await producing;
  const second = spawnWorker(o.source, t.workerEnv);
  try {
    await t.done(stream);
  } finally {
    assert.equal(await second.stop(), 0, second.logs());
  }
  assert.ok(stored < stream.valid.size, `the kill happened mid-stream (${stored} stored)`);
  assert.deepEqual(await featureMismatches(t.runtime.pipeline, stream, asOf), []);
  const dead = payloadSet(await deadLettersOf(t.sql, t.runId));
  assert.deepEqual([...new Set(dead)], payloadSet(stream.invalid));
}

async function twoWorkersScenario(o: ScenarioOptions, t: Harness): Promise<void> {
  const asOf = Date.now();
  const base = { users: 40, invalid: 4, asOfMs: asOf };
  const firstHalf = makeStream(t.runId, { ...base, events: 2000, dupEvery: 9 });
  const a = spawnWorker(o.source, t.workerEnv);
  const b = spawnWorker(o.source, t.workerEnv);
  try {
    await waitFor(
      async () => (await a.readyStatus()) === 200 && (await b.readyStatus()) === 200,
      "both ready",
    );
    await t.produce(firstHalf, 100);
    await waitFor(
      async () => (await storedEvents(t.sql, t.runId)) === firstHalf.valid.size,
      "first half",
    );
    // A worker counts a batch in its metrics just after the commit that made
    // it visible in Postgres: wait for the counters to catch up.
    let byA = 0, byB = 0;
    await waitFor(async () => {
      [byA, byB] = [await a.counted("accepted"), await b.counted("accepted")];
      return byA + byB >= firstHalf.valid.size;
    }, "both workers' counters");
    assert.ok(byA > 0 && byB > 0, `both workers committed events (a=${byA}, b=${byB})`);
    assert.equal(byA + byB, firstHalf.valid.size);
    await a.kill();
    const secondHalf = makeStream(t.runId, { ...base, events: 2000, offset: 2000 });
    await t.produce(secondHalf, 100);
    const all: TestStream = {
      records: [],
      users: firstHalf.users,
      valid: new Map([...firstHalf.valid, ...secondHalf.valid]),
      invalid: [...firstHalf.invalid, ...secondHalf.invalid],
    };
    await t.done(all);
    assert.deepEqual(await featureMismatches(t.runtime.pipeline, all, asOf), []);
  } finally {
    await a.kill();
    assert.equal(await b.stop(), 0, b.logs());
  }
}
