import assert from "node:assert/strict";
import { listenersOf, portHeldBy } from "./_listeners.ts";

Deno.test("portHeldBy() tells this process's listening port from one it does not hold", async () => {
  const mine = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (mine.addr as Deno.NetAddr).port;
  try {
    const listeners = await listenersOf(port);
    if (listeners === null) return; // no /proc here: the check falls back to the PID file
    assert.ok(listeners.some((l) => l.pid === Deno.pid));
    assert.equal(await portHeldBy(port, Deno.pid), true);
    assert.equal(await portHeldBy(port, 1), false);
  } finally {
    mine.close();
  }
  assert.deepEqual(await listenersOf(port), []);
});
