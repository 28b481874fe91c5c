/**
 * The pipeline CLIs as a user runs them: `ingest` (embedded PGlite under
 * DATA_DIR, then real Postgres + Redis), `features:backfill` and
 * `features:export`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parquetReadObjects } from "hyparquet";
import { Redis } from "ioredis";
import { serviceEnv } from "../_services.ts";
import { createTempDatabase } from "../contracts/feature_store_fixtures.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DEMO = `${ROOT}pipeline/demo_data/demo_events.jsonl`;

async function run(script: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}pipeline/cli/${script}`, ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  return text;
}

Deno.test("ingest, backfill and export CLIs work on embedded PGlite under DATA_DIR", async () => {
  const dir = await Deno.makeTempDir({ prefix: "features-cli-" });
  try {
    const env = { DATA_DIR: `${dir}/data` };
    const first = await run("ingest.ts", ["--file", DEMO, "--rebase-time"], env);
    assert.match(first, /rebased timestamps by \d+ s/);
    assert.match(first, /accepted 1050, duplicate 0, dead-lettered 0/);
    const second = await run("ingest.ts", ["--file", DEMO], env);
    assert.match(second, /accepted 0, duplicate 1050, dead-lettered 0/);
    await Deno.writeTextFile(`${dir}/bad.jsonl`, '{"event_id":"x"}\nnot json\n');
    assert.match(
      await run("ingest.ts", ["--file", `${dir}/bad.jsonl`], env),
      /accepted 0, duplicate 0, dead-lettered 2/,
    );
    assert.match(await run("backfill.ts", [], env), /user_transactions v1: \d+ tiles rebuilt/);
    await Deno.writeTextFile(
      `${dir}/labels.csv`,
      "user_id,timestamp,label\nuser_1,2030-01-01T00:00:00Z,1\nuser_2,2000-01-01T00:00:00Z,0\n",
    );
    const out = await run("export.ts", [
      "--labels",
      `${dir}/labels.csv`,
      "--out",
      `${dir}/o.parquet`,
    ], env);
    assert.match(out, /wrote 2 rows/);
    const rows = await parquetReadObjects({
      file: (await Deno.readFile(`${dir}/o.parquet`)).buffer as ArrayBuffer,
    });
    assert.deepEqual(rows.map((r) => [r.entity_id, r.label, r.transaction_count_24h]), [
      ["user_1", 1, 0],
      ["user_2", 0, 0],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ingest CLI loads into real Postgres and Redis from DATABASE_URL and REDIS_URL", async () => {
  const services = await serviceEnv("postgres", "redis");
  const db = await createTempDatabase(services.DATABASE_URL);
  // Logical database 7 keeps the demo keys apart from other tests' on the shared server.
  const redisUrl = `${services.REDIS_URL.replace(/\/\d*$/, "")}/7`;
  const redis = new Redis(redisUrl);
  try {
    await redis.flushdb();
    const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl };
    const out = await run("ingest.ts", ["--file", DEMO, "--rebase-time"], env);
    assert.match(out, /accepted 1050, duplicate 0, dead-lettered 0/);
    assert.equal(await redis.dbsize(), 300);
    const state = JSON.parse((await redis.get("fv:user_transactions:v1:user_1"))!);
    assert.equal(state.v, 3);
    assert.ok((await redis.ttl("fv:user_transactions:v1:user_1")) > 30 * 86_400);
  } finally {
    await redis.flushdb();
    await redis.quit();
    await db.drop();
  }
});
