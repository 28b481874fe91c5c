/**
 * Same-run comparison of a benchmark against the code before a change
 * (`deno task bench:compare --baseline=<dir> [--rounds=N] <task> [args...]`).
 *
 * `<dir>` is a checkout of the earlier code with `deno install` run in it
 * (`git worktree add <dir> <ref> && (cd <dir> && deno install)`). Each round
 * runs `deno task <task> [args...]` there and here, alternating which goes
 * first (baseline, current; then current, baseline; …) so that a machine
 * getting busier or quieter weighs on both alike. Both use this checkout's
 * services: its `.services/env` is copied into the baseline's (which has
 * none of its own then; `deno task services:up` here first).
 *
 * Every line a run prints as `<name>: … <number> <unit>/s …` is a
 * throughput (higher is better); a line without one but with `p99 <n> ms`
 * or `<n> µs/call` is a latency (lower is better). The edge benchmark's
 * final JSON line is read by its rows. Lines of the same name are paired
 * across the runs; the report gives each run's figure and the ratio of the
 * means, current / baseline (for latencies baseline / current, so above 1
 * is better either way). Names printed by one side only are listed apart.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { exitWithHelp } from "../_help.ts";

exitWithHelp(import.meta.url);

/** One figure of one run. */
export interface Figure {
  name: string;
  value: number;
  higherIsBetter: boolean;
}

const THROUGHPUT = /(\d[\d,]*(?:\.\d+)?)\s*(?:k\s*)?[A-Za-z]+\/s\b/;
const P99 = /\bp99 (\d+(?:\.\d+)?) ?ms\b/;
const PER_CALL = /(\d+(?:\.\d+)?) ?µs\/call\b/;

/** The figure of one printed line, or null when the line has none. */
export function figureOfLine(line: string): Figure | null {
  const colon = line.indexOf(": ");
  if (colon <= 0) return null;
  const name = line.slice(0, colon).replace(/^- /, "").trim();
  const rest = line.slice(colon + 2);
  const t = THROUGHPUT.exec(rest);
  if (t) {
    const k = /\d\s*k\s*[A-Za-z]+\/s/.test(t[0]) ? 1000 : 1;
    return { name, value: Number(t[1].replaceAll(",", "")) * k, higherIsBetter: true };
  }
  const l = P99.exec(rest) ?? PER_CALL.exec(rest);
  return l ? { name, value: Number(l[1]), higherIsBetter: false } : null;
}

/** Every figure of a run's standard output (text lines and the edge benchmark's JSON rows). */
export function figuresOf(stdout: string): Figure[] {
  const out: Figure[] = [];
  const seen = new Set<string>();
  const add = (f: Figure | null) => {
    if (!f || seen.has(f.name)) return;
    seen.add(f.name);
    out.push(f);
  };
  for (const line of stdout.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("{")) {
      try {
        const json = JSON.parse(trimmed) as { rows?: { name: string; figure: string }[] };
        for (const r of json.rows ?? []) add(figureOfLine(`${r.name}: ${r.figure}`));
      } catch {
        // not JSON: an ordinary line
      }
      continue;
    }
    add(figureOfLine(trimmed.replace(/\s*\|\s*target .*$/, "")));
  }
  return out;
}

/** Pairs the figures of the baseline's and the current runs by name. */
export function compareFigures(baseline: Figure[][], current: Figure[][]) {
  const names = new Map<string, boolean>();
  for (const f of [...baseline.flat(), ...current.flat()]) names.set(f.name, f.higherIsBetter);
  const valuesOf = (runs: Figure[][], name: string) =>
    runs.map((r) => r.find((f) => f.name === name)?.value).filter((v): v is number =>
      v !== undefined
    );
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const rows = [];
  const onlyOne: string[] = [];
  for (const [name, higherIsBetter] of names) {
    const b = valuesOf(baseline, name);
    const c = valuesOf(current, name);
    if (b.length === 0 || c.length === 0) {
      onlyOne.push(`${name} (${b.length === 0 ? "current" : "baseline"} only)`);
      continue;
    }
    const ratio = higherIsBetter ? mean(c) / mean(b) : mean(b) / mean(c);
    rows.push({ name, higherIsBetter, baseline: b, current: c, ratio });
  }
  return { rows, onlyOne };
}

async function run(task: string, args: string[], cwd: string): Promise<string> {
  console.error(`\n=== deno task ${task} ${args.join(" ")} in ${cwd}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", task, ...args],
    cwd,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { code, stdout } = await child.output();
  const text = new TextDecoder().decode(stdout);
  await Deno.stderr.write(stdout);
  if (code !== 0) throw new Error(`deno task ${task} failed in ${cwd} (exit ${code})`);
  return text;
}

async function main() {
  // Our flags come before the task; everything after it goes to the task.
  const at = Deno.args.findIndex((a) => !a.startsWith("--"));
  const { values } = parseArgs({
    args: at < 0 ? Deno.args : Deno.args.slice(0, at),
    options: { baseline: { type: "string" }, rounds: { type: "string", default: "2" } },
    strict: true,
  });
  const [task, ...args] = at < 0 ? [] : Deno.args.slice(at);
  const rounds = Number(values.rounds);
  if (!values.baseline || !task || !(Number.isInteger(rounds) && rounds > 0)) {
    console.error(
      "Usage: deno task bench:compare --baseline=<checkout> [--rounds=N] <bench task> [args...]",
    );
    Deno.exit(2);
  }
  const here = new URL("../../", import.meta.url).pathname;
  const dirs = { baseline: values.baseline, current: here };
  await Deno.mkdir(`${dirs.baseline}/.services`, { recursive: true });
  await Deno.copyFile(`${here}.services/env`, `${dirs.baseline}/.services/env`).catch((e) => {
    throw new Error(`Cannot share this checkout's services (deno task services:up first): ${e}`);
  });
  const figures: Record<"baseline" | "current", Figure[][]> = { baseline: [], current: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0
      ? ["baseline", "current"] as const
      : ["current", "baseline"] as const;
    for (const which of order) figures[which].push(figuresOf(await run(task, args, dirs[which])));
  }
  const { rows, onlyOne } = compareFigures(figures.baseline, figures.current);
  const fmt = (xs: number[]) => xs.map((x) => (x >= 100 ? x.toFixed(0) : x.toFixed(2))).join(", ");
  console.log(
    `deno task ${task} ${args.join(" ")}: this checkout vs --baseline=${dirs.baseline}, ` +
      `${rounds} alternating rounds (ratio > 1: this checkout is better)`,
  );
  for (const r of rows) {
    console.log(
      `- ${r.name}: ${r.ratio.toFixed(3)}× (current ${fmt(r.current)} vs baseline ${
        fmt(r.baseline)
      }${r.higherIsBetter ? "" : ", lower is better"})`,
    );
  }
  if (onlyOne.length > 0) console.log(`not compared: ${onlyOne.join("; ")}`);
  console.log(JSON.stringify({ task, args, rounds, baseline: dirs.baseline, rows, onlyOne }));
}

if (import.meta.main) await main();
