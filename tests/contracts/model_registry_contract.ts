/**
 * The contract every `ModelRegistry` adapter must satisfy. Each adapter test
 * calls {@linkcode modelRegistryContract} with a factory that builds a fresh,
 * empty registry.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { ModelManifest } from "../../schemas/manifest.ts";
import type { ModelPackage, ModelRegistry } from "../../registry/port.ts";
import { RegistryError } from "../../registry/errors.ts";

/** A registry under test plus the hooks the contract needs. */
export interface RegistryUnderTest {
  registry: ModelRegistry;
  /** Damages the stored `model.onnx` of a version without touching its manifest. */
  corrupt(name: string, version: string): Promise<void>;
  /** Releases whatever the factory created. */
  close(): Promise<void>;
}

/** Builds a fresh, empty registry for one test. */
export type RegistryFactory = () => Promise<RegistryUnderTest>;

/** A valid package for tests; the registry only stores the bytes. */
export function testPackage(name: string, seed = 1): ModelPackage {
  const onnx = new TextEncoder().encode(`not-a-real-onnx-graph:${name}:${seed}`);
  const manifest: ModelManifest = {
    format_version: 1,
    name,
    version: "0",
    created_at: new Date(Date.UTC(2026, 10, 28, 0, 0, seed)).toISOString(),
    sha256: createHash("sha256").update(onnx).digest("hex"),
    framework: "test",
    input_name: "input",
    inputs: [{ name: "amount", dtype: "float32" }, { name: "hour", dtype: "float32" }],
    outputs: { label: "label", probabilities: "probabilities" },
    classes: [0, 1],
    threshold: 0.5,
    request_features: [],
    out_of_range: "flag",
    metrics: { roc_auc: 0.9 },
    training_data: { fingerprint: "f".repeat(64), rows: 10 },
    params: { seed },
  };
  return { manifest, onnx };
}

async function rejectsWith(promise: Promise<unknown>, code: string, text?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RegistryError, `expected RegistryError, got ${error}`);
    assert.equal(error.code, code, error.message);
    if (text) assert.match(error.message, text);
    return true;
  });
}

