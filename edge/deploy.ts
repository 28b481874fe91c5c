/**
 * Deno Deploy entry of the edge (`deno serve --allow-net --allow-env
 * --allow-read edge/deploy.ts`): resolves the config from env once, fails
 * fast listing every problem, and starts warming the default model.
 *
 * @module
 */
import { Registry } from "prom-client";
import { createApp } from "./app.ts";
import { resolveEdgeConfig } from "./config.ts";
import { registerProcessMetrics } from "./process_metrics.ts";
import { buildEdgeDeps } from "./wiring.ts";

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(`Usage: deno task edge
  The prediction service alone, as Deno Deploy runs it (deno serve; PORT and HOST as deno serve
  takes them: --port, --host). Env: EDGE_* and UPSTASH_REDIS_REST_URL/TOKEN (see edge/config.ts).`);
  Deno.exit(0);
}

const registry = new Registry();
registerProcessMetrics(registry);
const app = createApp({ ...buildEdgeDeps(resolveEdgeConfig()), registry });

/** The fetch handler `deno serve` and Deno Deploy call. */
export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
