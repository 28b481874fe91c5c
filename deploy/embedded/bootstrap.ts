/**
 * First start of the embedded default: load the demo events (rebased so the
 * newest is now) through the real pipeline, train the demo `fraud_detector`
 * on point-in-time features the platform computes itself, and register it
 * as `champion` (the reference's eight inputs) with a richer `challenger`.
 *
 * @module
 */
import type { FeaturePipeline } from "../../pipeline/mod.ts";
import { buildDemoTrainingSet, CHAMPION_FEATURES, loadDemoEvents } from "../../pipeline/mod.ts";
import { loadJsonl, type LoadTotals } from "../../pipeline/mod.ts";
import { trainModel, type TrainReport } from "../../pipeline/train/mod.ts";
import type { ModelRegistry } from "../../registry/mod.ts";

/** The demo model's name. */
export const DEMO_MODEL = "fraud_detector";

/** What the bootstrap did. */
export interface BootstrapResult {
  events: LoadTotals;
  champion: { version: string; report: TrainReport };
  challenger: { version: string; report: TrainReport };
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

/** Loads the demo events and trains and registers the demo champion and challenger. */
export async function bootstrapDemo(
  pipeline: Pick<FeaturePipeline, "processBatch">,
  registry: ModelRegistry,
  options: { nowMs?: number; log?: (line: string) => void } = {},
): Promise<BootstrapResult> {
  const log = options.log ?? (() => {});
  const events = await loadDemoEvents();
  const text = events.map((e) => JSON.stringify(e)).join("\n");
  const totals = await loadJsonl(pipeline, text, {
    rebase: true,
    nowMs: options.nowMs ?? Date.now(),
    source: "demo",
  });
  log(`Loaded demo events: ${totals.accepted} accepted, ${totals.duplicate} duplicate`);
  const set = buildDemoTrainingSet(events);
  const common = {
    data: set.table,
    label: "label",
    name: DEMO_MODEL,
    featureView: set.featureView,
  };
  const champ = await trainModel({
    ...common,
    inputs: set.championInputs,
    features: [...CHAMPION_FEATURES],
  });
  const champManifest = await registry.register(champ.pkg);
  await registry.setAlias(DEMO_MODEL, "champion", champManifest.version);
  log(`Trained ${DEMO_MODEL} v${champManifest.version} (champion): ${summary(champ.report)}`);
  const chall = await trainModel({ ...common, inputs: set.challengerInputs });
  const challManifest = await registry.register(chall.pkg);
  await registry.setAlias(DEMO_MODEL, "challenger", challManifest.version);
  log(`Trained ${DEMO_MODEL} v${challManifest.version} (challenger): ${summary(chall.report)}`);
  return {
    events: totals,
    champion: { version: champManifest.version, report: champ.report },
    challenger: { version: challManifest.version, report: chall.report },
  };
}

function summary(r: TrainReport): string {
  const v = r.validation;
  return `ROC AUC ${v.roc_auc.toFixed(3)}, PR AUC ${v.pr_auc.toFixed(3)}, ` +
    `${r.rows} rows, ${Math.round(r.timings.totalMs)} ms`;
}
