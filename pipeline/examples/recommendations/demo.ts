/**
 * The recommendations example's demo: generated interactions, and the
 * point-in-time training set of `ctr_ranker` built from their impressions.
 *
 * @module
 */
import { loadExample } from "../../definitions/load.ts";
import type { ExampleDemo } from "../demo.ts";
import type { RankRequest } from "../../../schemas/prediction.ts";
import {
  generateInteractions,
  type InteractionOptions,
  type TimedInteraction,
} from "./generator.ts";
import { RANKER_FEATURES, RANKER_PARAMS, rankerTrainingSet } from "./training.ts";

/**
 * A `/rank` request body for the first generated user: the first `n` items
 * of the generated events with their categories and prices.
 */
export function rankExample(events: readonly TimedInteraction[], n = 5): RankRequest {
  const user = events[0].event.user_id;
  const seen = new Map<string, RankRequest["candidates"][number]>();
  for (const { event } of events) {
    if (seen.size >= n) break;
    if (!seen.has(event.item_id)) {
      seen.set(event.item_id, {
        item_id: event.item_id,
        item_category: event.item_category,
        price: event.price,
      });
    }
  }
  return { user_id: user, candidates: [...seen.values()], top_k: 3 };
}

/** The recommendations demo (options reach the generator). */
export function recommendationsDemo(options: InteractionOptions = {}): ExampleDemo {
  const events = () => generateInteractions(options);
  return {
    model: "ctr_ranker",
    source: "interactions",
    tryLines: (base) => {
      const body = rankExample(events());
      const first = body.candidates[0];
      return [
        `curl -s ${base}/rank -H 'content-type: application/json' \\
    -d '${JSON.stringify(body)}'`,
        `curl -s ${base}/features/user/${body.user_id}/online`,
        `curl -s ${base}/features/item/${first.item_id}/online`,
        `curl -s ${base}/features/user_category/${body.user_id}:${first.item_category}/online`,
      ];
    },
    eventLines: () => Promise.resolve(events().map((e) => JSON.stringify(e.event))),
    generate: (o) => {
      const data = generateInteractions({ ...options, ...o });
      return { lines: data.map((e) => JSON.stringify(e.event)) };
    },
    training: () => {
      const repo = loadExample("recommendations");
      return Promise.resolve({
        records: rankerTrainingSet(repo, events()),
        champion: repo.modelFeatures(RANKER_FEATURES),
        gbdt: RANKER_PARAMS,
        source: "generated interactions: impressions, clicked within 30 min (point-in-time)",
      });
    },
  };
}
