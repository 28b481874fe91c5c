/**
 * `deno task example:data --example NAME --out FILE [--seed N] [--hours H]`:
 * writes an example's demo events as JSON lines, ready for `deno task
 * ingest --example NAME --file FILE` (or `replay`). For `sensors` the
 * readings come from its seeded generator (`--seed`, `--hours`), ending
 * now; with `--labels FILE` their labels (`event_id,timestamp,label`) too.
 *
 * @module
 */
import { EXAMPLE_DEMOS } from "../examples/demo.ts";
import { generateReadings } from "../examples/sensors/generator.ts";
import { parseCommand, runCommand, UsageError } from "./command.ts";

const USAGE = `Usage: deno task example:data --example NAME --out FILE [--seed N] [--hours H]
  [--labels FILE]
  Writes a shipped example's demo events as JSON lines (sensors: seeded readings ending now,
  --labels also writes event_id,timestamp,label).`;

if (import.meta.main) {
  await runCommand(USAGE, async () => {
    const { values } = parseCommand(USAGE, Deno.args, {
      example: { type: "string" },
      out: { type: "string" },
      labels: { type: "string" },
      seed: { type: "string" },
      hours: { type: "string" },
    });
    if (!values.example || !values.out) throw new UsageError("Missing --example or --out");
    const demo = EXAMPLE_DEMOS[values.example];
    if (!demo) {
      throw new UsageError(
        `Unknown example '${values.example}': expected one of ${
          Object.keys(EXAMPLE_DEMOS).join(", ")
        }`,
      );
    }
    const num = (flag: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) {
        throw new UsageError(`--${flag} must be a positive integer, got '${v}'`);
      }
      return n;
    };
    let lines: string[];
    if (values.example === "sensors") {
      const minute = Math.floor(Date.now() / 60_000) * 60_000;
      const data = generateReadings({
        seed: num("seed", values.seed),
        hours: num("hours", values.hours),
        endMs: minute,
      });
      lines = data.map((r) => JSON.stringify(r.reading));
      if (values.labels) {
        const rows = data.map((r) => `${r.reading.event_id},${r.reading.timestamp},${r.label}`);
        await Deno.writeTextFile(
          values.labels,
          ["event_id,timestamp,label", ...rows].join("\n") + "\n",
        );
      }
    } else {
      if (values.seed || values.hours || values.labels) {
        throw new UsageError(`--seed, --hours and --labels apply to the sensors example only`);
      }
      lines = await demo.eventLines();
    }
    await Deno.writeTextFile(values.out, lines.join("\n") + "\n");
    console.log(`wrote ${lines.length} ${demo.source} events to ${values.out}`);
  });
}
