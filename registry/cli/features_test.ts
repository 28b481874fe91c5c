import assert from "node:assert/strict";
import { runFeaturesCli } from "./features.ts";
import { EXAMPLES } from "../../pipeline/definitions/load.ts";
import { PgliteFeatureStore } from "../../pipeline/store/pglite.ts";
import { LocalRegistry } from "../local.ts";
import { loadRepository } from "../../pipeline/definitions/load.ts";
import { viewManifestEntry } from "../../pipeline/features/mod.ts";
import { logisticPackage } from "../../tests/support/edge.ts";

interface Def {
  views: { name: string; version: number; features: { name: string; window: string }[] }[];
}

const defineUrl = new URL("../../pipeline/definitions/define.ts", import.meta.url).href;

async function writeRepo(dir: string, edit: (d: Def) => void = () => {}): Promise<string> {
  const def = structuredClone(EXAMPLES.sensors) as Def;
  edit(def);
  const repo = `${dir}/repo_${crypto.randomUUID().slice(0, 6)}`;
  await Deno.mkdir(repo, { recursive: true });
  await Deno.writeTextFile(
    `${repo}/mod.ts`,
    `import { defineRepository } from "${defineUrl}";\nexport const repository = defineRepository(${
      JSON.stringify(def)
    });\n`,
  );
  return repo;
}

function capture() {
  const lines: string[] = [];
  return { lines, out: { log: (l: string) => lines.push(l), error: (l: string) => lines.push(l) } };
}

async function views(dataDir: string) {
  const store = new PgliteFeatureStore(`${dataDir}/pglite`);
  try {
    await store.migrate();
    return (await store.listViews()).map((v) =>
      `${v.name}@${v.version}${v.retiredAt ? " retired" : ""}`
    );
  } finally {
    await store.close();
  }
}

Deno.test("features:plan and features:apply create, retire, and refuse destructive changes without --force", async () => {
  const dir = await Deno.makeTempDir({ prefix: "features-apply-" });
  const env = { DATA_DIR: dir };
  try {
    const v1 = await writeRepo(dir);
    let c = capture();
    assert.equal(await runFeaturesCli("plan", ["--repo", v1], env, c.out), 0);
    assert.ok(c.lines.some((l) => /view device_readings v1: create/.test(l)), c.lines.join("\n"));
    assert.deepEqual(await views(dir), []); // plan changes nothing
    assert.equal(await runFeaturesCli("apply", ["--repo", v1], env, capture().out), 0);
    assert.deepEqual(await views(dir), ["device_readings@1", "site_readings@1"]);

    // The same version with another definition: destructive, refused and named.
    const changed = await writeRepo(dir, (d) => (d.views[0].features[0].window = "2h"));
    c = capture();
    assert.equal(await runFeaturesCli("apply", ["--repo", changed], env, c.out), 1);
    assert.match(
      c.lines.at(-1)!,
      /destructive changes need --force: view device_readings v1: rebuild/,
    );
    assert.match(c.lines.at(-1)!, /Nothing was changed/);
    assert.equal(
      await runFeaturesCli("apply", ["--repo", changed, "--force"], env, capture().out),
      0,
    );

    // A new version: created, and the old one retired but kept.
    const v2 = await writeRepo(dir, (d) => {
      d.views[0].version = 2;
      d.views[0].features[0].window = "3h";
    });
    c = capture();
    assert.equal(await runFeaturesCli("apply", ["--repo", v2], env, c.out), 0);
    assert.ok(c.lines.some((l) => /device_readings v1: retire/.test(l)), c.lines.join("\n"));
    assert.deepEqual(await views(dir), [
      "device_readings@1 retired",
      "device_readings@2",
      "site_readings@1",
    ]);

    // A registered model reads v2: its definition can no longer change, even with --force.
    const registry = new LocalRegistry({ root: `${dir}/registry` });
    const repo = await loadRepository(v2);
    const pkg = await logisticPackage({
      name: "m",
      inputs: [{ name: "readings_count_1h" }],
      weights: [1],
    });
    pkg.manifest.feature_views = [viewManifestEntry(repo.view("device_readings")!)];
    await registry.register(pkg);
    const v2changed = await writeRepo(dir, (d) => {
      d.views[0].version = 2;
      d.views[0].features[0].window = "4h";
    });
    c = capture();
    assert.equal(await runFeaturesCli("apply", ["--repo", v2changed, "--force"], env, c.out), 1);
    assert.match(c.lines.at(-1)!, /registered models read: view device_readings v2: rebuild/);

    // --prune drops retired versions no model reads (destructive: --force).
    assert.equal(await runFeaturesCli("apply", ["--repo", v2, "--prune"], env, capture().out), 1);
    assert.equal(
      await runFeaturesCli("apply", ["--repo", v2, "--prune", "--force"], env, capture().out),
      0,
    );
    assert.deepEqual(await views(dir), ["device_readings@2", "site_readings@1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
