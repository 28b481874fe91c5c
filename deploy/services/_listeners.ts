/**
 * Which processes listen on a TCP port, from Linux's `/proc`: the sockets
 * in LISTEN state on the port (`/proc/net/tcp`, `/proc/net/tcp6`) and the
 * processes holding them (`/proc/<pid>/fd`). `services:up` uses it to tell
 * this checkout's service from another process that answers on its port
 * (a live PID file alone does not say who holds the port).
 *
 * @module
 */

/** A process holding a listening socket. */
export interface Listener {
  pid: number;
  /** Its process group (services run detached: the group id is the started PID). */
  pgid: number;
}

/** The processes listening on `port`, or null when `/proc` cannot tell (not Linux). */
export async function listenersOf(port: number): Promise<Listener[] | null> {
  const inodes = new Set<string>();
  let readable = false;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = await Deno.readTextFile(table);
      readable = true;
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; inode is field 10.
      if (f.length < 10 || f[3] !== "0A") continue;
      if (parseInt(f[1].split(":")[1], 16) === port) inodes.add(f[9]);
    }
  }
  if (!readable) return null;
  if (inodes.size === 0) return [];
  const out: Listener[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    if (await holdsAny(pid, inodes)) out.push({ pid, pgid: await pgidOf(pid) });
  }
  return out;
}

async function holdsAny(pid: number, inodes: Set<string>): Promise<boolean> {
  try {
    for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
      const target = await Deno.readLink(`/proc/${pid}/fd/${fd.name}`).catch(() => "");
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) return true;
    }
  } catch {
    // The process ended or its fds are not ours to read.
  }
  return false;
}

async function pgidOf(pid: number): Promise<number> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the parenthesised command: state ppid pgrp ...
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return -1;
  }
}

/**
 * Whether `port` is held by process `pid` or its process group; null when
 * `/proc` cannot tell.
 */
export async function portHeldBy(port: number, pid: number): Promise<boolean | null> {
  const listeners = await listenersOf(port);
  if (listeners === null) return null;
  return listeners.some((l) => l.pid === pid || l.pgid === pid);
}
