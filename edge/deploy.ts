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
import { ConfigError } from "../schemas/errors.ts";
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
const app = createApp({ ...buildEdgeDeps(configOrExit()), registry });

/** The config; a bad one is one line naming every problem, then exit 1 where exiting is allowed. */
function configOrExit() {
  try {
    return resolveEdgeConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`error: ${error.message}`);
    try {
      Deno.exit(1);
    } catch {
      throw error; // a runtime without Deno.exit reports the failed start itself
    }
  }
}

/** The fetch handler `deno serve` and Deno Deploy call. */
export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
