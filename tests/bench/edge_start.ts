/**
 * Cold start of the edge alone (`deno task bench:edge-start [--runs N]
 * [--baseline <dir>]`): `edge/deploy.ts` started as `deno task edge` starts
 * it (`deno serve`, no code cache, Deno Deploy's permissions) over a local
 * registry holding the demo fraud model trained by the platform; the time
 * from spawning the process to `GET /ready` answering 200 (model loaded and
 * warmed), and the CPU time the process used by then (steadier than wall
 * time on a shared machine). Prints each run, the medians, and the number
 * of local modules in the entry's graph (`deno info --json edge/deploy.ts`).
 *
 * With `--baseline <dir>` (a checkout of earlier code, `deno install` run
 * in it) the same is done for that checkout in alternating runs (baseline,
 * current; current, baseline; …), and the ratio of the medians is printed.
 *
 * @module
 */
import { benchFlags } from "../_help.ts";
import { demoRegistry } from "./edge/_fixture.ts";
import { cpuSeconds, freePort, waitFor } from "./edge/_process.ts";
import { edgeServeArgs } from "../support/edge.ts";

const flags = benchFlags(import.meta.url, {
  runs: { type: "string", default: "7" },
  baseline: { type: "string" },
});
const ROOT = new URL("../../", import.meta.url).pathname;
const runs = Number(flags.runs) || 7;

/** Local modules (`file:` specifiers, JSON included) in the graph of `edge/deploy.ts` under `dir`. */
async function localModules(dir: string): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "edge/deploy.ts"],
    cwd: dir,
    stdout: "piped",
    stderr: "null",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  return info.modules.filter((m) => m.specifier.startsWith("file:")).length;
}

/** Spawn → `/ready` 200 of the edge of checkout `dir`: wall ms and the process's CPU ms by then. */
async function startToReady(
  dir: string,
  registryDir: string,
): Promise<{ wall: number; cpu: number }> {
  const port = freePort();
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: edgeServeArgs(port),
    cwd: dir,
    env: { EDGE_REGISTRY_DIR: registryDir, EDGE_LOG_LEVEL: "warn" },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    const wall = (await waitFor(`http://127.0.0.1:${port}/ready`, 60_000)) - t0;
    return { wall, cpu: cpuSeconds(child.pid) * 1000 };
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const show = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");

const { root: registryDir } = await demoRegistry();
try {
  const sides = flags.baseline
    ? [{ name: "baseline", dir: flags.baseline }, { name: "current", dir: ROOT }]
    : [{ name: "current", dir: ROOT }];
  const times: Record<string, number[]> = Object.fromEntries(sides.map((s) => [s.name, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(sides.map((s) => [s.name, []]));
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) {
      const r = await startToReady(s.dir, registryDir);
      times[s.name].push(r.wall);
      cpu[s.name].push(r.cpu);
    }
  }
  for (const s of sides) {
    console.log(
      `edge start → /ready, ${s.name}: median ${median(times[s.name]).toFixed(0)} ms wall (runs: ${
        show(times[s.name])
      }), ${median(cpu[s.name]).toFixed(0)} ms CPU (runs: ${
        show(cpu[s.name])
      }); local modules in edge/deploy.ts's graph: ${await localModules(s.dir)}`,
    );
  }
  if (flags.baseline) {
    const ratio = (x: Record<string, number[]>) =>
      (100 * median(x.current) / median(x.baseline)).toFixed(1);
    console.log(
      `edge start → /ready: current / baseline = ${ratio(times)} % of the wall time, ${
        ratio(cpu)
      } % of the CPU time`,
    );
  }
} finally {
  await Deno.remove(registryDir, { recursive: true });
}
