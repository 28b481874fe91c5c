/**
 * Shard leases and checkpoints in a real Postgres: even split, takeover of
 * expired leases, checkpoints fenced by ownership, parents before children.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { PostgresShardLeases } from "../../ingest-workers/kinesis_leases.ts";
import { serviceEnv } from "../_services.ts";

async function withLeases(fn: (l: PostgresShardLeases, stream: string) => Promise<void>) {
  const env = await serviceEnv("postgres");
  const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
  const leases = new PostgresShardLeases(sql);
  const stream = `leases-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await leases.migrate();
    await fn(leases, stream);
  } finally {
    await sql`DELETE FROM ingest_kinesis_shards WHERE stream = ${stream}`;
    await sql.end();
  }
}

const ids = (held: { shardId: string }[]) => held.map((h) => h.shardId);
const shards = (...names: string[]) => names.map((shardId) => ({ shardId, parentIds: [] }));

Deno.test("PostgresShardLeases.balance() splits shards evenly and a survivor takes expired leases", async () => {
  await withLeases(async (leases, stream) => {
    await leases.sync(stream, shards("s0", "s1", "s2", "s3"));
    assert.deepEqual(ids(await leases.balance(stream, "a", 60_000)), ["s0", "s1", "s2", "s3"]);
    // b arrives: it steals one shard per round until both hold two.
    await leases.balance(stream, "b", 60_000);
    const b = ids(await leases.balance(stream, "b", 60_000));
    const a = ids(await leases.balance(stream, "a", 60_000));
    assert.equal(b.length, 2);
    assert.deepEqual([...a, ...b].sort(), ["s0", "s1", "s2", "s3"]);
    // a dies: once its leases expire, b takes everything.
    await leases.balance(stream, "a", 1);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(ids(await leases.balance(stream, "b", 60_000)), ["s0", "s1", "s2", "s3"]);
  });
});

Deno.test("PostgresShardLeases.checkpoint() refuses an owner that lost the lease", async () => {
  await withLeases(async (leases, stream) => {
    await leases.sync(stream, shards("s0"));
    await leases.balance(stream, "a", 1);
    await new Promise((r) => setTimeout(r, 20));
    await leases.balance(stream, "b", 60_000);
    assert.equal(await leases.checkpoint(stream, "s0", "a", "100"), false);
    assert.equal(await leases.checkpoint(stream, "s0", "b", "200"), true);
    assert.deepEqual(await leases.read(stream, "s0"), {
      owner: "b",
      checkpoint: "200",
      finished: false,
    });
  });
});

Deno.test("PostgresShardLeases.balance() leases a child shard only after its parents are finished", async () => {
  await withLeases(async (leases, stream) => {
    await leases.sync(stream, [
      { shardId: "p0", parentIds: [] },
      { shardId: "p1", parentIds: [] },
      { shardId: "c0", parentIds: ["p0", "p1"] },
    ]);
    assert.deepEqual(ids(await leases.balance(stream, "a", 60_000)), ["p0", "p1"]);
    assert.equal(await leases.finish(stream, "p0", "a", "9"), true);
    assert.deepEqual(ids(await leases.balance(stream, "a", 60_000)), ["p1"]);
    assert.equal(await leases.finish(stream, "p1", "a", null), true);
    assert.deepEqual(await leases.balance(stream, "a", 60_000), [{
      shardId: "c0",
      checkpoint: null,
    }]);
    assert.deepEqual(await leases.read(stream, "p0"), {
      owner: null,
      checkpoint: "9",
      finished: true,
    });
  });
});
