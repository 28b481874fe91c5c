import assert from "node:assert/strict";
import { until } from "./wait.ts";

Deno.test("until() resolves once the condition holds and names what it waited for on timeout", async () => {
  let n = 0;
  const timer = setInterval(() => n++, 1);
  try {
    await until(() => n >= 3, "three ticks");
    assert.ok(n >= 3);
    await assert.rejects(until(() => false, "never", 20), /waiting for never/);
  } finally {
    clearInterval(timer);
  }
});
