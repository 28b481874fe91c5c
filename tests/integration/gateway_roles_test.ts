/**
 * The gateway's per-role allow-lists against a private redis-server that has
 * a password (as production Redis does): for each role, what it may do
 * works and what it may not is refused with a 403 and never reaches Redis;
 * `?_token=` is off by default; the body limit holds for path-style
 * commands and chunked bodies.
 */
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { Redis as IoRedis } from "ioredis";
import { type GatewayRole, startGateway } from "../../deploy/upstash_gateway/mod.ts";
import { ONLINE_CAS_SCRIPT } from "../../pipeline/online/mod.ts";
import { POINTER_CAS_SCRIPT } from "../../registry/store/mod.ts";
import { redisKeys } from "../../schemas/pointer.ts";

const PASSWORD = `redis-pw-${crypto.randomUUID()}`;
const TOKENS: Record<GatewayRole, string> = {
  edge: `edge-${crypto.randomUUID()}`,
  worker: `worker-${crypto.randomUUID()}`,
  admin: `admin-${crypto.randomUUID()}`,
  data: `data-${crypto.randomUUID()}`,
};

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function withGateway(
  fn: (url: string, io: IoRedis) => Promise<void>,
  options: { allowQueryToken?: boolean; maxBodyBytes?: number } = {},
) {
  const port = freePort();
  const redis = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--requirepass", PASSWORD],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const redisUrl = `redis://:${PASSWORD}@127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const io = new IoRedis(redisUrl, { maxRetriesPerRequest: 1 });
  const gateway = startGateway({
    host: "127.0.0.1",
    port: 0,
    tokens: TOKENS,
    maxBodyBytes: options.maxBodyBytes ?? 1 << 20,
    allowQueryToken: options.allowQueryToken,
    redisUrl,
  });
  try {
    await fn(`http://127.0.0.1:${gateway.addr.port}`, io);
  } finally {
    await gateway.shutdown();
    io.disconnect();
    redis.kill("SIGKILL");
    await redis.status;
  }
}

