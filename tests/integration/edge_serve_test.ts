/**
 * The Deno Deploy entry under `deno serve` with only --allow-net,
 * --allow-env and --allow-read: no writes, no subprocess, no FFI; the WASM
 * runtime loads from the installed package without network.
 */
import assert from "node:assert/strict";
import { LocalRegistry } from "../../registry/mod.ts";
import { demoPackage, edgeServeArgs, jsonPost, REFERENCE_FRAUD_REQUEST } from "../support/edge.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Sends one raw POST /predict over a new connection; returns the head and the raw body. */
async function rawPredict(port: number, version: "1.0" | "1.1") {
  const body = JSON.stringify(REFERENCE_FRAUD_REQUEST);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(
    `POST /predict HTTP/${version}\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  ));
  const text = await new Response(conn.readable).text();
  const split = text.indexOf("\r\n\r\n");
  return { head: text.slice(0, split).toLowerCase(), body: text.slice(split + 4) };
}

/** Decodes a chunked HTTP/1.1 body. */
function unchunk(raw: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const eol = raw.indexOf("\r\n", at);
    const size = parseInt(raw.slice(at, eol), 16);
    assert.ok(Number.isInteger(size), `chunk size at ${at}: ${raw.slice(at, at + 10)}`);
    if (size === 0) return out;
    out += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

Deno.test("edge/deploy.ts serves /predict under deno serve without write permission", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edge-serve-" });
  const registry = new LocalRegistry({ root: dir });
  await registry.register(await demoPackage());
  await registry.setAlias("fraud_detector", "champion", "1");
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: edgeServeArgs(port),
    cwd: ROOT,
    env: { EDGE_REGISTRY_DIR: dir, EDGE_LOG_LEVEL: "warn", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  try {
    let ready: Response | undefined;
    for (let i = 0; i < 300; i++) {
      try {
        ready = await fetch(`http://127.0.0.1:${port}/ready`);
        if (ready.status === 200) break;
        await ready.body?.cancel();
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(ready?.status, 200, "ready");
    assert.equal((await ready!.json()).model_version, "1");
    const res = await fetch(`http://127.0.0.1:${port}/predict`, jsonPost(REFERENCE_FRAUD_REQUEST));
    assert.equal(res.status, 200);
    assert.equal((await res.json()).model_name, "fraud_detector");
    // HTTP/1.1 gets a chunked answer (one write in Deno 2.9); HTTP/1.0 a Content-Length.
    const h11 = await rawPredict(port, "1.1");
    assert.match(h11.head, /^http\/1\.1 200/);
    assert.match(h11.head, /\r\ntransfer-encoding: chunked/);
    assert.doesNotMatch(h11.head, /content-length/);
    assert.equal(JSON.parse(unchunk(h11.body)).model_name, "fraud_detector");
    const h10 = await rawPredict(port, "1.0");
    assert.match(h10.head, /^http\/1\.[01] 200/);
    assert.doesNotMatch(h10.head, /transfer-encoding/);
    const length = Number(/\r\ncontent-length: (\d+)/.exec(h10.head)?.[1]);
    assert.equal(new TextEncoder().encode(h10.body).length, length);
    assert.equal(JSON.parse(h10.body).model_name, "fraud_detector");
  } finally {
    child.kill("SIGTERM");
    await child.status;
    const [out, err] = await output;
    assert.doesNotMatch(out + err, /NotCapable|PermissionDenied|Requires (write|run|ffi)/);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("edge/deploy.ts fails fast listing every configuration problem", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: edgeServeArgs(freePort()),
    cwd: ROOT,
    env: { EDGE_ONLINE_TIMEOUT_MS: "soon", EDGE_MODEL_SOURCE: "pointer", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.notEqual(out.code, 0);
  const text = new TextDecoder().decode(out.stderr);
  assert.match(text, /EDGE_ONLINE_TIMEOUT_MS/);
  assert.match(text, /UPSTASH_REDIS_REST_URL/);
});
