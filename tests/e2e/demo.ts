/**
 * `deno task demo [--example fraud|sensors|recommendations]`: the whole
 * platform end to end on the real local services (started when not up, and
 * stopped again if this run started them), for the fraud example (default),
 * the sensors example or the recommendations example (which also asks
 * `/rank`). Prints progress, then a summary; exits non-zero when a step
 * failed. `--summary-json <file>` also writes the summary as JSON (the tests
 * read it); `--requests N` sets the requests of each latency run (2000);
 * `--hours`, `--sites` and `--devices-per-site` size the sensors readings
 * (the generator's defaults: 12 h, 3 sites of 8 devices, one reading per
 * device every 2 minutes); `--hours` and `--users` size the recommendations
 * interactions (72 h, 100 users).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { demoUseCase, formatSummary, runDemo } from "./demo/mod.ts";
import { exitWithHelp } from "../_help.ts";

exitWithHelp(import.meta.url);

/** A positive number option (an integer unless `fraction`), or undefined when absent. */
function count(values: Record<string, unknown>, name: string, fraction = false) {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (!fraction && !Number.isInteger(n))) {
    console.error(`--${name} must be a positive ${fraction ? "number" : "integer"}, got '${raw}'`);
    Deno.exit(2);
  }
  return n;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      example: { type: "string", default: "fraud" },
      "summary-json": { type: "string" },
      requests: { type: "string", default: "2000" },
      hours: { type: "string" },
      sites: { type: "string" },
      "devices-per-site": { type: "string" },
      users: { type: "string" },
    },
  });
  let useCase;
  try {
    useCase = demoUseCase(values.example, {
      hours: count(values, "hours", true),
      sites: count(values, "sites"),
      devicesPerSite: count(values, "devices-per-site"),
      users: count(values, "users"),
    });
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  const requests = count(values, "requests")!;
  // The Pub/Sub client otherwise probes for a GCE metadata server the emulator does not need.
  Deno.env.set("METADATA_SERVER_DETECTION", "none");
  const t0 = new Date();
  console.log(`Demo of the ${useCase.example} example started at ${t0.toISOString()}`);
  const summary = await runDemo({
    useCase,
    latencyRequests: requests,
    log: (line) => console.log(line),
  });
  console.log(formatSummary(summary, useCase.wording));
  if (values["summary-json"]) {
    await Deno.writeTextFile(values["summary-json"], JSON.stringify(summary, null, 2));
  }
  Deno.exit(summary.ok ? 0 : 1);
}
