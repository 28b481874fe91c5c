/**
 * The end-to-end demo on the real local services, for one example (a use
 * case: `fraud`, the default, `sensors` or `recommendations`): its events replayed to Kafka,
 * Kinesis and Pub/Sub → ingest worker processes (`--example NAME`) →
 * features in Postgres and Redis for every entity type → point-in-time
 * training set → two models trained and registered in MLflow → evaluated
 * and promoted → published to Redis → the edge (`deno serve
 * edge/deploy.ts`) serving the `champion` → predictions over real HTTP.
 * {@linkcode runDemo} returns a {@linkcode DemoSummary}; `tests/e2e/demo.ts`
 * prints it.
 *
 * @module
 */
import { defaultContext, downServices, upServices } from "../../../deploy/services/mod.ts";
import { serviceEnv, type ServiceName } from "../../_services.ts";
import type { GeneratorOptions } from "../../../pipeline/examples/sensors/generator.ts";
import type { EvaluationOutcome } from "./registry.ts";
import type { ServingOutcome } from "./serve.ts";
import type { IngestOutcome, OnlineComparison } from "./ingest.ts";
import type { Candidate, ExportedSet } from "./training.ts";
import { runPipeline } from "./run.ts";
import { fraudUseCase } from "./fraud.ts";
import { sensorsUseCase } from "./sensors.ts";
import { recommendationsUseCase } from "./recommendations.ts";
import type { DemoUseCase } from "./use_case.ts";

export { formatSummary } from "./report.ts";
export type { DemoUseCase } from "./use_case.ts";

/** The examples the demo runs. */
export const DEMO_EXAMPLES = ["fraud", "sensors", "recommendations"] as const;

/**
 * The use case of `example`; `sensors` options reach the readings generator,
 * `hours` and `users` the interactions generator of `recommendations`.
 */
export function demoUseCase(
  example: string,
  sensors: GeneratorOptions & { users?: number } = {},
): DemoUseCase {
  if (example === "fraud") return fraudUseCase();
  if (example === "sensors") {
    if (sensors.users !== undefined) throw new Error("--users applies to recommendations only");
    return sensorsUseCase(sensors);
  }
  if (example === "recommendations") {
    if (sensors.sites !== undefined || sensors.devicesPerSite !== undefined) {
      throw new Error("--sites and --devices-per-site apply to the sensors example only");
    }
    return recommendationsUseCase({ hours: sensors.hours, users: sensors.users });
  }
  throw new Error(`Unknown example '${example}': use ${DEMO_EXAMPLES.join(", ")}`);
}

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
  /** The example to run (default fraud). */
  useCase?: DemoUseCase;
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
  /** The example run (`fraud`, `sensors`). */
  example: string;
  runId: string;
  model: string;
  ok: boolean;
  steps: DemoStep[];
  servicesStarted: string[];
  /** The registered model in MLflow's UI. */
  mlflowUrl?: string;
  ingest?: IngestOutcome & { online: OnlineComparison };
  training?: {
    train: ExportedSet;
    holdout: ExportedSet;
    candidates: Candidate[];
    /** Labelled events (every event, or only impressions for recommendations). */
    labelled: number;
  };
  evaluation?: EvaluationOutcome;
  serving?: ServingOutcome;
  /** Exit code of each worker after SIGTERM (0 = drained and stopped cleanly). */
  workerExitCodes: Record<string, number>;
  totalMs: number;
}

/** Runs the demo; never throws: a failed step is recorded and the rest is skipped. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const t0 = performance.now();
  const useCase = options.useCase ?? fraudUseCase();
  const runId = options.runId ?? crypto.randomUUID().replaceAll("-", "").slice(0, 8);
  const log = options.log ?? (() => {});
  const summary: DemoSummary = {
    example: useCase.example,
    runId,
    model: `${useCase.model}_demo_${runId}`,
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
    await runPipeline({
      summary,
      env,
      useCase,
      latencyRequests: options.latencyRequests ?? 2000,
      step,
      cleanups,
      log,
    });
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
