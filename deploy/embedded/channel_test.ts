import assert from "node:assert/strict";
import { FeatureRequestError, RetryableError } from "../../pipeline/mod.ts";
import { PlatformError } from "../../schemas/errors.ts";
import { connectChannel } from "./channel.ts";

interface Calls {
  echo(x: unknown): Promise<unknown>;
  fail(kind: string): Promise<never>;
  hang(): Promise<never>;
}

/** Both ends of a `MessageChannel`: `remote` calls the functions `answer` serves. */
function pair(timeoutMs = 10_000) {
  const { port1, port2 } = new MessageChannel();
  const answer = connectChannel<Record<string, never>>(port1, {
    echo: (x: unknown) => Promise.resolve(x),
    fail: (kind: string) => {
      if (kind === "retryable") throw new RetryableError("Cannot write: store is down");
      if (kind === "request") {
        throw new FeatureRequestError("Cannot read as_of 'x'", {
          details: [{ path: "as_of", message: "Must be an ISO 8601 timestamp" }],
        });
      }
      throw new TypeError("boom");
    },
    hang: () => new Promise<never>(() => {}),
  }, { remote: [], peer: "answering side", timeoutMs });
  const ask = connectChannel<Calls>(port2, {}, {
    remote: ["echo", "fail", "hang"],
    peer: "answering side",
    timeoutMs,
  });
  port1.start();
  port2.start();
  return {
    remote: ask.remote,
    ask,
    close() {
      ask.close(new Error("closed"));
      answer.close(new Error("closed"));
      port1.close();
      port2.close();
    },
  };
}

Deno.test("connectChannel() returns results and rethrows errors with their code, message and details", async () => {
  const p = pair();
  try {
    const bytes = new Uint8Array([1, 2, 250]);
    assert.deepEqual(await p.remote.echo({ a: [1, "x", null], bytes }), {
      a: [1, "x", null],
      bytes,
    });
    await assert.rejects(p.remote.fail("retryable"), (e) => {
      assert.ok(e instanceof RetryableError);
      assert.equal(e.code, "pipeline_retryable");
      assert.equal(e.message, "Cannot write: store is down");
      return true;
    });
    await assert.rejects(p.remote.fail("request"), (e) => {
      assert.ok(e instanceof PlatformError);
      assert.equal(e.code, "invalid_request");
      assert.deepEqual(e.details, [{ path: "as_of", message: "Must be an ISO 8601 timestamp" }]);
      return true;
    });
    await assert.rejects(p.remote.fail("other"), (e) => {
      assert.ok(!(e instanceof PlatformError));
      assert.equal((e as Error).name, "TypeError");
      assert.equal((e as Error).message, "boom");
      return true;
    });
  } finally {
    p.close();
  }
});

Deno.test("connectChannel() fails a call in flight, and every later one, with the reason it was closed", async () => {
  const p = pair();
  try {
    const pending = p.remote.hang();
    const reason = new RetryableError("The pipeline thread stopped: out of memory");
    p.ask.close(reason);
    await assert.rejects(pending, (e) => e === reason);
    await assert.rejects(p.remote.echo(1), (e) => e === reason);
  } finally {
    p.close();
  }
});

Deno.test("connectChannel() gives up on a call without an answer with a RetryableError naming the peer", async () => {
  const p = pair(30);
  try {
    await assert.rejects(p.remote.hang(), (e) => {
      assert.ok(e instanceof RetryableError);
      assert.equal(e.message, "No answer from the answering side to 'hang' within 30 ms");
      return true;
    });
  } finally {
    p.close();
  }
});
