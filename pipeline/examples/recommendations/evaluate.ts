/**
 * `deno run -A pipeline/examples/recommendations/evaluate.ts [--seed N ...]`:
 * the held-out ROC AUC and NDCG@10 of `ctr_ranker` against the popularity
 * baseline, on the generator's interactions for each seed (default the demo's,
 * 11), as the README reports them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadExample } from "../../definitions/load.ts";
import { generateInteractions } from "./generator.ts";
import { evaluateRanker } from "./training.ts";

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { seed: { type: "string", multiple: true }, hours: { type: "string" } },
  });
  const seeds = (values.seed ?? ["11"]).map(Number);
  const repo = loadExample("recommendations");
  const f = (x: number) => x.toFixed(3);
  console.log(
    "| seed | held-out impressions (clicked) | model ROC AUC | popularity ROC AUC | model NDCG@10 | popularity NDCG@10 |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const seed of seeds) {
    const hours = values.hours ? Number(values.hours) : undefined;
    const r = evaluateRanker(repo, generateInteractions({ seed, hours }));
    console.log(
      `| ${seed} | ${r.heldOutRows} (${r.heldOutPositives}) | ${f(r.model.rocAuc)} | ` +
        `${f(r.popularity.rocAuc)} | ${f(r.model.ndcgAt10)} | ${f(r.popularity.ndcgAt10)} |`,
    );
  }
}
