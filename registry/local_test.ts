import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { ModelManifest } from "../schemas/manifest.ts";
import { RegistryError } from "./errors.ts";
import { LocalRegistry } from "./local.ts";
import type { ModelPackage } from "./port.ts";

function pkg(name: string, seed: number): ModelPackage {
  const onnx = new TextEncoder().encode(`bytes-${seed}`);
  const manifest: ModelManifest = {
    format_version: 1,
    name,
    version: "0",
    created_at: "2026-11-28T00:00:00.000Z",
    sha256: createHash("sha256").update(onnx).digest("hex"),
    framework: "test",
    input_name: "input",
    inputs: [{ name: "x", dtype: "float32" }],
    outputs: { label: "label", probabilities: "probabilities" },
    classes: [0, 1],
    threshold: 0.5,
    request_features: [],
    out_of_range: "flag",
    metrics: {},
    training_data: { fingerprint: "abc", rows: 1 },
    params: {},
  };
  return { manifest, onnx };
}

async function withRoot(fn: (root: string) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "local-registry-" });
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("LocalRegistry.register() gives concurrent registrations distinct versions", () =>
  withRoot(async (root) => {
    const registry = new LocalRegistry({ root });
    const other = new LocalRegistry({ root });
    const stored = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? other : registry).register(pkg("m", i))),
    );
    assert.deepEqual(stored.map((m) => Number(m.version)).sort((a, b) => a - b), [
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
    ]);
    for (const manifest of stored) {
      const loaded = await registry.getPackage("m", manifest.version);
      assert.equal(loaded.manifest.sha256, manifest.sha256);
    }
  }));

Deno.test("LocalRegistry.register() writes the assigned version into manifest.json", () =>
  withRoot(async (root) => {
    const registry = new LocalRegistry({ root });
    await registry.register(pkg("m", 1));
    const written = JSON.parse(await Deno.readTextFile(`${root}/m/1/manifest.json`));
    assert.equal(written.version, "1");
    assert.deepEqual([...Deno.readDirSync(`${root}/m`)].map((e) => e.name).sort(), ["1"]);
  }));

Deno.test("LocalRegistry.setAlias() leaves only aliases.json behind after concurrent updates", () =>
  withRoot(async (root) => {
    const registry = new LocalRegistry({ root });
    await registry.register(pkg("m", 1));
    await registry.register(pkg("m", 2));
    await Promise.all([
      registry.setAlias("m", "champion", "1"),
      registry.setAlias("m", "challenger", "2"),
      registry.setAlias("m", "shadow", "2"),
    ]);
    assert.deepEqual(await registry.getAliases("m"), {
      champion: "1",
      challenger: "2",
      shadow: "2",
    });
    const names = [...Deno.readDirSync(`${root}/m`)].map((e) => e.name).sort();
    assert.deepEqual(names, ["1", "2", "aliases.json"]);
  }));

Deno.test("LocalRegistry.getPackage() refuses a manifest naming another model", () =>
  withRoot(async (root) => {
    const registry = new LocalRegistry({ root });
    await registry.register(pkg("m", 1));
    await Deno.mkdir(`${root}/n/1`, { recursive: true });
    await Deno.copyFile(`${root}/m/1/model.onnx`, `${root}/n/1/model.onnx`);
    await Deno.copyFile(`${root}/m/1/manifest.json`, `${root}/n/1/manifest.json`);
    await assert.rejects(
      registry.getPackage("n", "1"),
      (e) =>
        e instanceof RegistryError && e.code === "artifact_invalid" &&
        /another model/.test(e.message),
    );
  }));

Deno.test("LocalRegistry.getPackage() refuses a version whose files are missing", () =>
  withRoot(async (root) => {
    const registry = new LocalRegistry({ root });
    await registry.register(pkg("m", 1));
    await Deno.remove(`${root}/m/1/model.onnx`);
    await assert.rejects(
      registry.getPackage("m", "1"),
      (e) => e instanceof RegistryError && e.code === "artifact_corrupt",
    );
  }));

Deno.test("LocalRegistry.listModels() returns nothing for a missing root", async () => {
  const registry = new LocalRegistry({ root: "/nonexistent/registry/root" });
  assert.deepEqual(await registry.listModels(), []);
});
