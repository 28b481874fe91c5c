/**
 * The demo of each shipped example: the events the embedded platform loads
 * on its first start and the training set of the model it trains, so that
 * `deno task start --example NAME` serves at once.
 *
 * @module
 */
import type { ModelFeatures } from "../definitions/repository.ts";
import type { TrainingRecord } from "../training_set.ts";
import { buildDemoTrainingSet, CHAMPION_FEATURES, loadDemoEvents } from "./fraud/training.ts";
import { loadExample } from "../definitions/load.ts";
import type { GbdtParams } from "../train/gbdt.ts";
import { recommendationsDemo } from "./recommendations/demo.ts";
import { sensorsDemo } from "./sensors/demo.ts";

/** The demo of an example. */
export interface ExampleDemo {
  /** The model it trains. */
  model: string;
  /** The source its events go to. */
  source: string;
  /** The demo events as JSON lines (loaded with timestamps rebased to now). */
  eventLines(): Promise<string[]>;
  /** Commands to try against a platform at `base` that serves this example. */
  tryLines(base: string): string[];
  /**
   * Events of a seeded generator ending at `endMs` (`example:data --seed --hours`), when the
   * example has one; `labels` are CSV lines with a header.
   */
  generate?(options: { seed?: number; hours?: number; endMs: number }): {
    lines: string[];
    labels?: string[];
  };
  /** The point-in-time training set (`label` column) and the models' features. */
  training(): Promise<{
    records: TrainingRecord[];
    /** Where the rows came from, for the manifest. */
    source: string;
    champion: ModelFeatures;
    /** A second, richer model registered as `challenger`. */
    challenger?: ModelFeatures;
    /** GBDT hyper-parameters of the example's model (default the trainer's). */
    gbdt?: GbdtParams;
  }>;
}

const fraudDemo: ExampleDemo = {
  model: "fraud_detector",
  source: "transactions",
  tryLines: (base) => [
    `curl -s ${base}/predict -H 'content-type: application/json' \\
    -d '{"entity_id":"user_1","features":{"amount":950,"merchant_category":"electronics","payment_method":"credit_card"}}'`,
    `curl -s ${base}/predict -H 'content-type: application/json' -d @pipeline/demo_data/requests/fraud_transaction.json`,
    `curl -s ${base}/features/user/user_1/online`,
  ],
  eventLines: async () => (await loadDemoEvents()).map((e) => JSON.stringify(e)),
  training: async () => {
    const set = buildDemoTrainingSet(await loadDemoEvents());
    const repo = loadExample("fraud");
    return {
      records: set.table.records,
      source: set.table.source,
      champion: repo.modelFeatures(CHAMPION_FEATURES),
      challenger: {
        inputs: set.challengerInputs,
        requestFeatures: [],
        views: set.views,
        acceptedFields: repo.acceptedFields(),
      },
    };
  },
};

/** The demos of the shipped examples, by example name. */
export const EXAMPLE_DEMOS: Readonly<Record<string, ExampleDemo>> = Object.freeze({
  fraud: fraudDemo,
  sensors: sensorsDemo(),
  recommendations: recommendationsDemo(),
});
