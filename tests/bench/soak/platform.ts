/**
 * `deno task start` as a new user runs it, in a child process on its own
 * `DATA_DIR` and port, with its resident memory read from `/proc`; and the
 * check, after a load, that every event sent is stored and online.
 *
 * @module
 */
import type { IngestLoad } from "./ingest_load.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** A running `deno task start`. */
export interface PlatformProcess {
  baseUrl: string;
  /** PID of the server (the task runner's child). */
  pid: number;
  /** Milliseconds from spawn to `/ready` answering 200. */
  readyMs: number;
  /** Resident memory of the server, MB. */
  rssMb(): number;
  /** Stops the server (SIGTERM) and waits for it. */
  stop(): Promise<void>;
}

/** Starts `deno task start` on `dataDir` and `port` and waits for `/ready`. */
export async function startPlatform(options: {
  dataDir: string;
  port: number;
  env?: Record<string, string>;
  /** Where the server's output goes (default: discarded). */
  output?: "inherit" | "null";
  readyTimeoutMs?: number;
  /** The checkout to run (default this one), e.g. an export of `main` to compare with. */
  root?: string;
}): Promise<PlatformProcess> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "start"],
    cwd: options.root ?? ROOT,
    env: {
      DATA_DIR: options.dataDir,
      PORT: String(options.port),
      EDGE_LOG_LEVEL: "warn",
      ...options.env,
    },
    stdin: "null",
    stdout: options.output ?? "null",
    stderr: "inherit",
  }).spawn();
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    const server = serverPid(child.pid);
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
    // The task runner forwards SIGTERM; make sure the server itself is gone.
    if (server !== child.pid && alive(server)) {
      Deno.kill(server, "SIGTERM");
      for (let i = 0; i < 100 && alive(server); i++) await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    const limit = options.readyTimeoutMs ?? 120_000;
    for (;;) {
      if (performance.now() - t0 > limit) throw new Error(`Not ready within ${limit} ms`);
      try {
        const res = await fetch(`${baseUrl}/ready`);
        await res.body?.cancel();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = serverPid(child.pid);
  return { baseUrl, pid, readyMs: performance.now() - t0, rssMb: () => rssMb(pid), stop };
}

/** The deepest descendant of `pid` (the server under the task runner), or `pid`. */
function serverPid(pid: number): number {
  try {
    const kids = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
    if (kids === "") return pid;
    return serverPid(Number(kids.split(/\s+/)[0]));
  } catch {
    return pid;
  }
}

function alive(pid: number): boolean {
  try {
    return !/State:\s+Z/.test(Deno.readTextFileSync(`/proc/${pid}/status`));
  } catch {
    return false;
  }
}

/** Resident memory of `pid`, MB. */
export function rssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Size of a folder on disk, MB (`du`). */
export function diskMb(path: string): number {
  const out = new Deno.Command("du", { args: ["-sk", path], stdout: "piped", stderr: "null" })
    .outputSync();
  return Number(new TextDecoder().decode(out.stdout).split("\t")[0]) / 1024;
}

/** Sum of every sample of a metric in a Prometheus text (`name` or `name{...}`). */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

/** Users whose stored (offline) or online count differs from what they were sent. */
export interface CountMismatch {
  user: string;
  sent: number;
  offline: number;
  online: number;
}

/**
 * Reads `transaction_count_24h` of every user of `load` offline (from the
 * store's raw events) and online (the cache `/predict` reads), and returns
 * the users where either differs from the number of events they were sent.
 */
export async function verifyCounts(baseUrl: string, load: IngestLoad): Promise<CountMismatch[]> {
  const mismatches: CountMismatch[] = [];
  const users = load.perUser.length;
  let next = 0;
  const count = async (path: string) => {
    const res = await fetch(`${baseUrl}${path}`);
    const body = await res.json();
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
    return body.features.transaction_count_24h as number;
  };
  const worker = async () => {
    while (next < users) {
      const u = next++;
      const id = encodeURIComponent(load.userId(u));
      const [offline, online] = await Promise.all([
        count(`/features/user/${id}`),
        count(`/features/user/${id}/online`),
      ]);
      const sent = load.perUser[u];
      if (offline !== sent || online !== sent) {
        mismatches.push({ user: load.userId(u), sent, offline, online });
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return mismatches;
}
