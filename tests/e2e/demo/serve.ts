/**
 * The serving half of the demo: both versions validated and published, the
 * edge started on the baseline champion (the challenger on a 5 % canary),
 * `model:evaluate` deciding on the held-out set while a load runs, the edge
 * hot-swapping to the promoted champion, new events on each stream until the
 * edge uses them, then the use case's fixed requests, by-entity requests
 * (the view features the edge read from Redis checked against Postgres) and
 * the latency runs.
 *
 * @module
 */
import { MlflowRegistry } from "../../../registry/mod.ts";
import type { FeatureRepository } from "../../../pipeline/mod.ts";
import { entityIdOf } from "../../../pipeline/features/mod.ts";
import {
  type DemoEdge,
  type LatencyReport,
  latencyRun,
  type LoadStats,
  predict,
  rank,
  type Ranked,
  type Scored,
  spawnEdge,
  startLoad,
} from "./edge.ts";
import { type DemoSource, type DemoStream, type DemoUseCase, SOURCES } from "./use_case.ts";
import { type EvaluationOutcome, publish, type PublishedPointer, runEvaluate } from "./registry.ts";

/** Runs one named step (recorded with its time). */
export type Step = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/** What the edge did. */
export interface ServingOutcome {
  /** Version `/ready` reported before and after the promotion. */
  readyBefore: string;
  readyVersion: string;
  /** The load that ran while the challenger was evaluated and promoted. */
  duringPromotion: LoadStats & {
    /** From the pointer moving in Redis to the first answer of the new champion (ms). */
    swapMs: number | null;
  };
  samples: Scored[];
  byEntity: Scored[];
  /** `/rank` answers (use cases with candidates to rank). */
  ranked: Ranked[];
  /** One new event per stream: ms from produced to visible in Redis, and in the edge's answer. */
  freshness: Record<string, { redisMs: number; edgeMs: number }>;
  sequential: LatencyReport;
  concurrent: LatencyReport;
}

/** Inputs of {@linkcode promoteAndServe}. */
export interface ServeInput {
  env: Record<string, string>;
  model: string;
  holdoutPath: string;
  useCase: DemoUseCase;
  stream: DemoStream;
  latencyRequests: number;
  step: Step;
  cleanups: (() => Promise<unknown>)[];
  /** Time of the newest event of an entity in the online store (Redis), epoch ms. */
  onlineNewest(entity: string, id: string): Promise<number | null>;
  /** The entity's features computed from Postgres as of `asOfMs`. */
  offlineFeatures(entity: string, id: string, asOfMs: number): Promise<Record<string, number>>;
  /** Produces raw messages on one of the run's streams (the workers are still running). */
  produce(source: DemoSource, records: { key: string; value: string }[]): Promise<void>;
}

/** Publishes, serves, evaluates and promotes, and scores. */
export async function promoteAndServe(
  input: ServeInput,
): Promise<{ evaluation: EvaluationOutcome; serving: ServingOutcome }> {
  const { env, model, step } = input;
  const registryEnv = {
    MLFLOW_TRACKING_URI: env.MLFLOW_TRACKING_URI,
    UPSTASH_REDIS_REST_URL: env.UPSTASH_REDIS_REST_URL,
    UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_ADMIN_TOKEN,
    REGISTRY_MODELS: model,
  };
  const mlflow = new MlflowRegistry({ trackingUri: env.MLFLOW_TRACKING_URI });
  const before = await step(
    "validate + publish champion and challenger to Redis",
    () => publish(registryEnv, model),
  );
  const edge: DemoEdge = spawnEdge(model, env);
  input.cleanups.push(() => edge.stop());
  const readyBefore = await step("edge serves the champion", async () => {
    const r = await edge.waitReady(30_000, before.champion);
    return r.model_version;
  });

  const { useCase, stream } = input;
  const load = startLoad(edge.base, 2, (i) => useCase.loadRequest(stream, model, i));
  let loadStopped = false;
  input.cleanups.push(() => loadStopped ? Promise.resolve() : load.stop());
  const evaluation = await step(
    "model:evaluate on the held-out set (promotes if better)",
    () => runEvaluate(registryEnv, model, input.holdoutPath),
  );
  const pointer: PublishedPointer = await step(
    "sync the pointer",
    () => publish(registryEnv, model),
  );
  const aliases = await mlflow.getAliases(model);
  evaluation.aliasesAfter = aliases;
  evaluation.pointer = pointer;
  const champion = aliases.champion;
  const readyVersion = await step(`edge swaps to champion v${champion}`, async () => {
    if (!(await load.waitFor(champion, "champion", 15_000))) {
      throw new Error(`No answer from v${champion} as champion within 15 s: ${edge.logs()}`);
    }
    return (await edge.waitReady(5_000, champion)).model_version;
  });
  // A little more load after the swap, so the count shows the new champion serving.
  await new Promise((r) => setTimeout(r, 300));
  const stats = await load.stop();
  loadStopped = true;
  const first = stats.firstAt[`${champion}/champion`];
  const swapMs = champion !== before.champion && first !== undefined
    ? Math.max(0, first - pointer.updatedAtMs)
    : null;

  const freshness = await step(
    "new events: stream → worker → Redis → edge",
    () => measureFreshness(edge.base, input),
  );
  const scored = await step("score requests over HTTP", () => score(edge.base, input));
  return {
    evaluation,
    serving: {
      readyBefore,
      readyVersion,
      duringPromotion: { ...stats, swapMs },
      freshness,
      ...scored,
    },
  };
}

