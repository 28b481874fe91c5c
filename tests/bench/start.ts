/**
 * `deno task bench:start`: wall time from spawning `deno task start` to
 * `GET /ready` answering 200, on an empty DATA_DIR (first start: PGlite
 * init, demo events through the pipeline, training of champion and
 * challenger) and again on the same DATA_DIR (restart). Runs each `--runs`
 * times (default 3) and prints every figure.
 *
 * @module
 */
import { benchFlags } from "../_help.ts";

const flags = benchFlags(import.meta.url, { runs: { type: "string", default: "3" } });
const ROOT = new URL("../../", import.meta.url).pathname;
const runs = Number(flags.runs) || 3;
const PORT = 18_765;

async function startToReady(dataDir: string): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "start"],
    cwd: ROOT,
    env: { DATA_DIR: dataDir, PORT: String(PORT), EDGE_LOG_LEVEL: "warn" },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    while (performance.now() - t0 < 60_000) {
      try {
        const res = await fetch(`http://127.0.0.1:${PORT}/ready`);
        await res.body?.cancel();
        if (res.status === 200) return performance.now() - t0;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("deno task start did not become ready within 60 s");
  } finally {
    // `deno task` runs the server as a child; SIGTERM reaches the group via the task runner.
    child.kill("SIGTERM");
    await child.status;
  }
}

const first: number[] = [];
const restart: number[] = [];
for (let i = 0; i < runs; i++) {
  const dir = await Deno.makeTempDir({ prefix: "rtml-start-" });
  first.push(await startToReady(dir));
  restart.push(await startToReady(dir));
  await Deno.remove(dir, { recursive: true });
}
const fmt = (xs: number[]) => xs.map((x) => `${(x / 1000).toFixed(2)} s`).join(", ");
console.log(`start → /ready, empty DATA_DIR (trains the demo model): ${fmt(first)}`);
console.log(`start → /ready, existing DATA_DIR (restart):             ${fmt(restart)}`);
