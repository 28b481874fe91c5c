/**
 * Lowers the scheduling priority of the calling thread, so that on a busy
 * machine the kernel runs the thread serving `/predict` first and the
 * pipeline worker with the CPU left over. Linux only (the nice value of one
 * thread: `setpriority(PRIO_PROCESS, tid)` through libc); elsewhere it
 * reports why it did nothing.
 *
 * @module
 */

const PRIO_PROCESS = 0;

/**
 * Sets the nice value of the calling thread to `nice` (0 leaves it as is);
 * returns `null` when done, else why not.
 */
export function lowerThreadPriority(nice: number): string | null {
  if (nice === 0) return null;
  if (Deno.build.os !== "linux") {
    return `thread priorities are set on Linux only, not ${Deno.build.os}`;
  }
  let libc:
    | Deno.DynamicLibrary<{
      setpriority: { parameters: ["i32", "u32", "i32"]; result: "i32" };
    }>
    | undefined;
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>" of the calling thread.
    const tid = Number(Deno.readLinkSync("/proc/thread-self").split("/").at(-1));
    libc = Deno.dlopen("libc.so.6", {
      setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
    });
    if (libc.symbols.setpriority(PRIO_PROCESS, tid, nice) !== 0) return "setpriority() failed";
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    libc?.close();
  }
}
