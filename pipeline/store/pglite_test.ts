import assert from "node:assert/strict";
import { PgliteFeatureStore } from "./pglite.ts";
import { FeatureStoreLockedError } from "../errors.ts";

Deno.test("PgliteFeatureStore refuses a data folder another live process holds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pglite-lock-" });
  try {
    // Our parent process is alive and is not us.
    await Deno.writeTextFile(`${dir}/db.lock`, String(Deno.ppid ?? 1));
    assert.throws(() => new PgliteFeatureStore(`${dir}/db`), FeatureStoreLockedError);
    // A lock left by a process that is gone is taken over, and released on close.
    await Deno.writeTextFile(`${dir}/db.lock`, "999999999");
    const store = new PgliteFeatureStore(`${dir}/db`);
    await store.migrate();
    assert.equal((await Deno.readTextFile(`${dir}/db.lock`)).trim(), String(Deno.pid));
    await store.close();
    await assert.rejects(() => Deno.stat(`${dir}/db.lock`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
