import assert from "node:assert/strict";
import { onnxPackage } from "../../tests/contracts/model_registry_fixtures.ts";
import { resolveRegistryConfig } from "../config.ts";
import { LocalRegistry } from "../local.ts";
import { MemoryRegistryStore } from "../store/memory.ts";
import { createSyncService } from "../wiring.ts";
import { runModelCli } from "./model.ts";

async function quietly<T>(fn: () => Promise<T>): Promise<{ result: T; out: string }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    return { result: await fn(), out: lines.join("\n") };
  } finally {
    console.log = original;
  }
}

Deno.test("runModelCli() canary, promote and rollback move aliases and the pointer", async () => {
  const root = await Deno.makeTempDir({ prefix: "model-cli-" });
  try {
    const registry = new LocalRegistry({ root });
    const service = createSyncService(resolveRegistryConfig({ REGISTRY_MODELS: "m" }), {
      registry,
      store: new MemoryRegistryStore(),
      log: () => {},
    });
    await registry.register(onnxPackage("m"));
    await registry.register(onnxPackage("m", { seed: 2 }));
    await registry.setAlias("m", "champion", "1");

    const canary = await quietly(() =>
      runModelCli(["canary", "--model", "m", "--version", "2", "--percent", "10"], service)
    );
    assert.equal(canary.result, 0);
    assert.deepEqual((await service.publisher.readPointer("m"))?.traffic, {
      mode: "canary",
      challenger_percent: 10,
    });

    const promote = await quietly(() => runModelCli(["promote", "--model", "m"], service));
    assert.match(promote.out, /Promoted 'm' version 2 \(previous champion 1\)/);
    assert.equal((await service.publisher.readPointer("m"))?.champion.version, "2");

    const list = await quietly(() => runModelCli(["list"], service));
    assert.match(list.out, /^\s+2 .*\[champion\]$/m);

    await quietly(() => runModelCli(["rollback", "--model", "m", "--reason", "test"], service));
    assert.deepEqual(await registry.getAliases("m"), {
      champion: "1",
      previous_champion: "1",
      rolled_back: "2",
    });
    assert.equal((await service.publisher.readPointer("m"))?.champion.version, "1");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
