/**
 * `deno task bench`: every benchmark in turn, each in its own process so one
 * cannot warm or load the next. The service benchmarks need
 * `deno task services:up` first. Pass names to run a subset:
 * `deno task bench train start`.
 *
 * @module
 */
import { exitWithHelp } from "../_help.ts";

exitWithHelp(import.meta.url);
const ALL = ["train", "start", "features", "edge", "explain", "v2", "ingest", "registry"] as const;
const ROOT = new URL("../../", import.meta.url).pathname;
const wanted = Deno.args.length > 0 ? Deno.args : [...ALL];
const unknown = wanted.filter((w) => !(ALL as readonly string[]).includes(w));
if (unknown.length > 0) {
  console.error(`Unknown benchmark: ${unknown.join(", ")} (expected ${ALL.join(", ")})`);
  Deno.exit(2);
}
const failed: string[] = [];
for (const name of wanted) {
  console.log(`\n=== bench:${name}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["task", `bench:${name}`],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`\nFailed: ${failed.join(", ")}`);
  Deno.exit(1);
}
