/**
 * `deno task demo`: the whole platform end to end on the real local services
 * (started when not up, and stopped again if this run started them).
 * Prints progress, then a summary; exits non-zero when a step failed.
 * `--summary-json <file>` also writes the summary as JSON (the test reads it).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { formatSummary, runDemo } from "./demo/mod.ts";
import { exitWithHelp } from "../_help.ts";

exitWithHelp(import.meta.url);

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "summary-json": { type: "string" },
      requests: { type: "string", default: "2000" },
    },
  });
  // The Pub/Sub client otherwise probes for a GCE metadata server the emulator does not need.
  Deno.env.set("METADATA_SERVER_DETECTION", "none");
  const t0 = new Date();
  console.log(`Demo started at ${t0.toISOString()}`);
  const summary = await runDemo({
    latencyRequests: Number(values.requests),
    log: (line) => console.log(line),
  });
  console.log(formatSummary(summary));
  if (values["summary-json"]) {
    await Deno.writeTextFile(values["summary-json"], JSON.stringify(summary, null, 2));
  }
  Deno.exit(summary.ok ? 0 : 1);
}