const post = (url: string, role: GatewayRole, body: unknown, path = "/") =>
  fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKENS[role]}` },
    body: JSON.stringify(body),
  });

async function expectRefused(url: string, role: GatewayRole, command: unknown[]) {
  const res = await post(url, role, command);
  const body = await res.json();
  assert.equal(res.status, 403, `${role} ${JSON.stringify(command)}: ${JSON.stringify(body)}`);
  assert.match(body.error, /not allowed/);
}

const pointer = redisKeys.pointer("fraud_detector");
const feature = redisKeys.online("transactions", 1, "user_1");
const counter = redisKeys.rolloutCounters("fraud_detector", "champion", 1);

Deno.test("gateway: no role reads the Redis password, flushes, scripts or lists keys", async () => {
  await withGateway(async (url, io) => {
    await io.set(pointer, '{"revision":1}');
    for (const role of ["edge", "worker", "admin", "data"] as const) {
      for (
        const command of [
          ["CONFIG", "GET", "requirepass"],
          ["CONFIG", "SET", "requirepass", ""],
          ["FLUSHALL"],
          ["ACL", "LIST"],
          ["REPLICAOF", "127.0.0.1", "1"],
          ["EVAL", "return redis.call('FLUSHALL')", "0"],
          ["SCRIPT", "FLUSH"],
          ["KEYS", "*"],
        ]
      ) await expectRefused(url, role, command);
    }
    // None of it reached Redis.
    assert.equal(await io.get(pointer), '{"revision":1}');
    assert.deepEqual(await io.config("GET", "requirepass"), ["requirepass", PASSWORD]);
  });
});

Deno.test("gateway: the edge token reads features and pointers and counts rollouts only", async () => {
  await withGateway(async (url, io) => {
    await io.set(pointer, '{"revision":1}');
    await io.set(feature, '{"v":1}');
    const edge = new Redis({ url, token: TOKENS.edge, enableTelemetry: false, retry: false });
    assert.deepEqual(await edge.get(pointer), { revision: 1 });
    assert.deepEqual(await edge.mget(feature), [{ v: 1 }]);
    const p = edge.pipeline();
    p.hincrby(counter, "requests", 2);
    p.expire(counter, 60);
    assert.deepEqual(await p.exec(), [2, 1]);
    await expectRefused(url, "edge", ["SET", pointer, '{"revision":99}']);
    await expectRefused(url, "edge", ["EVAL", POINTER_CAS_SCRIPT, "1", pointer, "", "{}"]);
    await expectRefused(url, "edge", ["SET", feature, "{}"]);
    await expectRefused(url, "edge", ["DEL", feature]);
    await expectRefused(url, "edge", ["GET", "session:other-app"]);
    // A pipeline with one refused command runs none of them.
    const mixed = await post(
      url,
      "edge",
      [["HINCRBY", counter, "requests", 1], ["DEL", pointer]],
      "/pipeline",
    );
    assert.equal(mixed.status, 403);
    assert.equal(await io.hget(counter, "requests"), "2");
    assert.equal(await io.get(pointer), '{"revision":1}');
  });
});

Deno.test("gateway: the worker token writes features only", async () => {
  await withGateway(async (url, io) => {
    await io.set(pointer, '{"revision":1}');
    const res = await post(url, "worker", [
      "EVAL",
      ONLINE_CAS_SCRIPT,
      "1",
      feature,
      "60",
      "",
      '{"v":1,"rev":1}',
    ]);
    assert.equal(res.status, 200);
    assert.equal(await io.get(feature), '{"v":1,"rev":1}');
    await expectRefused(url, "worker", ["SET", pointer, "{}"]);
    await expectRefused(url, "worker", ["GET", pointer]);
    await expectRefused(url, "worker", ["HINCRBY", counter, "requests", 1]);
    await expectRefused(url, "worker", ["EVAL", POINTER_CAS_SCRIPT, "1", feature, "", "{}"]);
    assert.equal(await io.get(pointer), '{"revision":1}');
  });
});

Deno.test("gateway: the admin token writes pointers only", async () => {
  await withGateway(async (url, io) => {
    await io.set(feature, '{"v":1}');
    const res = await post(url, "admin", [
      "EVAL",
      POINTER_CAS_SCRIPT,
      "1",
      pointer,
      "",
      '{"revision":2}',
    ]);
    assert.equal(res.status, 200);
    assert.equal(await io.get(pointer), '{"revision":2}');
    await expectRefused(url, "admin", ["MGET", feature]);
    await expectRefused(url, "admin", ["SET", feature, "{}"]);
    await expectRefused(url, "admin", ["HINCRBY", counter, "requests", 1]);
    assert.equal(await io.get(feature), '{"v":1}');
  });
});

Deno.test("gateway: ?_token= is refused unless enabled", async () => {
  await withGateway(async (url) => {
    const res = await fetch(`${url}/ping?_token=${TOKENS.data}`);
    assert.equal(res.status, 401);
  });
  await withGateway(async (url) => {
    const res = await fetch(`${url}/ping?_token=${TOKENS.data}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { result: "PONG" });
  }, { allowQueryToken: true });
});

Deno.test("gateway: the body limit holds for path-style commands and chunked bodies", async () => {
  await withGateway(async (url, io) => {
    const big = new Uint8Array(8 * 1024 * 1024).fill(0x61);
    const pathStyle = await fetch(`${url}/set/big`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKENS.data}` },
      body: big,
    });
    assert.equal(pathStyle.status, 413);
    assert.equal(await io.exists("big"), 0);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 64 * 1024 * 1024) return controller.close();
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const chunked = await fetch(`${url}/`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKENS.data}` },
      body: stream,
    });
    assert.equal(chunked.status, 413);
    assert.ok(sent < 64 * 1024 * 1024, `the client sent all ${sent} bytes before the 413`);
  }, { maxBodyBytes: 1024 * 1024 });
});
