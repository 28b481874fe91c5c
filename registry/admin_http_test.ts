import assert from "node:assert/strict";
import { onnxPackage } from "../tests/contracts/model_registry_fixtures.ts";
import { HttpModelControl } from "./admin_client.ts";
import { createModelAdminRoutes } from "./admin_http.ts";
import { resolveRegistryConfig } from "./config.ts";
import { LocalRegistry } from "./local.ts";
import { MemoryRegistryStore } from "./store/memory.ts";
import { createModelOperations, createSyncService } from "./wiring.ts";

Deno.test("createModelAdminRoutes() serves the model operations to HttpModelControl", async () => {
  const root = await Deno.makeTempDir({ prefix: "model-admin-" });
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
  const ops = createModelOperations(service, config, { pointerIsLive: true, target: "there" });
  await registry.register(onnxPackage("m"));
  await registry.register(onnxPackage("m", { seed: 2 }));
  await registry.register(onnxPackage("m", { graphFeatures: 4 }));
  await registry.setAlias("m", "champion", "1");
  const app = createModelAdminRoutes(ops, "secret");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const unauthorized = await fetch(`${base}/admin/models`);
    assert.equal(unauthorized.status, 401);
    await unauthorized.body?.cancel();
    const control = new HttpModelControl(base, "secret");
    assert.deepEqual((await control.list()).map((m) => m.model), ["m"]);
    const canary = await control.canary("m", { version: "2", percent: 40 });
    assert.equal(canary.pointer?.traffic.challenger_percent, 40);
    assert.equal((await control.status("m")).traffic.challenger_percent, 40);
    await assert.rejects(control.promote("m", { version: "3" }), (e: Error & { code?: string }) => {
      assert.equal(e.code, "input_schema_changed");
      assert.match(e.message, /adds f3/);
      return true;
    });
    const bad = await fetch(`${base}/admin/models/m/canary`, {
      method: "POST",
      headers: { authorization: "Bearer secret", "content-type": "application/json" },
      body: JSON.stringify({ version: "2", percent: "many" }),
    });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /percent/);
    const rolled = await control.rollback("m", { reason: "test" });
    assert.match(rolled.message, /removed version 2, serving 1/);
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});
