import assert from "node:assert/strict";
import { onnxPackage } from "../tests/contracts/model_registry_fixtures.ts";
import { undocumentedRoutes } from "../schemas/api.ts";
import { resolveRegistryConfig } from "./config.ts";
import { LocalRegistry } from "./local.ts";
import { MemoryRegistryStore } from "./store/memory.ts";
import { signMlflowWebhook } from "./webhook.ts";
import { createSyncService } from "./wiring.ts";

async function setup() {
  const root = await Deno.makeTempDir({ prefix: "http-test-" });
  const registry = new LocalRegistry({ root });
  const store = new MemoryRegistryStore();
  const config = resolveRegistryConfig({
    REGISTRY_MODELS: "m",
    REGISTRY_WEBHOOK_SECRET: "whsec",
    REGISTRY_ADMIN_TOKEN: "admin",
  });
  const service = createSyncService(config, { registry, store, log: () => {} });
  return { root, registry, store, service, cleanup: () => Deno.remove(root, { recursive: true }) };
}

function signed(body: string, secret = "whsec", timestamp = String(Math.floor(Date.now() / 1000))) {
  const id = crypto.randomUUID();
  return {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-mlflow-delivery-id": id,
      "x-mlflow-timestamp": timestamp,
      "x-mlflow-signature": signMlflowWebhook(secret, id, timestamp, body),
    },
  };
}

const aliasEvent = JSON.stringify({
  entity: "model_version_alias",
  action: "created",
  timestamp: new Date().toISOString(),
  data: { name: "m", alias: "champion", version: "1" },
});

Deno.test("createRegistryApp() syncs the model named by a signed MLflow webhook", async () => {
  const t = await setup();
  try {
    await t.registry.register(onnxPackage("m"));
    await t.registry.setAlias("m", "champion", "1");
    const res = await t.service.app.request("/webhooks/mlflow", signed(aliasEvent));
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { accepted: true, model: "m" });
    await t.service.worker.stop();
    const pointer = await t.service.publisher.readPointer("m");
    assert.equal(pointer?.champion.version, "1");
  } finally {
    await t.cleanup();
  }
});

Deno.test("createRegistryApp() refuses unsigned, wrongly signed and stale webhooks", async () => {
  const t = await setup();
  try {
    const unsigned = await t.service.app.request("/webhooks/mlflow", {
      method: "POST",
      body: aliasEvent,
    });
    assert.equal(unsigned.status, 401);
    assert.equal((await unsigned.json()).error.code, "webhook_refused");
    const wrong = await t.service.app.request("/webhooks/mlflow", signed(aliasEvent, "nope"));
    assert.equal(wrong.status, 401);
    const stale = await t.service.app.request(
      "/webhooks/mlflow",
      signed(aliasEvent, "whsec", String(Math.floor(Date.now() / 1000) - 3600)),
    );
    assert.equal(stale.status, 401);
    assert.equal(await t.service.publisher.readPointer("m"), null);
    const metrics = await (await t.service.app.request("/metrics")).text();
    assert.match(metrics, /registry_webhooks_total\{result="unsigned"\} 1/);
    assert.match(metrics, /registry_webhooks_total\{result="bad_signature"\} 1/);
    assert.match(metrics, /registry_webhooks_total\{result="stale"\} 1/);
  } finally {
    await t.cleanup();
  }
});

Deno.test("createRegistryApp() guards /models/rollouts with the admin token", async () => {
  const t = await setup();
  try {
    assert.equal((await t.service.app.request("/models/rollouts")).status, 401);
    const wrong = await t.service.app.request("/models/rollouts", {
      headers: { authorization: "Bearer admin2" },
    });
    assert.equal(wrong.status, 401);
    const ok = await t.service.app.request("/models/rollouts", {
      headers: { authorization: "Bearer admin" },
    });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).models[0].model, "m");
  } finally {
    await t.cleanup();
  }
});

Deno.test("createRegistryApp() reports not ready until a first sync and degraded health on errors", async () => {
  const t = await setup();
  try {
    assert.equal((await t.service.app.request("/ready")).status, 503);
    await t.service.worker.sync("m").catch(() => {});
    // A model not registered yet has nothing to publish: ready, and health says why.
    assert.equal((await t.service.app.request("/ready")).status, 200);
    const health = await (await t.service.app.request("/health")).json();
    assert.equal(health.models[0].last_error.code, "model_not_found");
    await t.registry.register(onnxPackage("m"));
    await t.registry.setAlias("m", "champion", "1");
    await t.service.worker.sync("m");
    assert.equal((await t.service.app.request("/ready")).status, 200);
    const after = await (await t.service.app.request("/health")).json();
    assert.equal(after.status, "ok");
    assert.equal(after.models[0].serving, "1");
  } finally {
    await t.cleanup();
  }
});

Deno.test("createRegistryApp() rolls back a canary on POST /models/rollouts/<model>/rollback", async () => {
  const t = await setup();
  try {
    await t.registry.register(onnxPackage("m"));
    await t.registry.register(onnxPackage("m", { seed: 2 }));
    await t.registry.setAlias("m", "champion", "1");
    await t.registry.setAlias("m", "challenger", "2");
    await t.service.worker.sync("m");
    const res = await t.service.app.request("/models/rollouts/m/rollback", {
      method: "POST",
      headers: { authorization: "Bearer admin", "content-type": "application/json" },
      body: JSON.stringify({ reason: "dashboard looked wrong" }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { restored: "1", removed: "2" });
    assert.equal((await t.service.publisher.readPointer("m"))?.challenger, null);
    const unknown = await t.service.app.request("/models/rollouts/zzz/rollback", {
      method: "POST",
      headers: { authorization: "Bearer admin" },
    });
    assert.equal(unknown.status, 404);
  } finally {
    await t.cleanup();
  }
});

Deno.test("createRegistryApp() documents every route it serves in /openapi.json", async () => {
  const s = await setup();
  try {
    const res = await s.service.app.request("/openapi.json");
    const doc = await res.json();
    assert.deepEqual(undocumentedRoutes(s.service.app.routes, doc), []);
    assert.deepEqual(doc.paths["/models/rollouts"].get.security, [{ admin_token: [] }]);
    assert.ok(doc.paths["/webhooks/mlflow"].post.requestBody.content["application/json"].examples);
    assert.equal((await s.service.app.request("/docs")).status, 200);
  } finally {
    await s.cleanup();
  }
});
