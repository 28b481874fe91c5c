/**
 * The real `@upstash/redis` client against the gateway against a real
 * redis-server (both started by services:up).
 */
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { Redis as IoRedis } from "ioredis";
import { serviceEnv } from "../_services.ts";

const env = await serviceEnv("gateway", "redis");

function client(responseEncoding: false | "base64", token = env.UPSTASH_REDIS_REST_TOKEN) {
  return new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token,
    responseEncoding,
    enableTelemetry: false,
    retry: false,
  });
}

const prefix = `gw-test:${crypto.randomUUID()}:`;

for (const encoding of ["base64", false] as const) {
  const label = encoding === "base64" ? "base64" : "plain";

  Deno.test(`gateway (${label}) set, get and mget round-trip strings, JSON and unicode`, async () => {
    const r = client(encoding);
    const k = `${prefix}${label}:`;
    assert.equal(await r.set(`${k}s`, "héllo wörld ✓"), "OK");
    assert.equal(await r.set(`${k}ok`, "OK"), "OK");
    assert.equal(await r.set(`${k}j`, { a: 1, b: [true, "x"] }), "OK");
    assert.equal(await r.get(`${k}s`), "héllo wörld ✓");
    assert.equal(await r.get(`${k}ok`), "OK");
    assert.deepEqual(await r.get(`${k}j`), { a: 1, b: [true, "x"] });
    assert.equal(await r.get(`${k}missing`), null);
    assert.deepEqual(await r.mget(`${k}s`, `${k}missing`, `${k}ok`), [
      "héllo wörld ✓",
      null,
      "OK",
    ]);
  });

  Deno.test(`gateway (${label}) hset and hgetall return a map`, async () => {
    const r = client(encoding);
    const k = `${prefix}${label}:h`;
    assert.equal(await r.hset(k, { name: "ada", n: 3, tag: "OK" }), 3);
    assert.deepEqual(await r.hgetall(k), { name: "ada", n: 3, tag: "OK" });
    assert.equal(await r.hget(k, "name"), "ada");
    assert.equal(await r.hgetall(`${k}:missing`), null);
  });

  Deno.test(`gateway (${label}) incr and expire behave as Redis`, async () => {
    const r = client(encoding);
    const k = `${prefix}${label}:n`;
    assert.equal(await r.incr(k), 1);
    assert.equal(await r.incrby(k, 41), 42);
    assert.equal(await r.expire(k, 100), 1);
    const ttl = await r.ttl(k);
    assert.ok(ttl > 0 && ttl <= 100, `ttl ${ttl}`);
    assert.equal(await r.expire(`${k}:missing`, 100), 0);
    assert.equal(await r.incrbyfloat(`${k}:f`, 1.5), 1.5);
  });

  Deno.test(`gateway (${label}) pipeline returns one result per command`, async () => {
    const r = client(encoding);
    const k = `${prefix}${label}:p`;
    const p = r.pipeline();
    p.set(`${k}a`, "1");
    p.incr(`${k}a`);
    p.get(`${k}a`);
    p.lpush(`${k}l`, "x", "y");
    p.lrange(`${k}l`, 0, -1);
    p.del(`${k}a`);
    assert.deepEqual(await p.exec(), ["OK", 2, 2, 2, ["y", "x"], 1]);
  });

  Deno.test(`gateway (${label}) pipeline reports a failing command without failing others`, async () => {
    const r = client(encoding);
    const k = `${prefix}${label}:pe`;
    const p = r.pipeline();
    p.set(k, "text");
    p.incr(k);
    p.get(k);
    const out = await p.exec({ keepErrors: true });
    assert.equal(out[0].result, "OK");
    assert.match(String(out[1].error), /not an integer/);
    assert.equal(out[2].result, "text");
  });

  Deno.test(`gateway (${label}) multi runs the commands as one transaction`, async () => {
    const r = client(encoding);
    const k = `${prefix}${label}:m`;
    const tx = r.multi();
    tx.set(k, "5");
    tx.incrby(k, 5);
    tx.get(k);
    assert.deepEqual(await tx.exec(), ["OK", 10, 10]);
    // The transaction ran on the real Redis.
    const io = new IoRedis(env.REDIS_URL);
    try {
      assert.equal(await io.get(k), "10");
    } finally {
      io.disconnect();
    }
  });
}

Deno.test("gateway refuses a wrong token with 401 and a JSON error", async () => {
  await assert.rejects(() => client("base64", "wrong-token").get("x"), /Unauthorized/);
  const res = await fetch(`${env.UPSTASH_REDIS_REST_URL}/`, {
    method: "POST",
    body: '["ping"]',
  });
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { error: "Unauthorized" });
});

Deno.test("gateway refuses a command outside the token's allow-list with a 403 JSON error", async () => {
  const r = client("base64");
  await assert.rejects(() => r.exec(["definitely_not_a_command", "x"]), /not allowed/i);
  const res = await fetch(`${env.UPSTASH_REDIS_REST_URL}/`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}` },
    body: '["config","get","requirepass"]',
  });
  assert.equal(res.status, 403);
  assert.match((await res.json()).error, /not allowed for the data token/);
});

Deno.test("gateway answers bad JSON and refused commands with 400 JSON errors", async () => {
  const post = (path: string, body: string) =>
    fetch(`${env.UPSTASH_REDIS_REST_URL}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}` },
      body,
    });
  for (
    const [path, body] of [["/", "{not json"], ["/", "[]"], ["/pipeline", "[]"], [
      "/",
      '["select","2"]',
    ], ["/", '["get",{"a":1}]']]
  ) {
    const res = await post(path, body);
    assert.equal(res.status, 400, `${path} ${body}`);
    assert.equal(typeof (await res.json()).error, "string");
  }
});

Deno.test("gateway sends base64 only when asked", async () => {
  const k = `${prefix}raw`;
  const call = async (encoding: boolean) => {
    const res = await fetch(`${env.UPSTASH_REDIS_REST_URL}/pipeline`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}`,
        ...(encoding ? { "upstash-encoding": "base64" } : {}),
      },
      body: JSON.stringify([["set", k, "OK"], ["get", k], ["mget", k, `${k}:none`], [
        "incr",
        `${k}:n`,
      ]]),
    });
    return await res.json();
  };
  assert.deepEqual(await call(true), [
    { result: "OK" },
    { result: "OK" },
    { result: [btoa("OK"), null] },
    { result: 1 },
  ]);
  assert.deepEqual(await call(false), [
    { result: "OK" },
    { result: "OK" },
    { result: ["OK", null] },
    { result: 2 },
  ]);
});

Deno.test("gateway matches replies to requests under concurrency, transactions included", async () => {
  const r = client("base64");
  const k = `${prefix}conc:`;
  const jobs = Array.from({ length: 300 }, async (_, i) => {
    if (i % 3 === 0) {
      const tx = r.multi();
      tx.set(`${k}${i}`, String(i));
      tx.incrby(`${k}${i}`, i);
      tx.get(`${k}${i}`);
      return JSON.stringify(await tx.exec()) === JSON.stringify(["OK", 2 * i, 2 * i]);
    }
    await r.set(`${k}${i}`, `v${i}`);
    const [a, b] = await r.mget<string[]>(`${k}${i}`, `${k}none`);
    return a === `v${i}` && b === null;
  });
  const results = await Promise.all(jobs);
  assert.deepEqual(results.map((ok, i) => ok ? -1 : i).filter((i) => i >= 0), []);
});
