/**
 * The Deno Deploy entry under `deno serve` with only --allow-net,
 * --allow-env and --allow-read: no writes, no subprocess, no FFI; the WASM
 * runtime loads from the installed package without network.
 */
import assert from "node:assert/strict";
import { LocalRegistry } from "../../registry/mod.ts";
import {
  demoPackage,
  edgeServeArgs,
  jsonPost,
  REFERENCE_FRAUD_REQUEST,
} from "../../edge/testing/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
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
