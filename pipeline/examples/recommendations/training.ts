/**
 * The training set and the offline evaluation of `ctr_ranker`.
 *
 * Every impression is one row: the user's, the item's and the user ×
 * category's features as of the impression time (point in time, strictly
 * before it), the request-time ratios and the item's price. Its label is 1
 * when the same user clicks the same item in `(T, T + 30 min]` after the
 * impression at T, else 0 — computed from the events themselves, not from
 * the generator's internals.
 *
 * The evaluation splits impressions by time (the last quarter held out),
 * trains the GBDT on the rest and compares it on the held-out impressions
 * with a popularity baseline from the same training events (an item's
 * clicks in the training period): ROC AUC over impressions and NDCG@10 over
 * slates (one user's impressions at one instant).
 *
 * @module
 */
import type { FeatureRepository } from "../../definitions/repository.ts";
import { pointInTimeFromEvents, type TimedEvent, type TrainingRecord } from "../../training_set.ts";
import { buildDataset } from "../../train/dataset.ts";
import { type GbdtParams, predictGbdt, trainGbdt } from "../../train/gbdt.ts";
import { rocAuc } from "../../train/binary_metrics.ts";

/** The inputs of `ctr_ranker`: the user's, the item's, the user × category's, ratios and price. */
export const RANKER_FEATURES = [
  "user_impressions_24h",
  "user_clicks_24h",
  "user_purchases_7d",
  "user_distinct_categories_7d",
  "seconds_since_last_click",
  "item_impressions_1h",
  "item_clicks_1h",
  "item_impressions_24h",
  "item_clicks_24h",
  "user_category_clicks_7d",
  "user_ctr_24h",
  "item_ctr_24h",
  "price",
] as const;

/** How long after an impression a click of the same user on the same item counts. */
export const CLICK_WINDOW_MS = 30 * 60_000;

/** The GBDT parameters of `ctr_ranker`. */
export const RANKER_PARAMS: GbdtParams = {
  nTrees: 80,
  maxDepth: 3,
  learningRate: 0.08,
  minLeaf: 30,
};

/** The label of every impression: 1 when its user clicks its item within 30 minutes after. */
export function labelImpressions(events: readonly TimedEvent[]): Map<string, 0 | 1> {
  const clicks = new Map<string, number[]>();
  for (const { event, timeMs } of events) {
    if (event.event_type !== "click") continue;
    const key = `${event.user_id}\u0000${event.item_id}`;
    const list = clicks.get(key) ?? [];
    list.push(timeMs);
    clicks.set(key, list);
  }
  const labels = new Map<string, 0 | 1>();
  for (const { event, timeMs } of events) {
    if (event.event_type !== "impression") continue;
    const times = clicks.get(`${event.user_id}\u0000${event.item_id}`) ?? [];
    const hit = times.some((c) => c > timeMs && c <= timeMs + CLICK_WINDOW_MS);
    labels.set(String(event.event_id), hit ? 1 : 0);
  }
  return labels;
}

/** The point-in-time rows of every impression, labelled (`label`). */
export function rankerTrainingSet(
  repository: FeatureRepository,
  events: readonly TimedEvent[],
): TrainingRecord[] {
  const labels = labelImpressions(events);
  return pointInTimeFromEvents(
    repository,
    "interactions",
    events,
    (e) => labels.get(String(e.event.event_id)) ?? 0,
  ).filter((r) => r.event_type === "impression");
}

/** NDCG@k of each group (groups without a positive skipped), averaged. */
export function meanNdcgAtK(
  groups: readonly { label: number; score: number; tie: string }[][],
  k = 10,
): number {
  let sum = 0, n = 0;
  for (const g of groups) {
    const positives = g.filter((r) => r.label > 0).length;
    if (positives === 0) continue;
    // Ties broken by a neutral key (the item id), never by the slate's order (position bias).
    const ranked = [...g].sort((a, b) => b.score - a.score || (a.tie < b.tie ? -1 : 1));
    let dcg = 0, idcg = 0;
    for (let i = 0; i < Math.min(k, ranked.length); i++) {
      if (ranked[i].label > 0) dcg += 1 / Math.log2(i + 2);
      if (i < positives) idcg += 1 / Math.log2(i + 2);
    }
    sum += dcg / idcg;
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

/** Held-out figures of a scorer. */
export interface RankingFigures {
  rocAuc: number;
  ndcgAt10: number;
}

/** The result of {@linkcode evaluateRanker}. */
export interface RankerEvaluation {
  trainRows: number;
  heldOutRows: number;
  heldOutPositives: number;
  heldOutSlates: number;
  model: RankingFigures;
  popularity: RankingFigures;
}

/**
 * Trains the ranker on the first `1 − heldOut` of impressions by time and
 * evaluates it and the popularity baseline on the rest.
 */
export function evaluateRanker(
  repository: FeatureRepository,
  events: readonly TimedEvent[],
  heldOut = 0.25,
): RankerEvaluation {
  const rows = rankerTrainingSet(repository, events);
  const cut = Math.floor(rows.length * (1 - heldOut));
  const cutTime = String(rows[cut].as_of);
  const train = rows.filter((r) => String(r.as_of) < cutTime);
  const test = rows.filter((r) => String(r.as_of) >= cutTime);
  const m = repository.modelFeatures(RANKER_FEATURES);
  const options = { label: "label", inputs: m.inputs, requestFeatures: m.requestFeatures };
  const columns = Object.keys(rows[0]);
  const trainSet = buildDataset({ source: "train", columns, records: train }, options);
  const testSet = buildDataset({ source: "held-out", columns, records: test }, options);
  const model = trainGbdt(trainSet.x, trainSet.y, trainSet.inputs.length, RANKER_PARAMS);
  const p = predictGbdt(model, testSet.x);
  // Popularity: each item's clicks during the training period.
  const clicks = new Map<string, number>();
  const cutMs = Date.parse(cutTime);
  for (const { event, timeMs } of events) {
    if (event.event_type === "click" && timeMs < cutMs) {
      clicks.set(String(event.item_id), (clicks.get(String(event.item_id)) ?? 0) + 1);
    }
  }
  const pop = test.map((r) => clicks.get(String(r.item_id)) ?? 0);
  const y = testSet.y;
  const slates = (score: ArrayLike<number>) => {
    const by = new Map<string, { label: number; score: number; tie: string }[]>();
    test.forEach((r, i) => {
      const key = `${r.user_id}@${r.as_of}`;
      const g = by.get(key) ?? [];
      g.push({ label: y[i], score: score[i], tie: String(r.item_id) });
      by.set(key, g);
    });
    return [...by.values()];
  };
  const groups = slates(p);
  return {
    trainRows: train.length,
    heldOutRows: test.length,
    heldOutPositives: y.reduce((a, b) => a + b, 0),
    heldOutSlates: groups.filter((g) => g.some((r) => r.label > 0)).length,
    model: { rocAuc: rocAuc(y, p), ndcgAt10: meanNdcgAtK(groups) },
    popularity: { rocAuc: rocAuc(y, pop), ndcgAt10: meanNdcgAtK(slates(pop)) },
  };
}