/** Registers the contract tests for one adapter. */
export function modelRegistryContract(adapter: string, factory: RegistryFactory): void {
  // Names are unique per run so adapters backed by a shared server can run
  // the suite repeatedly.
  let counter = 0;
  const run = crypto.randomUUID().slice(0, 8);
  const test = (
    behaviour: string,
    fn: (registry: ModelRegistry, sut: RegistryUnderTest, name: string) => Promise<void>,
  ) =>
    Deno.test(`${adapter} ${behaviour}`, async () => {
      const sut = await factory();
      try {
        await fn(sut.registry, sut, `contract_${run}_${++counter}`);
      } finally {
        await sut.close();
      }
    });

  test(
    "register() assigns versions 1, 2, ... and returns the stored manifest",
    async (r, _sut, n) => {
      const m1 = await r.register(testPackage(n, 1));
      const m2 = await r.register(testPackage(n, 2));
      assert.equal(m1.version, "1");
      assert.equal(m2.version, "2");
      assert.equal(m2.name, n);
      assert.equal(m2.sha256, testPackage(n, 2).manifest.sha256);
      const versions = await r.listVersions(n);
      assert.deepEqual(versions.map((v) => v.version), ["1", "2"]);
      assert.equal(versions[1].sha256, m2.sha256);
      assert.ok((await r.listModels()).includes(n));
    },
  );

  test(
    "getPackage() returns the bytes and manifest by version, alias and latest",
    async (r, _sut, n) => {
      await r.register(testPackage(n, 1));
      await r.register(testPackage(n, 2));
      await r.setAlias(n, "champion", "1");
      const byVersion = await r.getPackage(n, "2");
      assert.deepEqual(byVersion.onnx, testPackage(n, 2).onnx);
      assert.equal(byVersion.manifest.version, "2");
      assert.deepEqual(byVersion.manifest.params, { seed: 2 });
      const byAlias = await r.getPackage(n, "champion");
      assert.equal(byAlias.manifest.version, "1");
      assert.deepEqual(byAlias.onnx, testPackage(n, 1).onnx);
      assert.equal((await r.getPackage(n, "latest")).manifest.version, "2");
    },
  );

  test("setAlias() moves an alias and deleteAlias() removes it", async (r, _sut, n) => {
    await r.register(testPackage(n, 1));
    await r.register(testPackage(n, 2));
    await r.setAlias(n, "champion", "1");
    await r.setAlias(n, "challenger", "2");
    assert.deepEqual(await r.getAliases(n), { champion: "1", challenger: "2" });
    await r.setAlias(n, "champion", "2");
    assert.deepEqual(await r.getAliases(n), { champion: "2", challenger: "2" });
    const listed = await r.listVersions(n);
    assert.deepEqual(listed[1].aliases.toSorted(), ["challenger", "champion"]);
    assert.deepEqual(listed[0].aliases, []);
    await r.deleteAlias(n, "challenger");
    assert.deepEqual(await r.getAliases(n), { champion: "2" });
    await rejectsWith(r.getPackage(n, "challenger"), "version_not_found");
  });

  test("setAlias() refuses an unknown version and keeps the alias", async (r, _sut, n) => {
    await r.register(testPackage(n, 1));
    await r.setAlias(n, "champion", "1");
    await rejectsWith(r.setAlias(n, "champion", "7"), "version_not_found", /'7'/);
    assert.deepEqual(await r.getAliases(n), { champion: "1" });
  });

  test(
    "unknown models and versions raise model_not_found and version_not_found",
    async (r, _sut, n) => {
      await rejectsWith(
        r.listVersions(`${n}_missing`),
        "model_not_found",
        new RegExp(`${n}_missing`),
      );
      await rejectsWith(r.getPackage(`${n}_missing`, "1"), "model_not_found");
      await r.register(testPackage(n, 1));
      await rejectsWith(r.getPackage(n, "9"), "version_not_found", /'9'/);
      await rejectsWith(r.getPackage(n, "champion"), "version_not_found", /champion/);
    },
  );

  test("register() refuses a package whose bytes do not match its sha256", async (r, _sut, n) => {
    const pkg = testPackage(n, 1);
    await rejectsWith(
      r.register({ manifest: pkg.manifest, onnx: new TextEncoder().encode("tampered") }),
      "artifact_corrupt",
      /sha256 does not match/,
    );
    await rejectsWith(r.listVersions(n), "model_not_found");
  });

  test("register() refuses an invalid manifest listing the bad field", async (r, _sut, n) => {
    const pkg = testPackage(n, 1);
    const manifest = { ...pkg.manifest, inputs: [] } as ModelManifest;
    await rejectsWith(r.register({ manifest, onnx: pkg.onnx }), "artifact_invalid", /inputs/);
  });

  test(
    "getPackage() refuses a corrupt artifact and keeps serving other versions",
    async (r, sut, n) => {
      await r.register(testPackage(n, 1));
      await r.register(testPackage(n, 2));
      await r.setAlias(n, "champion", "1");
      await sut.corrupt(n, "2");
      await rejectsWith(
        r.getPackage(n, "2"),
        "artifact_corrupt",
        new RegExp(`^Cannot load model '${n}' version 2: artifact sha256 does not match$`),
      );
      assert.equal((await r.getPackage(n, "champion")).manifest.version, "1");
    },
  );

  test("setAlias() refuses alias names that look like selectors", async (r, _sut, n) => {
    await r.register(testPackage(n, 1));
    await rejectsWith(r.setAlias(n, "latest", "1"), "invalid_request");
    await rejectsWith(r.setAlias(n, "3", "1"), "invalid_request");
    assert.deepEqual(await r.getAliases(n), {});
  });
}
