/**
 * The ingest workers as real subprocesses (`deno run -A
 * ingest-workers/cli/worker.ts --source ... --example ...`, what `deno task
 * worker` runs), one per stream, each with its own port for `/ready` and
 * `/metrics`, stopped with SIGTERM.
 *
 * @module
 */
import type { DemoSource } from "./use_case.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** What a worker counted, from its `ingest_messages_total`. */
export interface WorkerCounts {
  accepted: number;
  duplicate: number;
  dead_lettered: number;
}

/** A running worker. */
export interface DemoWorker {
  source: DemoSource;
  port: number;
  /** Its counters (zeros while it is not answering). */
  counts(): Promise<WorkerCounts>;
  /** Whether `/ready` answers 200. */
  ready(): Promise<boolean>;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number>;
  /** What it logged on stderr (last 4 KiB). */
  logs(): string;
  /** SIGTERM, then the exit code (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number>;
}

/** Keeps the last 4 KiB of a child's output; `done` settles when the stream ends. */
export function tailLog(
  stream: ReadableStream<Uint8Array>,
): { text: () => string; done: Promise<void> } {
  let log = "";
  const decoder = new TextDecoder();
  const done = (async () => {
    for await (const chunk of stream) {
      log = (log + decoder.decode(chunk, { stream: true })).slice(-4096);
    }
  })();
  return { text: () => log, done };
}

/** A free loopback port. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function get(url: string): Promise<{ status: number; text: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 0, text: "" };
  }
}

/** Parses `ingest_messages_total{...,outcome="x"} n` lines into counts. */
export function parseCounts(metrics: string): WorkerCounts {
  const out: WorkerCounts = { accepted: 0, duplicate: 0, dead_lettered: 0 };
  const re = /^ingest_messages_total\{([^}]*)\} (\S+)$/gm;
  for (const m of metrics.matchAll(re)) {
    const outcome = /outcome="([^"]+)"/.exec(m[1])?.[1];
    if (outcome && outcome in out) out[outcome as keyof WorkerCounts] += Number(m[2]);
  }
  return out;
}

/** Starts `ingest-workers/cli/worker.ts --source <source> --example <example>` with `env`. */
export function spawnWorker(
  source: DemoSource,
  example: string,
  env: Record<string, string>,
): DemoWorker {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "ingest-workers/cli/worker.ts", "--source", source, "--example", example],
    cwd: ROOT,
    env: {
      ...env,
      INGEST_HOST: "127.0.0.1",
      INGEST_PORT: String(port),
      METADATA_SERVER_DETECTION: "none",
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const { text: tail, done: reading } = tailLog(child.stderr);
  const exited = child.status.then(async (s) => {
    await reading.catch(() => {});
    return s.code;
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    source,
    port,
    exited,
    counts: async () => parseCounts((await get(`${base}/metrics`)).text),
    ready: async () => (await get(`${base}/ready`)).status === 200,
    logs: tail,
    stop: async (graceMs = 12_000) => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
