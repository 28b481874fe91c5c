/**
 * A waiter for tests: instead of sleeping a fixed time and hoping the work
 * is done, poll the observable outcome until it holds.
 *
 * @module
 */

/**
 * Resolves once `cond()` holds, checking it after every turn of the event
 * loop (a `setTimeout(0)`: work queued behind timers, I/O and microtasks
 * runs in between); throws naming `what` when it still fails after
 * `timeoutMs` of wall time.
 */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 0));
  }
}
