import assert from "node:assert/strict";
import { onnxPackage } from "../../tests/contracts/model_registry_fixtures.ts";
import { resolveRegistryConfig } from "../config.ts";
import { LocalRegistry } from "../local.ts";
import { MemoryRegistryStore } from "../store/memory.ts";
import { createModelOperations, createSyncService } from "../wiring.ts";
import { runModelCli } from "./model.ts";

function capture() {
  const lines: string[] = [];
  return { lines, out: { log: (l: string) => lines.push(l), error: (l: string) => lines.push(l) } };
}

async function withModels(
  fn: (t: {
    registry: LocalRegistry;
    service: ReturnType<typeof createSyncService>;
    ops: ReturnType<typeof createModelOperations>;
  }) => Promise<void>,
  pointerIsLive = true,
) {
  const root = await Deno.makeTempDir({ prefix: "model-cli-" });
  try {
    const registry = new LocalRegistry({ root });
    // A loaded shared machine must not fail the validation latency smoke run.
    const config = resolveRegistryConfig({
      REGISTRY_MODELS: "m",
      REGISTRY_VALIDATION_LATENCY_MS: "10000",
    });
    const service = createSyncService(config, {
      registry,
      store: new MemoryRegistryStore(),
      log: () => {},
    });
    const ops = createModelOperations(service, config, { pointerIsLive, target: "in the test" });
    await registry.register(onnxPackage("m"));
    await registry.register(onnxPackage("m", { seed: 2 }));
    await registry.setAlias("m", "champion", "1");
    await fn({ registry, service, ops });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("runModelCli() canary, promote and rollback move aliases and the pointer", async () => {
  await withModels(async ({ registry, service, ops }) => {
    const c = capture();
    const run = (...args: string[]) => runModelCli(args, ops, {}, c.out);
    assert.equal(await run("canary", "--model", "m", "--version", "2", "--percent", "10"), 0);
    assert.deepEqual((await service.publisher.readPointer("m"))?.traffic, {
      mode: "canary",
      challenger_percent: 10,
    });
    assert.equal(await run("promote", "--model", "m"), 0);
    assert.match(
      c.lines.join("\n"),
      /Promoted model 'm' version 2 to champion \(previous champion 1\)/,
    );
    assert.equal((await service.publisher.readPointer("m"))?.champion.version, "2");
    assert.equal(await run("list"), 0);
    assert.match(c.lines.join("\n"), /^\s+2 .*\[champion\]$/m);
    assert.equal(await run("rollback", "--model", "m", "--reason", "test"), 0);
    assert.deepEqual(await registry.getAliases("m"), {
      champion: "1",
      previous_champion: "1",
      rolled_back: "2",
    });
    assert.equal((await service.publisher.readPointer("m"))?.champion.version, "1");
  });
});

Deno.test("runModelCli() status shows aliases, the pointer and the arms' counts", async () => {
  await withModels(async ({ service, ops }) => {
    const c = capture();
    await runModelCli(
      ["canary", "--model", "m", "--version", "2", "--percent", "20"],
      ops,
      {},
      c.out,
    );
    const store = service.store as MemoryRegistryStore;
    const bucket = Math.floor(Date.now() / 10_000);
    store.hincrby(`rollout:m:champion:${bucket}`, { requests: 33, "le_1": 33 });
    store.hincrby(`rollout:m:challenger:${bucket}`, { requests: 7, errors: 1, "le_1": 7 });
    assert.equal(await runModelCli(["status", "--model", "m"], ops, {}, c.out), 0);
    const text = c.lines.join("\n");
    assert.match(text, /traffic: canary, 20 % to the challenger/);
    assert.match(text, /champion\s+33 requests\s+0 errors/);
    assert.match(text, /challenger\s+7 requests\s+1 errors/);
  });
});

Deno.test("runModelCli() refuses a promotion that changes the inputs unless --force", async () => {
  await withModels(async ({ registry, ops }) => {
    const wider = await registry.register(onnxPackage("m", { graphFeatures: 4, seed: 3 }));
    const c = capture();
    await assert.rejects(
      runModelCli(["promote", "--model", "m", "--version", wider.version], ops, {}, c.out),
      /inputs differ from champion version 1's \(adds f3\).*--force.*nothing changed/,
    );
    assert.deepEqual(await registry.getAliases("m"), { champion: "1" });
    await assert.rejects(
      runModelCli(["canary", "--model", "m", "--version", wider.version], ops, {}, c.out),
      /adds f3/,
    );
    assert.deepEqual(await registry.getAliases("m"), { champion: "1" });
    const code = await runModelCli(
      ["promote", "--model", "m", "--version", wider.version, "--force"],
      ops,
      {},
      c.out,
    );
    assert.equal(code, 0);
    assert.match(c.lines.at(-1)!, /forced, inputs change: adds f3/);
    assert.equal((await registry.getAliases("m")).champion, wider.version);
  });
});

Deno.test("runModelCli() canary without a pointer any edge reads refuses and changes nothing", async () => {
  await withModels(async ({ registry, ops }) => {
    await assert.rejects(
      runModelCli(["canary", "--model", "m", "--version", "2"], ops, {}, capture().out),
      /reach(es)? none.*nothing changed/,
    );
    assert.deepEqual(await registry.getAliases("m"), { champion: "1" });
  }, false);
});

Deno.test("runModelCli() rejects unknown commands and missing flags as usage errors", async () => {
  await withModels(async ({ ops }) => {
    await assert.rejects(runModelCli(["nope"], ops, {}, capture().out), /Unknown command 'nope'/);
    await assert.rejects(runModelCli(["status"], ops, {}, capture().out), /Missing --model/);
    await assert.rejects(
      runModelCli(
        ["canary", "--model", "m", "--version", "2", "--percent", "0"],
        ops,
        {},
        capture().out,
      ),
      /--percent must be in \(0, 100\]/,
    );
  });
});
