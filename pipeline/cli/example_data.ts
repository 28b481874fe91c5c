/**
 * `deno task example:data --example NAME --out FILE [--seed N] [--hours H]`:
 * writes an example's demo events as JSON lines, ready for `deno task
 * ingest --example NAME --file FILE` (or `replay`). For `sensors` the
 * readings come from its seeded generator (`--seed`, `--hours`), ending
 * now; with `--labels FILE` their labels (`event_id,timestamp,label`) too.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { EXAMPLE_DEMOS } from "../examples/demo.ts";
import { generateReadings } from "../examples/sensors/generator.ts";
import { runCli } from "./_args.ts";

const USAGE =
  "Usage: deno task example:data --example NAME --out FILE [--seed N] [--hours H] [--labels FILE]";

if (import.meta.main) {
  await runCli(async () => {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        example: { type: "string" },
        out: { type: "string" },
        labels: { type: "string" },
        seed: { type: "string" },
        hours: { type: "string" },
        help: { type: "boolean" },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return;
    }
    if (!values.example || !values.out) throw new Error(USAGE);
    const demo = EXAMPLE_DEMOS[values.example];
    if (!demo) {
      throw new Error(
        `Unknown example '${values.example}': expected one of ${
          Object.keys(EXAMPLE_DEMOS).join(", ")
        }`,
      );
    }
    const num = (flag: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) {
        throw new Error(`--${flag} must be a positive integer, got '${v}'`);
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
        throw new Error(`--seed, --hours and --labels apply to the sensors example only`);
      }
      lines = await demo.eventLines();
    }
    await Deno.writeTextFile(values.out, lines.join("\n") + "\n");
    console.log(`wrote ${lines.length} ${demo.source} events to ${values.out}`);
  });
}
