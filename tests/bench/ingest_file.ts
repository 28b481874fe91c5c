/**
 * `deno task bench:ingest-file [--events 50000] [--baseline <checkout>]`:
 * `deno task ingest` of a generated JSONL file into a fresh embedded
 * DATA_DIR (new events), then the same file again (all duplicates): wall
 * time, events/s and the peak resident memory of the process (sampled from
 * `/proc` every 50 ms). With `--baseline`, the same runs of another checkout
 * (e.g. `git worktree add /tmp/base main`) alternate with this one's, so the
 * ratios come from one run on the same machine.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { exitWithHelp } from "../_help.ts";

exitWithHelp(import.meta.url);
const args = parseArgs({
  args: Deno.args,
  options: { events: { type: "string", default: "50000" }, baseline: { type: "string" } },
});
const N = Number(args.values.events);
const ROOT = new URL("../../", import.meta.url).pathname;
const work = await Deno.makeTempDir({ prefix: "bench-ingest-file-" });

/** Events of 2000 users over 30 days, newest now. */
async function writeEvents(path: string): Promise<void> {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const cats = ["grocery", "electronics", "travel", "restaurant", "gas", "online"];
  const end = Date.now();
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    lines.push(JSON.stringify({
      event_id: `bench-${i}`,
      user_id: `u${Math.floor(rnd() * 2000)}`,
      amount: Math.round(rnd() * 50_000) / 100,
      timestamp: new Date(end - Math.floor(rnd() * 30 * 86_400_000)).toISOString(),
      merchant_category: cats[Math.floor(rnd() * cats.length)],
      payment_method: "credit_card",
    }));
  }
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
}

async function rssKb(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function ingest(checkout: string, dataDir: string, file: string) {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${checkout}/pipeline/cli/ingest.ts`, "--file", file],
    cwd: checkout,
    env: { DATA_DIR: dataDir },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let peak = 0;
  const sampler = setInterval(async () => {
    peak = Math.max(peak, await rssKb(child.pid));
  }, 50);
  const out = await child.output();
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1000;
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`ingest failed in ${checkout}: ${text}`);
  return { seconds, eventsPerSec: Math.round(N / seconds), peakMb: Math.round(peak / 1024) };
}

try {
  const file = `${work}/events.jsonl`;
  await writeEvents(file);
  const checkouts = [["this", ROOT.replace(/\/$/, "")]];
  if (args.values.baseline) {
    checkouts.unshift(["baseline", args.values.baseline.replace(/\/$/, "")]);
  }
  const rows = [];
  for (let round = 1; round <= 2; round++) {
    for (const [label, checkout] of checkouts) {
      const dataDir = `${work}/${label}-${round}`;
      const fresh = await ingest(checkout, dataDir, file);
      const again = await ingest(checkout, dataDir, file);
      rows.push({ round, code: label, new_events: fresh, duplicates: again });
      console.log(
        `${label} round ${round}: new ${
          fresh.seconds.toFixed(1)
        } s (${fresh.eventsPerSec}/s, peak ${fresh.peakMb} MB), ` +
          `duplicates ${
            again.seconds.toFixed(1)
          } s (${again.eventsPerSec}/s, peak ${again.peakMb} MB)`,
      );
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await Deno.remove(`${dataDir}.lock`).catch(() => {});
    }
  }
  console.log(JSON.stringify({ events: N, rows }));
} finally {
  await Deno.remove(work, { recursive: true });
}
