/**
 * Process helpers for the local services: detached spawning with a log file,
 * PID files, process-group stops, readiness polling and command runs.
 *
 * Every service runs in its own session (`detached: true`), so its PID is
 * also its process-group id and stopping the group also stops children such
 * as the JVM behind the Pub/Sub launcher or MLflow's server workers.
 */
import { connect } from "node:net";

/** Raised when a local service cannot be installed, started or stopped. */
export class ServiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ServiceError";
  }
}

/** Result of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and captures its output. */
export async function run(
  cmd: string[],
  opts: { env?: Record<string, string>; cwd?: string; stdin?: string } = {},
): Promise<RunResult> {
  const command = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    env: opts.env,
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (opts.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(opts.stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs a command and throws a ServiceError with its output when it fails. */
export async function runOk(
  what: string,
  cmd: string[],
  opts: { env?: Record<string, string>; cwd?: string; stdin?: string } = {},
): Promise<string> {
  let res: RunResult;
  try {
    res = await run(cmd, opts);
  } catch (cause) {
    throw new ServiceError(`Cannot ${what}: '${cmd[0]}' could not be run`, { cause });
  }
  if (res.code !== 0) {
    const tail = (res.stderr || res.stdout).trim().split("\n").slice(-15).join("\n");
    throw new ServiceError(`Cannot ${what}: '${cmd.join(" ")}' exited ${res.code}\n${tail}`);
  }
  return res.stdout;
}

/** True when `name` is an executable on PATH (or an absolute path that exists). */
export async function which(name: string): Promise<string | null> {
  if (name.includes("/")) return (await exists(name)) ? name : null;
  const res = await run(["sh", "-c", `command -v "$1"`, "sh", name]).catch(() => null);
  return res && res.code === 0 ? res.stdout.trim() : null;
}

/** True when the path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** True when this process runs as root. */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}

let aptUpdated = false;

/** Installs Debian packages when running as root, printing a progress line. */
export async function aptInstall(service: string, packages: string[]): Promise<void> {
  if (!isRoot()) {
    throw new ServiceError(
      `Cannot start ${service}: missing; install Debian packages ${packages.join(" ")}`,
    );
  }
  console.log(`[services] ${service}: installing ${packages.join(" ")} with apt-get`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    await runOk(`update apt for ${service}`, ["apt-get", "update", "-q"], { env });
    aptUpdated = true;
  }
  await runOk(`install ${packages.join(" ")} for ${service}`, [
    "apt-get",
    "install",
    "-y",
    "-q",
    "--no-install-recommends",
    ...packages,
  ], { env });
}

/** True when a process (or process group, for a negative id) exists. */
export function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (e) {
    // EPERM still means the process exists.
    return e instanceof Deno.errors.PermissionDenied;
  }
}

/** Reads a PID file, returning null when it is missing or malformed. */
export async function readPid(file: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await Deno.readTextFile(file)).trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Starts `cmd` in a new session with stdout and stderr appended to `log`,
 * records its PID in `pidFile`, and returns the PID. The child outlives us.
 */
export async function spawnDetached(
  cmd: string[],
  opts: { log: string; pidFile: string; env?: Record<string, string>; cwd?: string },
): Promise<number> {
  const script = 'log="$1"; shift; exec "$@" >>"$log" 2>&1 </dev/null';
  const child = new Deno.Command("sh", {
    args: ["-c", script, "sh", opts.log, ...cmd],
    env: opts.env,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  await Deno.writeTextFile(opts.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** State and process-group id of `pid` from /proc, or null when it is gone. */
function procStat(pid: number | string): { state: string; pgid: number } | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the parenthesised command: state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], pgid: Number(fields[2]) };
  } catch {
    return null;
  }
}

function pgidOf(pid: number): number | null {
  return procStat(pid)?.pgid ?? null;
}

/**
 * Sends `signal` to the process group led by `pid`. A PID that now belongs
 * to a process outside that group (a reused PID) is left alone.
 */
export function signalGroup(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch {
    // No such group.
  }
  if (pgidOf(pid) === pid) {
    try {
      Deno.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * True while a process of the group led by `pid` runs. Zombies do not count:
 * our children are re-parented to an init that may reap them late.
 */
function groupAlive(pid: number): boolean {
  if (!alive(-pid)) return pgidOf(pid) === pid;
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      const st = procStat(entry.name);
      if (st && st.pgid === pid && st.state !== "Z") return true;
    }
    return false;
  } catch {
    return true; // No /proc: trust kill(0).
  }
}

/** Stops the process group led by `pid`: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopGroup(pid: number, graceMs = 10_000): Promise<void> {
  if (!groupAlive(pid)) return;
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return;
    await sleep(100);
  }
  signalGroup(pid, "SIGKILL");
  await sleep(200);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Opens a TCP connection to check a port accepts connections. */
export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Sends raw bytes over TCP and resolves with the first chunk of the answer. */
export function tcpAsk(
  host: string,
  port: number,
  data: string,
  timeoutMs = 1000,
): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (text: string) => {
      socket.destroy();
      resolve(text);
    };
    socket.setTimeout(timeoutMs, () => done(""));
    socket.once("connect", () => socket.write(data));
    socket.once("data", (chunk) => done(chunk.toString()));
    socket.once("error", () => done(""));
  });
}

/** Polls `check` until it returns true, or throws naming the service after `timeoutMs`. */
export async function waitReady(
  service: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; pid?: number; log?: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (opts.pid !== undefined && !alive(opts.pid)) {
      throw new ServiceError(
        `Service ${service} did not start: its process exited${await logTail(opts.log)}`,
      );
    }
    await sleep(250);
  }
  throw new ServiceError(
    `Service ${service} did not start: not ready after ${opts.timeoutMs} ms${await logTail(
      opts.log,
    )}`,
  );
}

/** The last lines of a log file, formatted for an error message. */
export async function logTail(log: string | undefined, lines = 20): Promise<string> {
  if (!log) return "";
  try {
    const text = (await Deno.readTextFile(log)).trimEnd().split("\n").slice(-lines).join("\n");
    return `; last lines of ${log}:\n${text}`;
  } catch {
    return "";
  }
}
