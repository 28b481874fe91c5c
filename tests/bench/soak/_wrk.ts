/**
 * Runs wrk with `predict_entity.lua` and reads the JSON line its `done()`
 * prints: exact p50/p90/p99/p99.9/max from wrk's histogram, non-2xx and
 * socket errors.
 *
 * @module
 */

/** What one wrk run measured. */
export interface SoakWrk {
  command: string;
  seconds: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

const SCRIPT = new URL("./predict_entity.lua", import.meta.url).pathname;

/** Runs `POST /predict` by entity for `seconds` at `connections` (2 wrk threads). */
export async function runPredictLoad(options: {
  url: string;
  connections: number;
  seconds: number;
  env: Record<string, string>;
}): Promise<SoakWrk> {
  const args = [
    "-t2",
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--timeout",
    "10s",
    "-s",
    SCRIPT,
    options.url,
  ];
  const out = await new Deno.Command("wrk", {
    args,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const json = /SOAK_WRK (\{.*\})/.exec(text)?.[1];
  if (out.code !== 0 || !json) throw new Error(`wrk failed (${out.code}): ${text}`);
  const r = JSON.parse(json);
  return {
    command: `wrk ${args.join(" ")}`,
    seconds: r.duration_us / 1e6,
    requests: r.requests,
    non2xx: r.non2xx,
    socketErrors: r.connect + r.read + r.write + r.timeout,
    p50Us: r.p50_us,
    p90Us: r.p90_us,
    p99Us: r.p99_us,
    p999Us: r.p999_us,
    maxUs: r.max_us,
  };
}
