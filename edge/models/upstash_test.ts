import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { redisKeys } from "../../schemas/pointer.ts";
import { EdgeError } from "../errors.ts";
import { demoPackage, sha256Hex } from "../../tests/support/edge.ts";
import { type PointerRedis, UpstashPointerSource } from "./upstash.ts";

/** The two `@upstash/redis` calls the source makes, over a Map. */
function fakeRedis(map: Map<string, string>): PointerRedis {
  return {
    get: (key: string) => Promise.resolve(map.get(key) ?? null),
    mget: (...keys: string[]) => Promise.resolve(keys.map((k) => map.get(k) ?? null)),
  } as unknown as PointerRedis;
}

async function publish(map: Map<string, string>, bias = 0, corrupt = false) {
  const pkg = await demoPackage({ bias });
  const manifestBytes = new TextEncoder().encode(JSON.stringify(pkg.manifest));
  const manifestSha = await sha256Hex(manifestBytes);
  const onnx = corrupt ? pkg.onnx.slice(1) : pkg.onnx;
  map.set(redisKeys.blob(pkg.manifest.sha256), Buffer.from(onnx).toString("base64"));
  map.set(redisKeys.blob(manifestSha), Buffer.from(manifestBytes).toString("base64"));
  return {
    sha256: pkg.manifest.sha256,
    location: `redis:${redisKeys.blob(pkg.manifest.sha256)}`,
    manifest_sha256: manifestSha,
  };
}

Deno.test("UpstashPointerSource reads the pointer and verified blobs", async () => {
  const map = new Map<string, string>();
  const champion = { version: "3", ...(await publish(map)) };
  const challenger = { version: "4", ...(await publish(map, 1)) };
  map.set(
    redisKeys.pointer("fraud_detector"),
    JSON.stringify({
      model_name: "fraud_detector",
      revision: 7,
      updated_at: "2026-11-28T00:00:00Z",
      champion,
      challenger,
      traffic: { mode: "canary", challenger_percent: 10 },
    }),
  );
  const source = new UpstashPointerSource(fakeRedis(map), ["fraud_detector"]);
  const route = await source.getRoute("fraud_detector");
  assert.deepEqual(route, {
    revision: "7",
    aliases: { champion: "3", challenger: "4" },
    versions: ["3", "4"],
    traffic: { mode: "canary", challenger_percent: 10 },
  });
  const pkg = await source.getPackage("fraud_detector", "4");
  assert.equal(pkg.manifest.version, "4");
  assert.equal(await sha256Hex(pkg.onnx), challenger.sha256);
  await assert.rejects(
    () => source.getPackage("fraud_detector", "5"),
    (e: unknown) => e instanceof EdgeError && e.code === "version_not_found",
  );
  await assert.rejects(
    () => source.getRoute("other"),
    (e: unknown) => e instanceof EdgeError && e.code === "model_not_found",
  );
});

Deno.test("UpstashPointerSource refuses a blob whose sha256 does not match", async () => {
  const map = new Map<string, string>();
  const champion = { version: "1", ...(await publish(map, 0, true)) };
  map.set(
    redisKeys.pointer("fraud_detector"),
    JSON.stringify({
      model_name: "fraud_detector",
      revision: 1,
      updated_at: "2026-11-28T00:00:00Z",
      champion,
    }),
  );
  const source = new UpstashPointerSource(fakeRedis(map), ["fraud_detector"]);
  await assert.rejects(
    () => source.getPackage("fraud_detector", "1"),
    (e: unknown) => e instanceof EdgeError && /sha256 does not match/.test(e.message),
  );
});

Deno.test("UpstashPointerSource fetches a large package from its HTTP location", async () => {
  const map = new Map<string, string>();
  const ref = await publish(map);
  const pkg = await demoPackage();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      req.headers.get("authorization") !== "Bearer edge-token"
        ? new Response("no", { status: 401 })
        : new URL(req.url).pathname === `/packages/${ref.sha256}`
        ? new Response(pkg.onnx as Uint8Array<ArrayBuffer>)
        : new Response("no", { status: 404 }),
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const pointer = (location: string) =>
      JSON.stringify({
        model_name: "fraud_detector",
        revision: 1,
        updated_at: "2026-11-28T00:00:00Z",
        champion: { ...ref, version: "1", location },
      });
    map.set(redisKeys.pointer("fraud_detector"), pointer(`${base}/packages/${ref.sha256}`));
    const options = { artifactOrigins: [base], artifactToken: "edge-token" };
    const source = new UpstashPointerSource(fakeRedis(map), ["fraud_detector"], options);
    const got = await source.getPackage("fraud_detector", "1");
    assert.equal(await sha256Hex(got.onnx), ref.sha256);
    map.set(redisKeys.pointer("fraud_detector"), pointer(`${base}/packages/missing`));
    const again = new UpstashPointerSource(fakeRedis(map), ["fraud_detector"], options);
    const error = await again.getPackage("fraud_detector", "1").catch((e) => e);
    assert.match(error.message, /HTTP 404/);
    assert.ok(!error.message.includes(base), "the location stays out of the message");
  } finally {
    await server.shutdown();
  }
});

