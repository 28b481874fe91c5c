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
import type { DemoEvent } from "./events.ts";
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
}

const CATEGORIES = ["grocery", "travel", "electronics", "jewelry", "cash_advance", "restaurant"];

/** A by-entity request: raw event fields, window features from Redis. */
function entityRequest(model: string, users: string[], i: number) {
  return {
    model_name: model,
    entity_id: users[i % users.length],
    features: {
      amount: Math.round((5 + (i * 7919) % 3000) * 100) / 100,
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
    UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_REDIS_REST_TOKEN,
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

  const scored = await step("score requests over HTTP", () => score(edge.base, input));
  return {
    evaluation,
    serving: {
      readyBefore,
      readyVersion,
      duringPromotion: { ...stats, swapMs },
      ...scored,
    },
  };
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
