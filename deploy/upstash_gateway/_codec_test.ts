import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { encodeCommand, type Reply, ReplyError, ReplyParser } from "./_codec.ts";

function parseAll(parser: ReplyParser): Reply[] {
  const out: Reply[] = [];
  for (let r = parser.next(); r !== undefined; r = parser.next()) out.push(r.value);
  return out;
}

Deno.test("encodeCommand() counts UTF-8 bytes, not characters", () => {
  const out: string[] = [];
  encodeCommand(["SET", "k", "é✓"], out);
  assert.equal(out.join(""), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\né✓\r\n");
});

Deno.test("ReplyParser parses every RESP2 type", () => {
  const p = new ReplyParser();
  p.push(
    new TextEncoder().encode(
      "+OK\r\n-ERR bad\r\n:-42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n*-1\r\n$0\r\n\r\n",
    ),
  );
  const [ok, err, n, bulk, nil, arr, nilArr, empty] = parseAll(p);
  assert.equal(ok, "OK");
  assert.ok(err instanceof ReplyError && err.message === "ERR bad");
  assert.equal(n, -42);
  assert.equal((bulk as Buffer).toString(), "hello");
  assert.equal(nil, null);
  assert.equal(((arr as Reply[])[0] as Buffer).toString(), "a");
  assert.deepEqual((arr as Reply[])[1], [1]);
  assert.equal(nilArr, null);
  assert.equal((empty as Buffer).length, 0);
});

Deno.test("ReplyParser waits for replies split across chunks, byte by byte", () => {
  const bytes = new TextEncoder().encode("*3\r\n$3\r\nabc\r\n:7\r\n+PONG\r\n$2\r\nxy\r\n");
  const p = new ReplyParser();
  const got: Reply[] = [];
  const chunk = new Uint8Array(1);
  for (const b of bytes) {
    chunk[0] = b; // the same buffer is reused, as a socket reader would
    p.push(chunk);
    got.push(...parseAll(p));
  }
  assert.equal(got.length, 2);
  const [arr, last] = got as [Reply[], Buffer];
  assert.equal((arr[0] as Buffer).toString(), "abc");
  assert.equal(arr[1], 7);
  assert.equal(arr[2], "PONG");
  assert.equal(last.toString(), "xy");
});
