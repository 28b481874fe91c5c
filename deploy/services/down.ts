/**
 * `deno task services:down [name...]`: stops the named local services
 * (default all) by process group and removes their entries from
 * `.services/env`.
 *
 * @module
 */
import { defaultContext, downServices, SERVICE_NAMES } from "./mod.ts";

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(`Usage: deno task services:down [${SERVICE_NAMES.join("|")}]...
  Stops this checkout's local services (all by default) and removes them from .services/env.`);
    Deno.exit(0);
  }
  const names = Deno.args.filter((a) => !a.startsWith("-"));
  try {
    await downServices(defaultContext(Deno.env.toObject()), names);
  } catch (e) {
    console.error(`[services] ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
