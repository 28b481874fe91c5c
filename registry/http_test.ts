import assert from "node:assert/strict";
import { onnxPackage } from "../tests/contracts/model_registry_fixtures.ts";
import { undocumentedRoutes } from "../schemas/api.ts";
import { resolveRegistryConfig } from "./config.ts";
import { LocalRegistry } from "./local.ts";
import { MemoryRegistryStore } from "./store/memory.ts";
import { signMlflowWebhook } from "./webhook.ts";
import { createSyncService, serveModelAdmin } from "./wiring.ts";

async function setup(env: Record<string, string> = {}) {
  const root = await Deno.makeTempDir({ prefix: "http-test-" });
  const registry = new LocalRegistry({ root });
  const store = new MemoryRegistryStore();
  const config = resolveRegistryConfig({
    REGISTRY_MODELS: "m",
    REGISTRY_WEBHOOK_SECRET: "whsec",
    REGISTRY_ADMIN_TOKEN: "admin",
    REGISTRY_EDGE_TOKEN: "edge",
    // A loaded shared machine must not fail the validation latency smoke run.
    REGISTRY_VALIDATION_LATENCY_MS: "10000",
    ...env,
  });
  const service = createSyncService(config, { registry, store, log: () => {} });
  return {
    root,
    registry,
    store,
    service,
    config,
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
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
    const admin = { headers: { authorization: "Bearer admin" } };
    const health = await (await t.service.app.request("/health", admin)).json();
    assert.equal(health.models[0].last_error.code, "model_not_found");
    await t.registry.register(onnxPackage("m"));
    await t.registry.setAlias("m", "champion", "1");
    await t.service.worker.sync("m");
    assert.equal((await t.service.app.request("/ready")).status, 200);
    const after = await (await t.service.app.request("/health", admin)).json();
    assert.equal(after.status, "ok");
    assert.equal(after.models[0].serving, "1");
    // Without the admin token, the status only.
    assert.deepEqual(await (await t.service.app.request("/health")).json(), { status: "ok" });
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

/** A body of `n` bytes sent chunked (no Content-Length), counting what the server pulled. */
function chunkedBody(n: number, chunk = 64 * 1024) {
  const state = { pulled: 0 };
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= n) return controller.close();
      const size = Math.min(chunk, n - sent);
      sent += size;
      state.pulled += size;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
  });
  return { body, state };
}

Deno.test("createRegistryApp() refuses an unsigned webhook without reading its body", async () => {
  const t = await setup();
  try {
    const { body, state } = chunkedBody(300 * 1024 * 1024);
    const res = await t.service.app.request("/webhooks/mlflow", { method: "POST", body });
    assert.equal(res.status, 401);
    assert.ok(state.pulled <= 64 * 1024, `pulled ${state.pulled} bytes of an unsigned delivery`);
    await body.cancel().catch(() => {});
  } finally {
    await t.cleanup();
  }
});

Deno.test("createRegistryApp() stops reading a signed-looking chunked webhook at the limit", async () => {
  const t = await setup({ REGISTRY_MAX_BODY_BYTES: "65536" });
  try {
    const { body, state } = chunkedBody(300 * 1024 * 1024);
    const headers = { ...signed("{}").headers };
    const res = await t.service.app.request("/webhooks/mlflow", { method: "POST", body, headers });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "payload_too_large");
    assert.ok(state.pulled <= 3 * 64 * 1024, `pulled ${state.pulled} bytes past a 64 KiB limit`);
  } finally {
    await t.cleanup();
  }
});

Deno.test("createRegistryApp() answers 400, not 500, to a signed webhook whose data is null", async () => {
  const t = await setup();
  try {
    const body = JSON.stringify({ entity: "model_version_alias", action: "created", data: null });
    const res = await t.service.app.request("/webhooks/mlflow", signed(body));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, "webhook_refused");
  } finally {
    await t.cleanup();
  }
});

Deno.test("createRegistryApp() serves /packages/<sha> to the edge and admin tokens only", async () => {
  const t = await setup({ REGISTRY_BLOB_MAX_BYTES: "1024", REGISTRY_PUBLIC_URL: "http://r" });
  try {
    await t.registry.register(onnxPackage("m", { graphFeatures: 400 }));
    await t.registry.setAlias("m", "champion", "1");
    await t.service.worker.sync("m");
    const pointer = await t.service.publisher.readPointer("m");
    const path = new URL(pointer!.champion.location).pathname;
    assert.match(path, /^\/packages\/[0-9a-f]{64}$/);
    const get = (token?: string) =>
      t.service.app.request(path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    assert.equal((await get()).status, 401);
    assert.equal((await get("wrong")).status, 401);
    assert.equal((await get("edge")).status, 200);
    assert.equal((await get("admin")).status, 200);
  } finally {
    await t.cleanup();
  }
});

Deno.test("createRegistryApp() bounds the rollback body too", async () => {
  const t = await setup({ REGISTRY_MAX_BODY_BYTES: "1024" });
  try {
    const { body } = chunkedBody(1024 * 1024, 512);
    const res = await t.service.app.request("/models/rollouts/m/rollback", {
      method: "POST",
      headers: { authorization: "Bearer admin" },
      body,
    });
    // Checked after the admin token and the model; the rollout controller is wired.
    assert.equal(res.status, 413);
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
    assert.deepEqual(doc.paths["/packages/{sha}"].get.security, [{ edge_token: [] }]);
    assert.ok(doc.paths["/webhooks/mlflow"].post.requestBody.content["application/json"].examples);
    assert.equal(doc.paths["/admin/models"], undefined, "not served without serveModelAdmin");
    assert.equal((await s.service.app.request("/docs")).status, 200);
  } finally {
    await s.cleanup();
  }
});

Deno.test("createRegistryApp() with serveModelAdmin documents /admin/models", async () => {
  const s = await setup();
  try {
    serveModelAdmin(s.service, s.config);
    const doc = await (await s.service.app.request("/openapi.json")).json();
    assert.deepEqual(undocumentedRoutes(s.service.app.routes, doc), []);
    const canary = doc.paths["/admin/models/{model}/canary"].post;
    assert.deepEqual(canary.security, [{ admin_token: [] }]);
    assert.ok(canary.requestBody.content["application/json"].schema.properties.percent);
  } finally {
    await s.cleanup();
  }
});
