import assert from "node:assert/strict";
import { redisKeys } from "../schemas/pointer.ts";
import { onnxPackage } from "../tests/contracts/model_registry_fixtures.ts";
import { resolveRegistryConfig } from "./config.ts";
import { RegistryError } from "./errors.ts";
import { LocalRegistry } from "./local.ts";
import { ModelPublisher } from "./publish.ts";
import { MemoryRegistryStore } from "./store/memory.ts";
import { createSyncService } from "./wiring.ts";

Deno.test("ModelPublisher.putPackage() stores blobs once, content-addressed", async () => {
  const store = new MemoryRegistryStore();
  const publisher = new ModelPublisher({ store });
  const pkg = { ...onnxPackage("m"), manifest: { ...onnxPackage("m").manifest, version: "1" } };
  const ref = await publisher.putPackage(pkg);
  const again = await publisher.putPackage(pkg);
  assert.deepEqual(again, ref);
  assert.equal(ref.location, `redis:${redisKeys.blob(pkg.manifest.sha256)}`);
  const manifest = JSON.parse(atob((await store.get(redisKeys.blob(ref.manifest_sha256!)))!));
  assert.equal(manifest.sha256, pkg.manifest.sha256);
});

Deno.test("ModelPublisher.putPackage() refuses bytes that do not match the manifest", async () => {
  const publisher = new ModelPublisher({ store: new MemoryRegistryStore() });
  const pkg = onnxPackage("m");
  await assert.rejects(
    publisher.putPackage({ manifest: pkg.manifest, onnx: new Uint8Array([1, 2, 3]) }),
    (e) => e instanceof RegistryError && e.code === "artifact_corrupt",
  );
});

Deno.test("ModelPublisher.putPackage() serves packages over the size limit from /packages/<sha>", async () => {
  const root = await Deno.makeTempDir({ prefix: "publish-test-" });
  try {
    const registry = new LocalRegistry({ root });
    const config = resolveRegistryConfig({
      REGISTRY_MODELS: "m",
      REGISTRY_BLOB_MAX_BYTES: "1024",
      REGISTRY_PUBLIC_URL: "https://registry.example",
      REGISTRY_EDGE_TOKEN: "edge-token",
      // A loaded shared machine must not fail the validation latency smoke run.
      REGISTRY_VALIDATION_LATENCY_MS: "10000",
    });
    const store = new MemoryRegistryStore();
    const service = createSyncService(config, { registry, store, log: () => {} });
    const big = onnxPackage("m", { graphFeatures: 200 });
    assert.ok(big.onnx.byteLength > 1024);
    await registry.register(big);
    await registry.setAlias("m", "champion", "1");
    const { pointer } = await service.worker.sync("m");
    const sha = big.manifest.sha256;
    assert.equal(pointer?.champion.location, `https://registry.example/packages/${sha}`);
    assert.equal(await store.get(redisKeys.blob(sha)), null);
    const edge = { headers: { authorization: "Bearer edge-token" } };
    const res = await service.app.request(`/packages/${sha}`, edge);
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array(big.onnx));
    assert.equal((await service.app.request(`/packages/${"0".repeat(64)}`, edge)).status, 404);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ModelPublisher.putPackage() refuses a large package when no public URL is set", async () => {
  const publisher = new ModelPublisher({ store: new MemoryRegistryStore(), blobMaxBytes: 10 });
  await assert.rejects(
    publisher.putPackage(onnxPackage("m")),
    (e) =>
      e instanceof RegistryError && e.code === "publish_failed" &&
      /REGISTRY_PUBLIC_URL/.test(e.message),
  );
});

Deno.test("ModelPublisher.updatePointer() increments the revision and skips no-op changes", async () => {
  const publisher = new ModelPublisher({ store: new MemoryRegistryStore() });
  const ref = await publisher.putPackage(onnxPackage("m"));
  const first = await publisher.updatePointer("m", () => ({
    champion: ref,
    challenger: null,
    traffic: { mode: "single", challenger_percent: 0 },
  }));
  assert.equal(first?.revision, 1);
  assert.equal(await publisher.updatePointer("m", () => null), null);
  const second = await publisher.updatePointer("m", (c) => ({
    ...c!,
    traffic: { mode: "shadow", challenger_percent: 0 },
  }));
  assert.equal(second?.revision, 2);
});

Deno.test("ModelPublisher.updatePointer() lets blobs of a replaced version expire", async () => {
  let now = 1_000_000;
  const store = new MemoryRegistryStore({ now: () => now });
  const publisher = new ModelPublisher({ store, retiredBlobTtlSeconds: 60 });
  const v1 = await publisher.putPackage(onnxPackage("m", { seed: 1 }));
  const v2 = await publisher.putPackage(onnxPackage("m", { seed: 2 }));
  const single = { mode: "single" as const, challenger_percent: 0 };
  await publisher.updatePointer("m", () => ({ champion: v1, challenger: null, traffic: single }));
  await publisher.updatePointer("m", () => ({ champion: v2, challenger: null, traffic: single }));
  now += 59_000;
  assert.equal(await publisher.ensureStored(v1), true, "still there, and its expiry lifted");
  await publisher.updatePointer("m", () => ({ champion: v2, challenger: null, traffic: single }));
  await publisher.updatePointer("m", () => ({ champion: v1, challenger: null, traffic: single }));
  now += 61_000;
  assert.equal(await publisher.ensureStored(v2), false, "v2 left the pointer and expired");
  assert.equal(await publisher.ensureStored(v1), true, "v1 is referenced and kept");
});
