import assert from "node:assert/strict";
import { PgliteFeatureStore } from "./pglite.ts";
import { FeatureStoreLockedError } from "../errors.ts";
import { PGlite } from "@electric-sql/pglite";
import { pgArray } from "./_statements.ts";
import { DAY_MS, planOf } from "../features/mod.ts";
import { FRAUD_VIEW } from "../../tests/support/views.ts";
import { storedEvent } from "../../tests/contracts/feature_store_fixtures.ts";

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

Deno.test("pgArray() round-trips awkward text and numbers through Postgres", async () => {
  const db = new PGlite();
  try {
    const texts = ["", "NULL", "a,b", "{c}", 'q"uote', "back\\slash", "é🙂", " sp "];
    const nums = [0, -1.5, 1764300000000, 1e-7, 1000000, null];
    const r = await db.query<{ t: string[]; n: (number | null)[] }>(
      "SELECT $1::text[] AS t, $2::float8[] AS n",
      [pgArray(texts), pgArray(nums)],
    );
    assert.deepEqual(r.rows[0].t, texts);
    assert.deepEqual(r.rows[0].n, nums);
  } finally {
    await db.close();
  }
});

Deno.test("PgliteFeatureStore.writeBatch() tiles equal a backfill with and without duplicates", async () => {
  const store = new PgliteFeatureStore();
  try {
    await store.migrate();
    await store.registerView(FRAUD_VIEW);
    const T = Date.UTC(2026, 2, 20, 12);
    const ev = (i: number) =>
      storedEvent(`e${i}`, `u${i % 3}`, T - i * 17 * 60_000, i + 0.5, ["a", "b", "c"][i % 4 % 3]);
    const batch = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => ev(from + k));
    assert.equal((await store.writeBatch(batch(0, 40), [])).length, 40); // all new
    assert.equal((await store.writeBatch(batch(30, 70), [])).length, 30); // some seen
    const tiles = await Promise.all(["u0", "u1", "u2"].map((u) => store.readTiles(FRAUD_VIEW, u)));
    await store.backfill(FRAUD_VIEW);
    const rebuilt = await Promise.all(
      ["u0", "u1", "u2"].map((u) => store.readTiles(FRAUD_VIEW, u)),
    );
    assert.deepEqual(tiles, rebuilt);
    const n = planOf(FRAUD_VIEW).full.num.findIndex((s) => s.op === "n");
    assert.equal(
      tiles.flat().filter((t) => t.tileMs === DAY_MS).reduce((sum, t) => sum + t.state[n]!, 0),
      70,
    );
  } finally {
    await store.close();
  }
});