/**
 * Sends one new event per stream (about three entities), waits until Redis
 * holds it for each of its entities, then asks the edge about them (a new
 * body every time, so no prediction is cached) until its answer uses it.
 */
async function measureFreshness(
  base: string,
  input: ServeInput,
): Promise<ServingOutcome["freshness"]> {
  const out: ServingOutcome["freshness"] = {};
  const until = async (what: string, t0: number, ok: () => Promise<boolean>) => {
    while (!(await ok())) {
      if (performance.now() - t0 > 20_000) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return Math.round(performance.now() - t0);
  };
  await Promise.all(SOURCES.map(async (source, k) => {
    const timeMs = Date.now();
    const fresh = input.useCase.freshEvent(input.stream, input.model, k, source, timeMs);
    const about = Object.entries(fresh.entities).map(([t, id]) => `${t} '${id}'`).join(", ");
    const t0 = performance.now();
    await input.produce(source, [{ key: fresh.key, value: JSON.stringify(fresh.event) }]);
    const redisMs = await until(`the new ${source} event of ${about} in Redis`, t0, async () => {
      const newest = await Promise.all(
        Object.entries(fresh.entities).map(([t, id]) => input.onlineNewest(t, id)),
      );
      return newest.every((n) => (n ?? 0) >= timeMs);
    });
    let i = 0;
    const edgeMs = await until(`the edge to use the new ${source} event`, t0, async () => {
      const r = await predict(base, about, fresh.request(i++));
      return r.features_as_of !== undefined && r.features_as_of !== null &&
        Date.parse(r.features_as_of) >= timeMs;
    });
    out[source] = { redisMs, edgeMs };
  }));
  return out;
}

/** The request's entity ids by entity type (`entity_id` names the only entity type). */
function entitiesOf(
  repo: FeatureRepository,
  body: Record<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof body.entity_id === "string" && repo.entities.length === 1) {
    out[repo.entities[0].name] = body.entity_id;
  }
  // Every entity type whose key fields (one, or several for a composite key) the request names.
  const given = (body.entities ?? {}) as Record<string, string>;
  for (const entity of repo.entities) {
    const id = entity.keys.every((k) => k in given) ? entityIdOf(entity.keys, given) : undefined;
    if (id !== undefined) out[entity.name] = id;
  }
  return out;
}

/**
 * Compares the view features the edge used (read from Redis) with those
 * Postgres gives for the request's entities at the request's time.
 */
async function checkAgainstPostgres(
  input: ServeInput,
  scored: Scored,
  body: Record<string, unknown>,
  timeMs: number,
): Promise<void> {
  const checked: Record<string, number> = {};
  const mismatches: string[] = [];
  for (const [type, id] of Object.entries(entitiesOf(input.useCase.repository, body))) {
    const offline = await input.offlineFeatures(type, id, timeMs);
    checked[type] = 0;
    for (const [name, want] of Object.entries(offline)) {
      const got = scored.used?.[name];
      if (got === undefined) continue;
      checked[type]++;
      // The edge reports its float32 row.
      if (Math.abs(got - want) > 1e-5 * Math.max(1, Math.abs(want))) {
        mismatches.push(`${type} ${id} ${name}: edge ${got}, postgres ${want}`);
      }
    }
  }
  Object.assign(scored, { checked, mismatches });
}

async function score(base: string, input: ServeInput) {
  const { model, useCase, stream } = input;
  const shown = useCase.wording.shown;
  const samples: Scored[] = [];
  for (const s of await useCase.samples(model)) {
    samples.push(await predict(base, s.name, s.body, shown));
  }
  const byEntity: Scored[] = [];
  for (const r of useCase.byEntity(stream, model)) {
    const timeMs = Date.now();
    const body = { ...r.body, timestamp: new Date(timeMs).toISOString() };
    const scored = await predict(base, r.name, body, shown);
    if (scored.status === 200) await checkAgainstPostgres(input, scored, body, timeMs);
    byEntity.push(scored);
  }
  const ranked: Ranked[] = [];
  for (const r of useCase.rankRequests?.(stream, model) ?? []) {
    ranked.push(await rank(base, r.name, r.body));
  }
  const total = input.latencyRequests;
  const body = (i: number) => useCase.loadRequest(stream, model, i + 100_000);
  const sequential = await latencyRun(base, total, 1, body);
  const concurrent = await latencyRun(base, total, 16, (i) => body(i + total));
  return { samples, byEntity, ranked, sequential, concurrent };
}
