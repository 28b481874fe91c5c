/**
 * Deno Deploy entry of the edge (`deno serve --allow-net --allow-env
 * --allow-read edge/deploy.ts`): resolves the config from env once, fails
 * fast listing every problem, and starts warming the default model.
 *
 * @module
 */
import { createApp } from "./app.ts";
import { resolveEdgeConfig } from "./config.ts";
import { buildEdgeDeps } from "./wiring.ts";

const app = createApp(buildEdgeDeps(resolveEdgeConfig()));

/** The fetch handler `deno serve` and Deno Deploy call. */
export default { fetch: app.fetch } satisfies Deno.ServeDefaultExport;
