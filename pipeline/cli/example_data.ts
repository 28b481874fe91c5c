/**
 * `deno task example:data --example NAME --out FILE [--seed N] [--hours H]`:
 * writes an example's demo events as JSON lines, ready for `deno task
 * ingest --example NAME --file FILE` (or `replay`). For an example with a
 * seeded generator (`sensors`, `recommendations`) the events come from it
 * (`--seed`, `--hours`), ending now; with `--labels FILE` the sensors
 * readings' labels (`event_id,timestamp,label`) too.
 *
 * @module
 */
import { EXAMPLE_DEMOS } from "../examples/demo.ts";
import { parseCommand, runCommand, UsageError } from "./command.ts";

const USAGE = `Usage: deno task example:data --example NAME --out FILE [--seed N] [--hours H]
  [--labels FILE]
  Writes a shipped example's demo events as JSON lines (sensors, recommendations: seeded events
  ending now; for sensors --labels also writes event_id,timestamp,label).`;

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
    if (demo.generate) {
      const minute = Math.floor(Date.now() / 60_000) * 60_000;
      const data = demo.generate({
        seed: num("seed", values.seed),
        hours: num("hours", values.hours),
        endMs: minute,
      });
      lines = data.lines;
      if (values.labels) {
        if (!data.labels) {
          throw new UsageError(`--labels applies to an example with labelled events (sensors)`);
        }
        await Deno.writeTextFile(values.labels, data.labels.join("\n") + "\n");
      }
    } else {
      if (values.seed || values.hours || values.labels) {
        throw new UsageError(
          `--seed, --hours and --labels apply to an example with a generator (sensors, recommendations)`,
        );
      }
      lines = await demo.eventLines();
    }
    await Deno.writeTextFile(values.out, lines.join("\n") + "\n");
    console.log(`wrote ${lines.length} ${demo.source} events to ${values.out}`);
  });
}
