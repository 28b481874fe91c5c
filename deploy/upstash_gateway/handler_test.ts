import assert from "node:assert/strict";
import { createGatewayHandler, parseCommand } from "./handler.ts";
import { RedisConnection } from "./redis.ts";
import { BadRequestError } from "./errors.ts";

function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("parseCommand() stringifies numbers and refuses connection-state commands", () => {
  assert.deepEqual(parseCommand(["set", "k", 1.5, true]), ["set", "k", "1.5", "true"]);
  assert.throws(() => parseCommand([]), BadRequestError);
  assert.throws(() => parseCommand(["get", null]), BadRequestError);
  assert.throws(() => parseCommand(["SELECT", "1"]), BadRequestError);
  assert.throws(() => parseCommand("get"), BadRequestError);
});

Deno.test("createGatewayHandler() answers 503 JSON when Redis is down, 401 before that", async () => {
  const port = closedPort();
  const redis = new RedisConnection({ hostname: "127.0.0.1", port });
  const handler = createGatewayHandler({
    redis,
    dedicated: () => new RedisConnection({ hostname: "127.0.0.1", port }),
    tokens: { data: "t" },
    maxBodyBytes: 100,
  });
  const post = (body: string, token = "t", path = "/") =>
    handler(
      new Request(`http://gw${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body,
      }),
    );
  const down = await post('["get","k"]');
  assert.equal(down.status, 503);
  assert.match((await down.json()).error, /Redis is unavailable/);
  const unauthorized = await post('["get","k"]', "nope");
  assert.equal(unauthorized.status, 401);
  assert.deepEqual(await unauthorized.json(), { error: "Unauthorized" });
  const tooLarge = await post(JSON.stringify(["set", "k", "x".repeat(200)]));
  assert.equal(tooLarge.status, 413);
  const wrongMethod = await handler(
    new Request("http://gw/pipeline", { method: "GET", headers: { authorization: "Bearer t" } }),
  );
  assert.equal(wrongMethod.status, 405);
  redis.close();
});
