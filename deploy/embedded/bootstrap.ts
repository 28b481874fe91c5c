/**
 * First start of the embedded default: load the example's demo events
 * (rebased so the newest is now) through the real pipeline into embedded
 * Postgres (PGlite), train the example's model on point-in-time features
 * the platform computes itself, and register it as `champion` (and a
 * richer `challenger` when the example has one).
 *
 * @module
 */
import type { FeaturePipeline } from "../../pipeline/mod.ts";
import { loadJsonl, type LoadTotals } from "../../pipeline/mod.ts";
import type { ExampleDemo } from "../../pipeline/examples/demo.ts";
import type { ModelFeatures } from "../../pipeline/definitions/mod.ts";
import { trainModel, type TrainReport } from "../../pipeline/train/mod.ts";
import type { ModelRegistry } from "../../registry/mod.ts";

/** The fraud demo model's name (the default model of the embedded default). */
export const DEMO_MODEL = "fraud_detector";

/** What the bootstrap did. */
export interface BootstrapResult {
  model: string;
  events: LoadTotals;
  champion: { version: string; report: TrainReport };
  challenger: { version: string; report: TrainReport } | null;
}

/** True when `name` already has a `champion` alias. */
export async function hasChampion(registry: ModelRegistry, name: string): Promise<boolean> {
  try {
    return "champion" in await registry.getAliases(name);
  } catch (error) {
    if ((error as { code?: string }).code === "model_not_found") return false;
    throw error;
  }
}

/** Loads the demo events, and trains and registers the demo champion (and challenger). */
export async function bootstrapDemo(
  demo: ExampleDemo,
  pipeline: Pick<FeaturePipeline, "processBatch" | "repository">,
  registry: ModelRegistry,
  options: { nowMs?: number; log?: (line: string) => void } = {},
): Promise<BootstrapResult> {
  const log = options.log ?? (() => {});
  const lines = await demo.eventLines();
  const totals = await loadJsonl(pipeline, lines.join("\n"), {
    rebase: true,
    nowMs: options.nowMs ?? Date.now(),
    source: demo.source,
    origin: "demo",
  });
  log(`Loaded demo events: ${totals.accepted} accepted, ${totals.duplicate} duplicate`);
  const set = await demo.training();
  const train = async (features: ModelFeatures, alias: string) => {
    const { pkg, report } = await trainModel({
      data: {
        source: set.source,
        columns: Object.keys(set.records[0] ?? {}),
        records: set.records,
      },
      label: "label",
      name: demo.model,
      inputs: features.inputs,
      requestFeatures: features.requestFeatures,
      views: features.views,
      acceptedFields: features.acceptedFields,
      gbdt: set.gbdt,
    });
    const manifest = await registry.register(pkg);
    await registry.setAlias(demo.model, alias, manifest.version);
    log(`Trained ${demo.model} v${manifest.version} (${alias}): ${summary(report)}`);
    return { version: manifest.version, report };
  };
  const champion = await train(set.champion, "champion");
  const challenger = set.challenger ? await train(set.challenger, "challenger") : null;
  return { model: demo.model, events: totals, champion, challenger };
}

function summary(r: TrainReport): string {
  const v = r.validation;
  return `held-out ROC AUC ${v.roc_auc.toFixed(3)}, PR AUC ${v.pr_auc.toFixed(3)}, ` +
    `${r.rows} rows, ${Math.round(r.timings.totalMs)} ms`;
}
