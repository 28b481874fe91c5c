/**
 * The gateway against a private redis-server that it loses and gets back:
 * 503 JSON errors while Redis is down, then recovery without a restart.
 */
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { startGateway } from "../../deploy/upstash_gateway/mod.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function startRedis(port: number): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill("SIGKILL");
  throw new Error(`redis-server did not start on port ${port}`);
}

Deno.test("gateway answers 503 while Redis is down and recovers when it is back", async () => {
  const redisPort = freePort();
  let redis = await startRedis(redisPort);
  const gateway = startGateway({
    host: "127.0.0.1",
    port: 0,
    tokens: { data: "t" },
    maxBodyBytes: 1 << 20,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
  });
  const url = `http://127.0.0.1:${gateway.addr.port}`;
  const client = new Redis({ url, token: "t", enableTelemetry: false, retry: false });
  try {
    assert.equal(await client.set("k", "before"), "OK");
    redis.kill("SIGKILL");
    await redis.status;
    const res = await fetch(`${url}/`, {
      method: "POST",
      headers: { authorization: "Bearer t" },
      body: '["get","k"]',
    });
    assert.equal(res.status, 503);
    assert.match((await res.json()).error, /Redis is unavailable/);
    redis = await startRedis(redisPort);
    // A fresh Redis (no persistence): the key is gone, the gateway reconnected by itself.
    assert.equal(await client.get("k"), null);
    assert.equal(await client.set("k", "after"), "OK");
    assert.equal(await client.get("k"), "after");
  } finally {
    await gateway.shutdown();
    redis.kill("SIGKILL");
    await redis.status;
  }
});
