import assert from "node:assert/strict";
import { PGlite } from "@electric-sql/pglite";
import { migrationTags } from "./migrate.ts";

Deno.test("db:migrate applies every committed migration to an embedded store, and again is a no-op", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    // The embedded store whatever the services of the run: no DATABASE_URL.
    const env = Object.fromEntries(
      Object.entries(Deno.env.toObject()).filter(([k]) => k !== "DATABASE_URL"),
    );
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("./migrate.ts", import.meta.url).pathname],
        env: { ...env, DATA_DIR: dataDir },
        clearEnv: true,
      }).output();
    const tags = await migrationTags();
    for (let i = 0; i < 2; i++) {
      const out = await run();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.match(text, new RegExp(`at migration ${tags.at(-1)} \\(${tags.length} applied\\)`));
    }
    const db = new PGlite(`${dataDir}/pglite`);
    try {
      const applied = await db.query<{ n: number }>(
        "select count(*)::int as n from drizzle.__drizzle_migrations",
      );
      assert.equal(applied.rows[0].n, tags.length);
      const tables = await db.query<{ t: string }>(
        "select table_name as t from information_schema.tables where table_name = 'feature_views'",
      );
      assert.equal(tables.rows.length, 1);
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
