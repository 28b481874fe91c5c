import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import {
  BadContentLengthError,
  bearerToken,
  BodyReader,
  BodyTimeoutError,
  BodyTooLargeError,
  CappedBytes,
  constantTimeEqual,
  matchesAnyKey,
  readCapped,
} from "./http_guard.ts";

/** A chunked request whose body is `chunks`, then (when `hang`) never ends. */
function chunked(chunks: string[], hang = false): Request {
  const enc = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(enc.encode(chunks[i++]));
      else if (!hang) controller.close();
      else return new Promise(() => {}); // the client stops sending
    },
  });
  return new Request("http://x/", { method: "POST", body });
}

Deno.test("BodyReader.text() reads a body within the limit, declared or chunked", async () => {
  const bodies = new BodyReader({ maxBytes: 10 });
  assert.equal(
    await bodies.text(new Request("http://x/", { method: "POST", body: "12345" })),
    "12345",
  );
  assert.equal(await bodies.text(chunked(["12", "345", "67890"])), "1234567890");
  bodies.close();
});

Deno.test("BodyReader.text() refuses a chunked body as soon as it passes the limit", async () => {
  const bodies = new BodyReader({ maxBytes: 10 });
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(4)); // endless
    },
  });
  const req = new Request("http://x/", { method: "POST", body });
  await assert.rejects(() => bodies.text(req), BodyTooLargeError);
  assert.ok(pulled <= 4, `read ${pulled} chunks of an endless body`);
  bodies.close();
});

Deno.test("BodyReader.checkDeclared() refuses a declared length over the limit before reading", () => {
  const bodies = new BodyReader({ maxBytes: 10 });
  const req = (length: string) =>
    new Request("http://x/", { method: "POST", headers: { "content-length": length } });
  assert.throws(() => bodies.checkDeclared(req("11")), BodyTooLargeError);
  assert.throws(() => bodies.checkDeclared(req("1e3")), BadContentLengthError);
  bodies.checkDeclared(req("10"));
});

Deno.test("BodyReader.text() gives up on a body that stops arriving", async () => {
  const clock = FakeTimers.withGlobal(globalThis).install({
    toFake: ["setInterval", "clearInterval", "Date"],
  });
  try {
    const bodies = new BodyReader({ maxBytes: 100, timeoutMs: 5000, tickMs: 1000 });
    const read = bodies.text(chunked(["partial"], true));
    const outcome = read.then(() => "read", (e) => e);
    await clock.tickAsync(4000);
    assert.equal(await Promise.race([outcome, Promise.resolve("pending")]), "pending");
    await clock.tickAsync(2000);
    assert.ok((await outcome) instanceof BodyTimeoutError);
    bodies.close();
  } finally {
    clock.uninstall();
  }
});

Deno.test("constantTimeEqual() compares whole strings, lengths included", () => {
  assert.ok(constantTimeEqual("dev-token", "dev-token"));
  assert.ok(!constantTimeEqual("dev-token", "dev-tokem"));
  assert.ok(!constantTimeEqual("dev-token", "dev-token-longer"));
  assert.ok(!constantTimeEqual("", "x"));
  assert.ok(!constantTimeEqual("é", "e\u0301"));
});

Deno.test("matchesAnyKey() and bearerToken() accept only a configured key", () => {
  assert.equal(bearerToken("Bearer abc "), "abc");
  assert.equal(bearerToken("Basic abc"), null);
  assert.ok(matchesAnyKey("k2", ["k1", "k2"]));
  assert.ok(!matchesAnyKey("k3", ["k1", "k2"]));
  assert.ok(!matchesAnyKey("", [""]));
  assert.ok(!matchesAnyKey(null, ["k1"]));
});

Deno.test("BodyReader's watchdog does not keep a process alive", async () => {
  const module = new URL("./http_guard.ts", import.meta.url).href;
  const code = `import { BodyReader } from "${module}";
const b = new BodyReader({ maxBytes: 10 });
console.log(await b.text(new Request("http://x/", { method: "POST", body: "hi" })));`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(killer);
  assert.equal(out.code, 0, "the process had to be killed: the watchdog held it");
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "hi");
});

Deno.test("readCapped() returns every byte up to the limit and cancels the stream past it", async () => {
  const enc = new TextEncoder();
  // Open-ended unless `close`: a stream that passes the limit must not be read to its end.
  const stream = (parts: string[], onCancel?: () => void, close = false) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(enc.encode(p));
        if (close) c.close();
      },
      cancel: onCancel,
    });
  assert.equal(
    new TextDecoder().decode(await readCapped(stream(["ab", "cd", "e"], undefined, true), 5)),
    "abcde",
  );
  let cancelled = false;
  await assert.rejects(
    readCapped(stream(["abc", "def"], () => (cancelled = true)), 5),
    BodyTooLargeError,
  );
  assert.ok(cancelled);
  await assert.rejects(
    readCapped(stream(["abcdef"]), 5, () => new RangeError("too big")),
    RangeError,
  );
  const sink = new CappedBytes(3);
  sink.push(enc.encode("ab"));
  sink.push(enc.encode("c"));
  assert.deepEqual(sink.bytes(), enc.encode("abc"));
  assert.throws(() => sink.push(enc.encode("d")), BodyTooLargeError);
});
