/**
 * The serving half of the demo: both versions validated and published, the
 * edge started on the baseline champion (the challenger on a 5 % canary),
 * `model:evaluate` deciding on the held-out set while a load runs, the edge
 * hot-swapping to the promoted champion, then the reference's requests,
 * by-entity requests and the latency runs.
 *
 * @module
 */
import { MlflowRegistry } from "../../../registry/mod.ts";
import {
  type DemoEdge,
  type LatencyReport,
  latencyRun,
  type LoadStats,
  predict,
  sampleRequests,
  type Scored,
  spawnEdge,
  startLoad,
} from "./edge.ts";
import { type DemoEvent, type DemoSource, SOURCES } from "./events.ts";
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
  users: string[];
  events: DemoEvent[];
  latencyRequests: number;
  step: Step;
  cleanups: (() => Promise<unknown>)[];
  /** Time of the newest event of `user` in the online store (Redis), epoch ms. */
  onlineNewest(user: string): Promise<number | null>;
  /** Produces raw messages on one of the run's streams (the workers are still running). */
  produce(source: DemoSource, records: { key: string; value: string }[]): Promise<void>;
}

const CATEGORIES = ["grocery", "travel", "electronics", "jewelry", "cash_advance", "restaurant"];

/** A by-entity request: raw event fields, window features from Redis. */
function entityRequest(model: string, users: string[], i: number) {
  return {
    model_name: model,
    entity_id: users[i % users.length],
    features: {
      // A new amount every time: the prediction cache would otherwise answer repeated rows.
      amount: Math.round((5 + ((i * 0.37) % 2000)) * 100) / 100,
      merchant_category: CATEGORIES[i % CATEGORIES.length],
      payment_method: "credit_card",
    },
  };
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

  const load = startLoad(edge.base, 2, (i) => entityRequest(model, input.users, i));
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
 * Sends one new event per stream (three users), waits until Redis holds it,
 * then asks the edge about the user (a different amount every time, so no
 * prediction is cached) until its answer uses the new event.
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
    const user = input.users[input.users.length - 1 - k];
    const timeMs = Date.now();
    const event = {
      event_id: `fresh-${source}-${input.model}`,
      user_id: user,
      amount: 77.7,
      timestamp: new Date(timeMs).toISOString(),
      merchant_category: "travel",
      payment_method: "credit_card",
    };
    const t0 = performance.now();
    await input.produce(source, [{ key: user, value: JSON.stringify(event) }]);
    const redisMs = await until(
      `the new ${source} event of '${user}' in Redis`,
      t0,
      async () => ((await input.onlineNewest(user)) ?? 0) >= timeMs,
    );
    let i = 0;
    const edgeMs = await until(`the edge to use the new ${source} event`, t0, async () => {
      const r = await predict(base, user, {
        model_name: input.model,
        entity_id: user,
        features: { amount: 10 + i++, merchant_category: "grocery", payment_method: "credit_card" },
      });
      return r.features_as_of !== undefined && r.features_as_of !== null &&
        Date.parse(r.features_as_of) >= timeMs;
    });
    out[source] = { redisMs, edgeMs };
  }));
  return out;
}

async function score(base: string, input: ServeInput) {
  const { model, users, events } = input;
  const samples: Scored[] = [];
  for (const s of await sampleRequests()) {
    samples.push(await predict(base, s.name, { ...s.body, model_name: model }));
  }
  const byUser = new Map(events.map((e) => [e.user_id, e]));
  const byEntity: Scored[] = [];
  for (const [i, user] of users.slice(0, 5).entries()) {
    const e = byUser.get(user)!;
    byEntity.push(
      await predict(base, user, {
        model_name: model,
        entity_id: user,
        features: {
          amount: [25, 1800, 60, 4200, 310][i],
          merchant_category: i % 2 ? "jewelry" : e.merchant_category ?? "grocery",
          payment_method: e.payment_method ?? "credit_card",
        },
      }),
    );
  }
  const total = input.latencyRequests;
  const body = (i: number) => entityRequest(model, users, i + 100_000);
  const sequential = await latencyRun(base, total, 1, body);
  const concurrent = await latencyRun(base, total, 16, (i) => body(i + total));
  return { samples, byEntity, sequential, concurrent };
}
