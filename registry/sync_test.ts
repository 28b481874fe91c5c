import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { redisKeys } from "../schemas/pointer.ts";
import { onnxPackage } from "../tests/contracts/model_registry_fixtures.ts";
import { RegistryError } from "./errors.ts";
import { LocalRegistry } from "./local.ts";
import { createRegistryMetrics, type RegistryLog } from "./registry_metrics.ts";
import type { ModelRegistry } from "./port.ts";
import { ModelPublisher } from "./publish.ts";
import { MemoryRegistryStore } from "./store/memory.ts";
import { SyncWorker } from "./sync.ts";

const quiet: RegistryLog = () => {};

async function setup(registryOverride?: (r: LocalRegistry) => ModelRegistry) {
  const root = await Deno.makeTempDir({ prefix: "sync-test-" });
  const local = new LocalRegistry({ root });
  const store = new MemoryRegistryStore();
  const prom = new Registry();
  const metrics = createRegistryMetrics(prom);
  const worker = new SyncWorker({
    registry: registryOverride ? registryOverride(local) : local,
    publisher: new ModelPublisher({ store }),
    models: ["m"],
    metrics,
    log: quiet,
    validation: { smokeRuns: 5 },
  });
  const cleanup = () => Deno.remove(root, { recursive: true });
  return { root, local, store, prom, metrics, worker, cleanup };
}

Deno.test("SyncWorker.sync() publishes the champion's blobs and a first pointer", async () => {
  const t = await setup();
  try {
    const stored = await t.local.register(onnxPackage("m"));
    await t.local.setAlias("m", "champion", stored.version);
    const outcome = await t.worker.sync("m");
    assert.equal(outcome.changed, true);
    assert.equal(outcome.pointer?.revision, 1);
    assert.equal(outcome.pointer?.champion.version, "1");
    assert.equal(outcome.pointer?.challenger, null);
    const blob = await t.store.get(redisKeys.blob(stored.sha256));
    assert.equal(outcome.pointer?.champion.location, `redis:${redisKeys.blob(stored.sha256)}`);
    assert.deepEqual(
      Uint8Array.from(atob(blob!), (ch) => ch.charCodeAt(0)),
      new Uint8Array(onnxPackage("m").onnx),
    );
    const manifest = JSON.parse(
      atob((await t.store.get(redisKeys.blob(outcome.pointer!.champion.manifest_sha256!)))!),
    );
    assert.equal(manifest.version, "1");
    assert.equal((await t.worker.sync("m")).changed, false, "a second sync changes nothing");
    assert.equal(JSON.parse((await t.store.get(redisKeys.pointer("m")))!).revision, 1);
  } finally {
    await t.cleanup();
  }
});

Deno.test("SyncWorker.sync() starts a canary when a challenger appears", async () => {
  const t = await setup();
  try {
    await t.local.register(onnxPackage("m"));
    await t.local.register(onnxPackage("m", { seed: 2 }));
    await t.local.setAlias("m", "champion", "1");
    await t.worker.sync("m");
    await t.local.setAlias("m", "challenger", "2");
    const outcome = await t.worker.sync("m");
    assert.equal(outcome.pointer?.revision, 2);
    assert.equal(outcome.pointer?.challenger?.version, "2");
    assert.deepEqual(outcome.pointer?.traffic, { mode: "canary", challenger_percent: 5 });
  } finally {
    await t.cleanup();
  }
});

Deno.test("SyncWorker.sync() never publishes a corrupt or wrong-signature version", async () => {
  const t = await setup();
  try {
    await t.local.register(onnxPackage("m"));
    await t.local.register(onnxPackage("m", { graphFeatures: 4, manifestInputs: 3 }));
    await t.local.register(onnxPackage("m", { seed: 3 }));
    await t.local.setAlias("m", "champion", "1");
    await t.worker.sync("m");
    const path = `${t.root}/m/3/model.onnx`;
    const bytes = await Deno.readFile(path);
    bytes[10] ^= 0xff;
    await Deno.writeFile(path, bytes);

    await t.local.setAlias("m", "champion", "2");
    const wrongSignature = await t.worker.sync("m");
    assert.equal(wrongSignature.changed, false);
    assert.equal(wrongSignature.pointer?.champion.version, "1");
    assert.equal(wrongSignature.refused[0].reason, "input_mismatch");

    await t.local.setAlias("m", "champion", "3");
    const corrupt = await t.worker.sync("m");
    assert.equal(corrupt.pointer?.champion.version, "1");
    assert.equal(corrupt.refused[0].reason, "sha256_mismatch");

    const text = await t.prom.metrics();
    assert.match(text, /registry_validation_failures_total\{model="m",reason="input_mismatch"\} 1/);
    assert.match(
      text,
      /registry_validation_failures_total\{model="m",reason="sha256_mismatch"\} 1/,
    );
    const status = t.worker.status()[0];
    assert.deepEqual(status.refused.map((r) => r.version).sort(), ["2", "3"]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("SyncWorker.sync() leaves the pointer alone when the registry is unavailable", async () => {
  let down = false;
  const t = await setup((local) =>
    new Proxy(local, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (down) throw new RegistryError("registry_unavailable", "Cannot reach MLflow: down");
          return value.apply(target, args);
        };
      },
    })
  );
  try {
    await t.local.register(onnxPackage("m"));
    await t.local.setAlias("m", "champion", "1");
    await t.worker.sync("m");
    down = true;
    await assert.rejects(t.worker.sync("m"), (e) => e instanceof RegistryError);
    const status = t.worker.status()[0];
    assert.equal(status.lastError?.code, "registry_unavailable");
    assert.equal(JSON.parse((await t.store.get(redisKeys.pointer("m")))!).champion.version, "1");
    assert.match(
      await t.prom.metrics(),
      /registry_sync_errors_total\{model="m",code="registry_unavailable"\} 1/,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("SyncWorker.sync() republishes blobs and pointer after the store lost them", async () => {
  const t = await setup();
  try {
    const stored = await t.local.register(onnxPackage("m"));
    await t.local.setAlias("m", "champion", "1");
    await t.worker.sync("m");
    t.store.clear();
    const outcome = await t.worker.sync("m");
    assert.equal(outcome.pointer?.revision, 1);
    assert.notEqual(await t.store.get(redisKeys.blob(stored.sha256)), null);
    assert.notEqual(
      await t.store.get(redisKeys.blob(outcome.pointer!.champion.manifest_sha256!)),
      null,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("SyncWorker.sync() republishes a version whose blobs expired before an alias returns to it", async () => {
  const t = await setup();
  try {
    await t.local.register(onnxPackage("m", { seed: 1 }));
    await t.local.register(onnxPackage("m", { seed: 2 }));
    await t.local.setAlias("m", "champion", "1");
    const first = await t.worker.sync("m");
    await t.local.setAlias("m", "champion", "2");
    await t.worker.sync("m");
    const v1Blob = first.pointer!.champion.location.slice("redis:".length);
    t.store.clear();
    await t.local.setAlias("m", "champion", "1");
    const back = await t.worker.sync("m");
    assert.equal(back.pointer?.champion.version, "1");
    assert.notEqual(await t.store.get(v1Blob), null);
  } finally {
    await t.cleanup();
  }
});
