/**
 * `deno task services:up [name...]`: starts the named local services (default
 * all) that are not already running, waits until each answers, writes
 * `.services/env`, and exits non-zero naming any service that did not start.
 *
 * @module
 */
import { parseCommand, runCommand } from "../../pipeline/cli/command.ts";
import { defaultContext, SERVICE_NAMES, upServices } from "./mod.ts";

const USAGE = `Usage: deno task services:up [${SERVICE_NAMES.join("|")}]...
  Starts this checkout's local services (all by default) on loopback ports and writes their
  connection settings to .services/env. Ports: SERVICES_PORT_BASE or SERVICES_<NAME>_PORT.`;

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    const { positionals: names } = parseCommand(USAGE, Deno.args, {}, { positionals: true });
    const t0 = performance.now();
    try {
      const result = await upServices(defaultContext(Deno.env.toObject()), names);
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      if (result.failed.length > 0) {
        console.error(
          `[services] not started: ${result.failed.map((f) => f.name).join(", ")} (${secs} s)`,
        );
        return 1;
      }
      console.log(
        `[services] up: ${[...result.already, ...result.started].join(", ")} (${secs} s)`,
      );
    } catch (e) {
      console.error(`[services] ${e instanceof Error ? e.message : e}`);
      return 1;
    }
  });
}
