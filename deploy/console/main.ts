/**
 * `deno task console`: the operator console against real services
 * (configuration: `deploy/console/config.ts` plus the pipeline's and the
 * registry's own variables). Requires `CONSOLE_ADMIN_TOKEN`.
 *
 * @module
 */
import { PlatformError } from "../../schemas/errors.ts";
import { resolveConsoleConfig } from "./config.ts";
import { openConsole } from "./services.ts";

if (import.meta.main) {
  try {
    const config = resolveConsoleConfig();
    const console_ = await openConsole(config, Deno.env.toObject());
    const server = Deno.serve({
      hostname: config.host,
      port: config.port,
      onListen: ({ hostname, port }) =>
        console.log(`Console on http://${hostname}:${port}/console (admin token required)`),
    }, console_.fetch);
    const stop = async () => {
      await server.shutdown();
      await console_.close();
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } catch (error) {
    console.error(error instanceof PlatformError ? error.message : error);
    Deno.exit(1);
  }
}
