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

const registry = new Registry();
registerProcessMetrics(registry);
const app = createApp({ ...buildEdgeDeps(resolveEdgeConfig()), registry });

/** The fetch handler `deno serve` and Deno Deploy call. */
export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
