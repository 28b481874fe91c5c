import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { ReplyError } from "./_codec.ts";
import { toUpstashEntry, toUpstashResult } from "./encoding.ts";

const b = (s: string) => Buffer.from(s);

Deno.test("toUpstashResult() base64-encodes strings but keeps a top-level OK", () => {
  assert.equal(toUpstashResult("OK", true), "OK");
  assert.equal(toUpstashResult(b("OK"), true), "OK");
  assert.equal(toUpstashResult(b("héllo"), true), Buffer.from("héllo").toString("base64"));
  assert.equal(toUpstashResult("PONG", true), btoa("PONG"));
  assert.equal(toUpstashResult(7, true), 7);
  assert.equal(toUpstashResult(null, true), null);
});

Deno.test("toUpstashResult() encodes arrays recursively, OK included", () => {
  assert.deepEqual(toUpstashResult([b("OK"), null, 3, [b("a")]], true), [
    btoa("OK"),
    null,
    3,
    [btoa("a")],
  ]);
  assert.deepEqual(toUpstashResult([b("OK"), null, 3, [b("é")]], false), ["OK", null, 3, ["é"]]);
});

Deno.test("toUpstashEntry() turns error replies into error entries", () => {
  assert.deepEqual(toUpstashEntry(new ReplyError("ERR x"), true), { error: "ERR x" });
  assert.deepEqual(toUpstashEntry(b("v"), false), { result: "v" });
});