/** A pointer to `location` for the artifact `ref`. */
function pointerTo(ref: { sha256: string; manifest_sha256: string }, location: string) {
  return JSON.stringify({
    model_name: "fraud_detector",
    revision: 1,
    updated_at: "2026-11-28T00:00:00Z",
    champion: { ...ref, version: "1", location },
  });
}

Deno.test("UpstashPointerSource fetches nothing from an origin not on the allow-list", async () => {
  const map = new Map<string, string>();
  const ref = await publish(map);
  map.set(redisKeys.pointer("fraud_detector"), pointerTo(ref, "http://169.254.169.254/latest"));
  let fetched = 0;
  const logged: string[] = [];
  const source = new UpstashPointerSource(fakeRedis(map), ["fraud_detector"], {
    artifactOrigins: ["https://registry.example"],
    fetch: () => {
      fetched++;
      return Promise.resolve(new Response("x"));
    },
    onFetchError: (_, location) => logged.push(location),
  });
  const error = await source.getPackage("fraud_detector", "1").catch((e) => e);
  assert.match(error.message, /origin not allowed/);
  assert.ok(!error.message.includes("169.254"), error.message);
  assert.equal(fetched, 0);
  assert.deepEqual(logged, ["http://169.254.169.254/latest"]);
});

Deno.test("UpstashPointerSource stops reading an artifact past its size limit", async () => {
  const map = new Map<string, string>();
  const ref = await publish(map);
  let sent = 0;
  const endless = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          sent += 64 * 1024;
          controller.enqueue(new Uint8Array(64 * 1024));
        },
      }),
    );
  map.set(redisKeys.pointer("fraud_detector"), pointerTo(ref, "https://registry.example/p"));
  const source = new UpstashPointerSource(fakeRedis(map), ["fraud_detector"], {
    artifactOrigins: ["https://registry.example"],
    maxArtifactBytes: 1024 * 1024,
    fetch: () => Promise.resolve(endless()),
  });
  await assert.rejects(() => source.getPackage("fraud_detector", "1"), /larger than 1048576/);
  assert.ok(sent <= 2 * 1024 * 1024, `read ${sent} bytes of an endless artifact`);
});

Deno.test("UpstashPointerSource refuses a Redis blob over the limit before reading it", async () => {
  const map = new Map<string, string>();
  const ref = await publish(map);
  map.set(redisKeys.pointer("fraud_detector"), pointerTo(ref, ref.location));
  let reads = 0;
  const redis = {
    ...fakeRedis(map),
    get: (key: string) => {
      if (key.startsWith("model:blob:")) reads++;
      return Promise.resolve(map.get(key) ?? null);
    },
    strlen: (key: string) => Promise.resolve((map.get(key) ?? "").length),
  } as unknown as PointerRedis;
  const source = new UpstashPointerSource(redis, ["fraud_detector"], { maxArtifactBytes: 64 });
  await assert.rejects(() => source.getPackage("fraud_detector", "1"), /larger than 64 bytes/);
  assert.equal(reads, 0);
});

Deno.test("UpstashPointerSource serves only the configured model names unless told otherwise", async () => {
  const map = new Map<string, string>();
  const ref = await publish(map);
  map.set(redisKeys.pointer("other_model"), pointerTo(ref, ref.location));
  const only = new UpstashPointerSource(fakeRedis(map), ["fraud_detector"]);
  await assert.rejects(
    () => only.getRoute("other_model"),
    (e: unknown) => e instanceof EdgeError && e.code === "model_not_found",
  );
  const any = new UpstashPointerSource(fakeRedis(map), ["fraud_detector"], { anyModel: true });
  assert.equal((await any.getRoute("other_model")).aliases.champion, "1");
});
