/**
 * Runs `wrk` and reads its summary (requests/s, latency percentiles, errors).
 *
 * @module
 */

/** What one wrk run measured. */
export interface WrkResult {
  command: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  output: string;
}

function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "ms" ? v : m[2] === "s" ? v * 1000 : v * 60_000;
}

/** Runs wrk against `url` with the given options and parses its output. */
export async function runWrk(options: {
  url: string;
  connections: number;
  threads: number;
  seconds: number;
  script?: string;
  env?: Record<string, string>;
}): Promise<WrkResult> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--latency",
    ...(options.script ? ["-s", options.script] : []),
    options.url,
  ];
  const out = await new Deno.Command("wrk", {
    args,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`wrk failed (${out.code}): ${text}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
  const p50 = ms(/\s50%\s+(\S+)/.exec(text)?.[1] ?? "");
  const p99 = ms(/\s99%\s+(\S+)/.exec(text)?.[1] ?? "");
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = se ? se.slice(1).reduce((s, x) => s + Number(x), 0) : 0;
  return {
    command: `wrk ${args.join(" ")}`,
    requestsPerSec: rps,
    p50Ms: p50,
    p99Ms: p99,
    requests,
    non2xx,
    socketErrors,
    output: text,
  };
}
