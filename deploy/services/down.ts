/**
 * `deno task services:down [name...]`: stops the named local services
 * (default all) by process group and removes their entries from
 * `.services/env`.
 *
 * @module
 */
import { defaultContext, downServices } from "./mod.ts";

if (import.meta.main) {
  const names = Deno.args.filter((a) => !a.startsWith("-"));
  try {
    await downServices(defaultContext(Deno.env.toObject()), names);
  } catch (e) {
    console.error(`[services] ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
