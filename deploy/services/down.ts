/**
 * `deno task services:down [name...]`: stops the named local services
 * (default all) by process group and removes their entries from
 * `.services/env`.
 *
 * @module
 */
import { parseCommand, runCommand } from "../../pipeline/cli/command.ts";
import { defaultContext, downServices, SERVICE_NAMES } from "./mod.ts";

const USAGE = `Usage: deno task services:down [${SERVICE_NAMES.join("|")}]...
  Stops this checkout's local services (all by default) and removes them from .services/env.`;

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    const { positionals: names } = parseCommand(USAGE, Deno.args, {}, { positionals: true });
    try {
      await downServices(defaultContext(Deno.env.toObject()), names);
    } catch (e) {
      console.error(`[services] ${e instanceof Error ? e.message : e}`);
      return 1;
    }
  });
}
