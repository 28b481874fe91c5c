import assert from "node:assert/strict";
import postgres from "postgres";
import { Redis } from "ioredis";
import { serviceEnv } from "../_services.ts";

Deno.test("services postgres answers as user platform on database platform", async () => {
  const env = await serviceEnv("postgres");
  const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select current_user as u, current_database() as d,
      current_setting('server_version_num')::int as v`;
    assert.equal(row.u, "platform");
    assert.equal(row.d, "platform");
    assert.ok(row.v >= 150000, `server_version_num ${row.v}`);
  } finally {
    await sql.end();
  }
});

Deno.test("services redis answers PING and stores a value", async () => {
  const env = await serviceEnv("redis");
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    assert.equal(await redis.ping(), "PONG");
    const key = `services-test:${crypto.randomUUID()}`;
    await redis.set(key, "v", "EX", 10);
    assert.equal(await redis.get(key), "v");
  } finally {
    redis.disconnect();
  }
});
