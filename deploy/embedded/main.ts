/**
 * `deno task start [--example NAME | --repo DIR]`: the whole platform in one
 * process on its embedded default (PGlite, in-memory online cache, a folder
 * registry), computing the features of a feature repository (default the
 * `fraud` example). On first start with a shipped example it loads the
 * example's demo events and trains its model.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolveEmbeddedConfig } from "./config.ts";
import { openEmbedded } from "./server.ts";

const started = performance.now();
const { values: flags } = parseArgs({
  args: Deno.args,
  options: { example: { type: "string" }, repo: { type: "string" } },
});
const env: Record<string, string | undefined> = { ...Deno.env.toObject() };
if (flags.example !== undefined || flags.repo !== undefined) {
  env.FEATURE_EXAMPLE = flags.example;
  env.FEATURE_REPO = flags.repo;
}
const config = resolveEmbeddedConfig(env);
const log = (line: string) => console.log(line);
const platform = await openEmbedded(config, env, log);
const server = Deno.serve({
  hostname: config.host,
  port: config.port,
  onListen: ({ hostname, port }) => {
    const base = `http://${hostname}:${port}`;
    const ms = Math.round(performance.now() - started);
    log(`Ready in ${ms} ms on ${base} (data in ${config.dataDir})`);
    log(`Try:\n${platform.tryLines(base).map((l) => `  ${l}`).join("\n")}`);
  },
}, platform.fetch);

const stop = async () => {
  await server.shutdown();
  await platform.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
